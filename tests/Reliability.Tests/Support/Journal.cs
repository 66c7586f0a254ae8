using Microsoft.Data.Sqlite;

namespace Reliability.Tests.Support;

/// <summary>What a (dead) autoscaler's SQLite journal holds: read only while no serve runs on it.</summary>
internal sealed record JournalState(int? Desired, IReadOnlyList<(string Kind, string Phase, string? Label, string? MemberId)> Open)
{
    public static JournalState Read(string path, string pool)
    {
        if (!File.Exists(path))
        {
            return new JournalState(null, []);
        }

        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        int? desired = null;
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT desired FROM pools WHERE pool = $pool";
            cmd.Parameters.AddWithValue("$pool", pool);
            if (cmd.ExecuteScalar() is long d)
            {
                desired = (int)d;
            }
        }

        var open = new List<(string, string, string?, string?)>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT kind, phase, label, member_id FROM operations WHERE pool = $pool AND closed_at IS NULL ORDER BY created_at";
            cmd.Parameters.AddWithValue("$pool", pool);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                open.Add((r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3)));
            }
        }

        return new JournalState(desired, open);
    }

    public string Describe() => Open.Count == 0 ? "none" : string.Join(", ", Open.Select(o => $"{o.Kind}/{o.Phase} {o.Label}"));
}

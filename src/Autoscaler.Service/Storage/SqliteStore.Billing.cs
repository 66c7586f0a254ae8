using System.Globalization;
using Autoscaler.Core.Billing;
using Microsoft.Data.Sqlite;

namespace Autoscaler.Service.Storage;

/// <summary>The billing ledger part of the store: lifetimes of the members the autoscaler deleted, so the month's bill
/// so far survives a restart (live members' part comes from the cloud's <c>created</c>).</summary>
public sealed partial class SqliteStore : IBillingLedger
{
    private static void CreateBillingSchema(SqliteConnection c) => Execute(c, """
        CREATE TABLE IF NOT EXISTS lifetimes (
          pool TEXT NOT NULL,
          member_id TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          deleted_at INTEGER NOT NULL,
          hourly TEXT NOT NULL,
          monthly TEXT,
          period_ms INTEGER NOT NULL,
          PRIMARY KEY (pool, member_id));
        CREATE INDEX IF NOT EXISTS lifetimes_pool_deleted ON lifetimes(pool, deleted_at);
        """);

    /// <inheritdoc />
    /// <remarks>Recording the same member again keeps the first record: its delete call is the one the cloud billed
    /// to (a retried delete after a crash must not move it). Prices are stored as invariant decimal text so that the
    /// sums stay exact; times to the millisecond (as the journal's).</remarks>
    public async ValueTask RecordAsync(EndedLifetime lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        await WriteAsync(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT INTO lifetimes (pool, member_id, created_at, deleted_at, hourly, monthly, period_ms)
                VALUES ($pool, $member, $created, $deleted, $hourly, $monthly, $period)
                ON CONFLICT(pool, member_id) DO NOTHING
                """;
            cmd.Parameters.AddWithValue("$pool", lifetime.Pool);
            cmd.Parameters.AddWithValue("$member", lifetime.MemberId);
            cmd.Parameters.AddWithValue("$created", ToMs(lifetime.Created));
            cmd.Parameters.AddWithValue("$deleted", ToMs(lifetime.Deleted));
            cmd.Parameters.AddWithValue("$hourly", lifetime.Terms.Price.Hourly.ToString(CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("$monthly", lifetime.Terms.Price.Monthly is { } m ? m.ToString(CultureInfo.InvariantCulture) : DBNull.Value);
            cmd.Parameters.AddWithValue("$period", (long)lifetime.Terms.Period.TotalMilliseconds);
            cmd.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<EndedLifetime>> DeletedSinceAsync(string pool, DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var c = OpenConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT member_id, created_at, deleted_at, hourly, monthly, period_ms FROM lifetimes
            WHERE pool = $pool AND deleted_at >= $since ORDER BY deleted_at, member_id
            """;
        cmd.Parameters.AddWithValue("$pool", pool);
        cmd.Parameters.AddWithValue("$since", ToMs(since));
        using var r = cmd.ExecuteReader();
        var list = new List<EndedLifetime>();
        while (r.Read())
        {
            var price = new InstancePrice(
                decimal.Parse(r.GetString(3), NumberStyles.Number, CultureInfo.InvariantCulture),
                r.IsDBNull(4) ? null : decimal.Parse(r.GetString(4), NumberStyles.Number, CultureInfo.InvariantCulture));
            list.Add(new EndedLifetime(pool, r.GetString(0), FromMs(r.GetInt64(1)), FromMs(r.GetInt64(2)),
                new BillingTerms(price, TimeSpan.FromMilliseconds(r.GetInt64(5)))));
        }

        return ValueTask.FromResult<IReadOnlyList<EndedLifetime>>(list);
    }
}

using System.Globalization;
using Autoscaler.Service.Storage;
using Npgsql;

namespace Autoscaler.Service.Ha;

/// <summary>Who holds the leader lease, as the database last said.</summary>
/// <param name="Holder">The holding replica's id.</param>
/// <param name="Address">Where it serves (writes go there).</param>
/// <param name="Epoch">The lease's epoch.</param>
/// <param name="Valid">False when the lease has expired (nobody leads until a replica takes it).</param>
public sealed record LeaseHolder(string Holder, string Address, long Epoch, bool Valid);

/// <summary>
/// The leader lease: one row of the <c>leases</c> table of the PostgreSQL journal. Taking or renewing it is one
/// statement that succeeds only when this replica already holds it or it has expired; the epoch rises at every change
/// of holder and never otherwise. Expiry is judged by the database's clock (<c>now()</c>), never a replica's.
/// </summary>
public sealed class LeaderLease
{
    private readonly NpgsqlDataSource _source;

    /// <summary>Creates the lease of <paramref name="holder"/> over <paramref name="store"/>'s database.</summary>
    public LeaderLease(PostgresStore store, string holder, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(store);
        _source = store.Source;
        Holder = holder;
        Duration = duration;
    }

    /// <summary>This replica's id.</summary>
    public string Holder { get; }

    /// <summary>How long the lease lasts without renewal.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Takes or renews the lease; returns its epoch, or null when another replica holds it.</summary>
    public async Task<long?> TryAcquireAsync(string address, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("""
            INSERT INTO leases (name, holder, address, epoch, expires_at)
            VALUES ('leader', $1, $2, 1, now() + make_interval(secs => $3))
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, address = excluded.address,
              epoch = CASE WHEN leases.holder = excluded.holder THEN leases.epoch ELSE leases.epoch + 1 END,
              expires_at = excluded.expires_at
            WHERE leases.holder = excluded.holder OR leases.expires_at <= now()
            RETURNING epoch
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Holder });
        cmd.Parameters.Add(new NpgsqlParameter { Value = address });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Duration.TotalSeconds });
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long epoch ? epoch : null;
    }

    /// <summary>The current holder, or null before anyone took the lease.</summary>
    public async Task<LeaseHolder?> ReadAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("SELECT holder, address, epoch, expires_at > now() FROM leases WHERE name = 'leader'");
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new LeaseHolder(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetBoolean(3))
            : null;
    }

    /// <summary>True when <paramref name="token"/> still holds the lease with at least <paramref name="margin"/> left.</summary>
    public async Task<bool> IsHeldAsync(LeaseToken token, TimeSpan margin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        await using var cmd = _source.CreateCommand(
            "SELECT 1 FROM leases WHERE name = 'leader' AND holder = $1 AND epoch = $2 AND expires_at > now() + make_interval(secs => $3)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = token.Holder });
        cmd.Parameters.Add(new NpgsqlParameter { Value = token.Epoch });
        cmd.Parameters.Add(new NpgsqlParameter { Value = margin.TotalSeconds });
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>Ends this replica's lease now (a clean stop), so a standby takes over at its next attempt.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("UPDATE leases SET expires_at = now() WHERE name = 'leader' AND holder = $1 AND expires_at > now()");
        cmd.Parameters.Add(new NpgsqlParameter { Value = Holder });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A replica id unique to this process start: host name, process id and a random part.</summary>
    public static string NewHolderId() =>
        string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Autoscaler.Service.Api;
using Npgsql;
using NpgsqlTypes;

namespace Autoscaler.Service.Storage;

/// <summary>The lease a replica acts under: who holds it and its epoch (raised at every change of holder).</summary>
/// <param name="Holder">The replica's id.</param>
/// <param name="Epoch">The lease's epoch when this replica took it.</param>
public sealed record LeaseToken(string Holder, long Epoch);

/// <summary>A journal write or a cloud call refused because this replica no longer holds the lease it acts under.</summary>
public sealed class FencedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public FencedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public FencedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public FencedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The same memory as <see cref="SqliteStore"/> in a PostgreSQL database (e.g. a Linode Managed Database), so several
/// replicas share one journal. Times are stored as Unix milliseconds like SQLite's, so both backends round-trip the
/// same values. With a <see cref="Fence"/>, every write to the journal (operations and pool records) happens in a
/// transaction that first checks, under a share lock of the lease row, that this replica still holds the lease at
/// that epoch by the database's clock: a deposed leader's write is refused, and a takeover waits for a write in flight.
/// </summary>
public sealed partial class PostgresStore : IAutoscalerStore, IStoreDiagnostics
{

    private readonly NpgsqlDataSource _source;
    private readonly SqliteStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _lastLock = new();
    private readonly Dictionary<string, string> _lastSignature = new(StringComparer.Ordinal);
    private int _writesSinceTrim;

    private PostgresStore(NpgsqlConnectionStringBuilder builder, SqliteStoreOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        Location = PostgresAddress.Redacted(builder);
        _source = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>The data source (the lease uses the same pool of connections).</summary>
    internal NpgsqlDataSource Source => _source;

    /// <summary>When set, journal writes are made only under this lease (null from it: refused at once).</summary>
    public Func<LeaseToken?>? Fence { get; set; }

    /// <summary>Connects (the URL as <see cref="PostgresAddress"/> reads it) and creates the schema when missing.
    /// Errors (<see cref="IOException"/>) name the database without its password.</summary>
    public static async Task<PostgresStore> OpenAsync(string url, TimeProvider? time = null, SqliteStoreOptions? options = null, CancellationToken cancellationToken = default)
    {
        var builder = PostgresAddress.Parse(url);
        var store = new PostgresStore(builder, options ?? new SqliteStoreOptions(), time ?? TimeProvider.System);
        try
        {
            await store.CreateSchemaAsync(cancellationToken).ConfigureAwait(false);
            await store.LoadLastSignaturesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            store.Dispose();
            // Npgsql's messages name host and user, never the password; the inner exception keeps the details.
            throw new IOException($"journal {store.Location}: cannot open the database: {ex.Message}", ex);
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    private async Task CreateSchemaAsync(CancellationToken ct)
    {
        await using var c = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        // Serialised: two replicas starting at once must not race on CREATE TABLE IF NOT EXISTS.
        await ExecuteAsync(c, "SELECT pg_advisory_lock(727272)", ct).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(c, """
                CREATE TABLE IF NOT EXISTS operations (
                  id TEXT PRIMARY KEY,
                  pool TEXT NOT NULL,
                  kind TEXT NOT NULL,
                  phase TEXT NOT NULL,
                  member_id TEXT,
                  label TEXT,
                  created_at BIGINT NOT NULL,
                  phase_since BIGINT NOT NULL,
                  reason TEXT NOT NULL,
                  closed_at BIGINT,
                  outcome TEXT,
                  detail TEXT);
                CREATE INDEX IF NOT EXISTS operations_open ON operations(pool, closed_at);
                CREATE TABLE IF NOT EXISTS pools (
                  pool TEXT PRIMARY KEY,
                  desired INTEGER NOT NULL,
                  last_scale_up_at BIGINT,
                  last_scale_up_served_at BIGINT,
                  last_scale_down_at BIGINT,
                  last_scale_down_done_at BIGINT,
                  scale_up_pending BOOLEAN NOT NULL,
                  scale_down_pending BOOLEAN NOT NULL);
                CREATE TABLE IF NOT EXISTS decisions (
                  id BIGSERIAL PRIMARY KEY,
                  pool TEXT NOT NULL,
                  at BIGINT NOT NULL,
                  action TEXT NOT NULL,
                  signature TEXT NOT NULL,
                  body TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS decisions_pool_at ON decisions(pool, at);
                CREATE TABLE IF NOT EXISTS operation_events (
                  id BIGSERIAL PRIMARY KEY,
                  pool TEXT NOT NULL,
                  at BIGINT NOT NULL,
                  operation_id TEXT NOT NULL,
                  type TEXT NOT NULL,
                  body TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS operation_events_pool_at ON operation_events(pool, at);
                CREATE TABLE IF NOT EXISTS lifetimes (
                  pool TEXT NOT NULL,
                  member_id TEXT NOT NULL,
                  created_at BIGINT NOT NULL,
                  deleted_at BIGINT NOT NULL,
                  hourly TEXT NOT NULL,
                  monthly TEXT,
                  period_ms BIGINT NOT NULL,
                  PRIMARY KEY (pool, member_id));
                CREATE INDEX IF NOT EXISTS lifetimes_pool_deleted ON lifetimes(pool, deleted_at);
                CREATE TABLE IF NOT EXISTS leases (
                  name TEXT PRIMARY KEY,
                  holder TEXT NOT NULL,
                  address TEXT NOT NULL,
                  epoch BIGINT NOT NULL,
                  expires_at TIMESTAMPTZ NOT NULL);
                """, ct).ConfigureAwait(false);
        }
        finally
        {
            await ExecuteAsync(c, "SELECT pg_advisory_unlock(727272)", ct).ConfigureAwait(false);
        }
    }

    private async Task LoadLastSignaturesAsync(CancellationToken ct)
    {
        await using var cmd = _source.CreateCommand("SELECT pool, signature FROM decisions WHERE id IN (SELECT MAX(id) FROM decisions GROUP BY pool)");
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            _lastSignature[r.GetString(0)] = r.GetString(1);
        }
    }

    // ---- IOperationJournal ----

    /// <inheritdoc />
    public async Task<IReadOnlyList<OperationRecord>> GetOpenOperationsAsync(string pool, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("SELECT id, pool, kind, phase, member_id, label, created_at, phase_since, reason FROM operations WHERE pool = $1 AND closed_at IS NULL ORDER BY created_at, id");
        cmd.Parameters.Add(new NpgsqlParameter { Value = pool });
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<OperationRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new OperationRecord
            {
                Id = r.GetString(0),
                Pool = r.GetString(1),
                Kind = Enum.Parse<OperationKind>(r.GetString(2)),
                Phase = Enum.Parse<OperationPhase>(r.GetString(3)),
                MemberId = r.IsDBNull(4) ? null : r.GetString(4),
                Label = r.IsDBNull(5) ? null : r.GetString(5),
                CreatedAt = FromMs(r.GetInt64(6)),
                PhaseSince = FromMs(r.GetInt64(7)),
                Reason = r.GetString(8),
            });
        }

        return list;
    }

    /// <inheritdoc />
    public async Task SaveOperationAsync(OperationRecord operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await FencedWriteAsync(async (c, tx) =>
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO operations (id, pool, kind, phase, member_id, label, created_at, phase_since, reason)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT(id) DO UPDATE SET phase = excluded.phase, member_id = excluded.member_id, label = excluded.label,
                  phase_since = excluded.phase_since, reason = excluded.reason, closed_at = NULL, outcome = NULL, detail = NULL
                """, c, tx);
            Add(cmd, operation.Id, operation.Pool, operation.Kind.ToString(), operation.Phase.ToString(), operation.MemberId, operation.Label,
                ToMs(operation.CreatedAt), ToMs(operation.PhaseSince), operation.Reason);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CloseOperationAsync(string operationId, OperationOutcome outcome, string detail, CancellationToken cancellationToken)
    {
        await FencedWriteAsync(async (c, tx) =>
        {
            await using var cmd = new NpgsqlCommand("UPDATE operations SET closed_at = $1, outcome = $2, detail = $3 WHERE id = $4 AND closed_at IS NULL", c, tx);
            Add(cmd, ToMs(_time.GetUtcNow()), outcome.ToString(), detail ?? "", operationId);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<PoolRecord?> GetPoolAsync(string pool, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("SELECT desired, last_scale_up_at, last_scale_up_served_at, last_scale_down_at, last_scale_down_done_at, scale_up_pending, scale_down_pending FROM pools WHERE pool = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = pool });
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new PoolRecord
        {
            Pool = pool,
            Desired = r.GetInt32(0),
            LastScaleUpAt = NullableTime(r, 1),
            LastScaleUpServedAt = NullableTime(r, 2),
            LastScaleDownAt = NullableTime(r, 3),
            LastScaleDownDoneAt = NullableTime(r, 4),
            ScaleUpPending = r.GetBoolean(5),
            ScaleDownPending = r.GetBoolean(6),
        };
    }

    /// <inheritdoc />
    public async Task SavePoolAsync(PoolRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await FencedWriteAsync(async (c, tx) =>
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO pools (pool, desired, last_scale_up_at, last_scale_up_served_at, last_scale_down_at,
                  last_scale_down_done_at, scale_up_pending, scale_down_pending)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT(pool) DO UPDATE SET desired = excluded.desired, last_scale_up_at = excluded.last_scale_up_at,
                  last_scale_up_served_at = excluded.last_scale_up_served_at, last_scale_down_at = excluded.last_scale_down_at,
                  last_scale_down_done_at = excluded.last_scale_down_done_at, scale_up_pending = excluded.scale_up_pending,
                  scale_down_pending = excluded.scale_down_pending
                """, c, tx);
            Add(cmd, record.Pool, record.Desired, NullableMs(record.LastScaleUpAt), NullableMs(record.LastScaleUpServedAt),
                NullableMs(record.LastScaleDownAt), NullableMs(record.LastScaleDownDoneAt), record.ScaleUpPending, record.ScaleDownPending);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    // ---- IDecisionLog ----

    /// <inheritdoc />
    public async ValueTask<bool> TryRecordDecisionAsync(Decision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var signature = SqliteStore.Signature(decision);
        var changes = decision.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown or DecisionAction.DryRun;
        lock (_lastLock)
        {
            if (!changes && _lastSignature.TryGetValue(decision.Pool, out var last) && string.Equals(last, signature, StringComparison.Ordinal))
            {
                return false;
            }

            _lastSignature[decision.Pool] = signature;
        }

        var body = JsonSerializer.Serialize(StoredDecision.From(decision), StoreJson.Decision);
        await WriteAsync(async (c, tx) =>
        {
            await using var cmd = new NpgsqlCommand("INSERT INTO decisions (pool, at, action, signature, body) VALUES ($1, $2, $3, $4, $5)", c, tx);
            Add(cmd, decision.Pool, ToMs(decision.At), decision.Action.ToString(), signature, body);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async ValueTask RecordDecisionAsync(Decision decision, CancellationToken cancellationToken) =>
        await TryRecordDecisionAsync(decision, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask RecordOperationAsync(OperationEvent operationEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operationEvent);
        var body = JsonSerializer.Serialize(operationEvent, StoreJson.Operation);
        await WriteAsync(async (c, tx) =>
        {
            await using var cmd = new NpgsqlCommand("INSERT INTO operation_events (pool, at, operation_id, type, body) VALUES ($1, $2, $3, $4, $5)", c, tx);
            Add(cmd, operationEvent.Pool, ToMs(operationEvent.At), operationEvent.OperationId, operationEvent.Type.ToString(), body);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    // ---- queries ----

    /// <inheritdoc />
    public IReadOnlyList<StoredEvent> GetEvents(string? pool, int limit)
    {
        limit = Math.Clamp(limit, 1, 10_000);
        var result = new List<StoredEvent>();
        foreach (var table in new[] { "decisions", "operation_events" })
        {
            using var cmd = _source.CreateCommand($"SELECT id, body FROM {table} {(pool is null ? "" : "WHERE pool = $2")} ORDER BY at DESC, id DESC LIMIT $1");
            cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
            if (pool is not null)
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = pool });
            }

            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var id = r.GetInt64(0);
                var body = r.GetString(1);
                result.Add(table == "decisions"
                    ? new StoredEvent(id, JsonSerializer.Deserialize(body, StoreJson.Decision)!.ToDecision(), null)
                    : new StoredEvent(id, null, JsonSerializer.Deserialize(body, StoreJson.Operation)));
            }
        }

        return result.OrderByDescending(e => e.At).ThenByDescending(e => e.Decision is null ? 0 : 1).ThenByDescending(e => e.Id).Take(limit).ToArray();
    }

    long IStoreDiagnostics.Count(string table)
    {
        using var cmd = _source.CreateCommand(table switch
        {
            "decisions" or "operation_events" or "operations" or "pools" or "lifetimes" or "leases" => $"SELECT COUNT(*) FROM {table}",
            _ => throw new ArgumentException("unknown table", nameof(table)),
        });
        return (long)cmd.ExecuteScalar()!;
    }

    void IStoreDiagnostics.TrimNow()
    {
        using var c = _source.OpenConnection();
        TrimAsync(c, null).GetAwaiter().GetResult();
    }

    /// <summary>Closes the pool of connections.</summary>
    public void Dispose() => _source.Dispose();

    private async Task FencedWriteAsync(Func<NpgsqlConnection, NpgsqlTransaction, Task> action, CancellationToken ct)
    {
        if (Fence is not { } fence)
        {
            await WriteAsync(action, ct).ConfigureAwait(false);
            return;
        }

        var token = fence() ?? throw new FencedException("this replica does not hold the leader lease: the journal write is refused");
        await WriteAsync(async (c, tx) =>
        {
            await using (var check = new NpgsqlCommand("SELECT 1 FROM leases WHERE name = 'leader' AND holder = $1 AND epoch = $2 AND expires_at > now() FOR SHARE", c, tx))
            {
                Add(check, token.Holder, token.Epoch);
                if (await check.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false) is null)
                {
                    throw new FencedException($"the leader lease of epoch {token.Epoch} is lost: the journal write is refused");
                }
            }

            await action(c, tx).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    private async Task WriteAsync(Func<NpgsqlConnection, NpgsqlTransaction, Task> action, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // Cancellation is not honoured once the write starts: a journaled intent must not be half-written.
        await using var c = await _source.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
        await action(c, tx).ConfigureAwait(false);
        if (Interlocked.Increment(ref _writesSinceTrim) >= _options.TrimEvery)
        {
            Interlocked.Exchange(ref _writesSinceTrim, 0);
            await TrimAsync(c, tx).ConfigureAwait(false);
        }

        await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task TrimAsync(NpgsqlConnection c, NpgsqlTransaction? tx)
    {
        foreach (var sql in new[]
        {
            $"DELETE FROM decisions WHERE id <= (SELECT MAX(id) FROM decisions) - {_options.MaxDecisions}",
            $"DELETE FROM operation_events WHERE id <= (SELECT MAX(id) FROM operation_events) - {_options.MaxOperationEvents}",
            $"DELETE FROM operations WHERE closed_at IS NOT NULL AND id NOT IN (SELECT id FROM operations WHERE closed_at IS NOT NULL ORDER BY closed_at DESC LIMIT {_options.MaxClosedOperations})",
        })
        {
            await using var cmd = new NpgsqlCommand(sql, c, tx);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection c, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static void Add(NpgsqlCommand cmd, params object?[] values)
    {
        foreach (var v in values)
        {
            // A null string is text; DBNull is a missing time (bigint): typed, so PostgreSQL never has to guess.
            cmd.Parameters.Add(v switch
            {
                null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                DBNull => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint },
                _ => new NpgsqlParameter { Value = v },
            });
        }
    }

    private static long ToMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static object NullableMs(DateTimeOffset? t) => t is { } v ? ToMs(v) : DBNull.Value;

    private static DateTimeOffset? NullableTime(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : FromMs(r.GetInt64(i));
}

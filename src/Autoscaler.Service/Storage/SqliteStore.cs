using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Autoscaler.Core;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Autoscaler.Service.Api;
using Microsoft.Data.Sqlite;

namespace Autoscaler.Service.Storage;

/// <summary>Limits of the audit tables (of either backend).</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>Most decisions kept (oldest dropped first). Default 20,000.</summary>
    public int MaxDecisions { get; init; } = 20_000;

    /// <summary>Most operation events kept. Default 20,000.</summary>
    public int MaxOperationEvents { get; init; } = 20_000;

    /// <summary>Most closed operations kept. Default 5,000.</summary>
    public int MaxClosedOperations { get; init; } = 5_000;

    /// <summary>Rows written between two trims. Default 200.</summary>
    public int TrimEvery { get; init; } = 200;
}

/// <summary>One row of the audit trail as <c>GET /api/v1/events</c> serves it: a decision or an operation event.</summary>
/// <param name="Id">Row id (unique within its kind).</param>
/// <param name="Decision">The decision, when this is one.</param>
/// <param name="Operation">The operation event, when this is one.</param>
public sealed record StoredEvent(long Id, Decision? Decision, OperationEvent? Operation)
{
    /// <summary>When it happened.</summary>
    public DateTimeOffset At => Decision?.At ?? Operation!.At;

    /// <summary>Pool name.</summary>
    public string Pool => Decision?.Pool ?? Operation!.Pool;
}

/// <summary>
/// The service's durable memory in one SQLite file (WAL): the operation journal (<see cref="IOperationJournal"/>), the
/// pools' desired sizes and cooldown marks, and the audit trail (<see cref="IDecisionLog"/>). One connection per call
/// (pooled by Microsoft.Data.Sqlite) and one writer at a time, so parallel launches never meet SQLITE_BUSY.
/// <para>Decisions are kept only when they change something or when their outcome differs from the pool's previous
/// decision (same hold for the same reason every cycle is stored once), and every table is capped, so the file stays
/// small however long the service runs.</para>
/// </summary>
public sealed partial class SqliteStore : IAutoscalerStore, IStoreDiagnostics
{

    private readonly string _connectionString;
    private readonly SqliteStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Lock _lastLock = new();
    private readonly Dictionary<string, string> _lastSignature = new(StringComparer.Ordinal);
    private int _writesSinceTrim;

    private SqliteStore(string path, SqliteStoreOptions options, TimeProvider time)
    {
        Path = path;
        _time = time;
        _options = options;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Location => Path;

    /// <summary>Opens (creating when needed) the database at <paramref name="path"/> and its schema.</summary>
    public static SqliteStore Open(string path, TimeProvider? time = null, SqliteStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        if (System.IO.Path.GetDirectoryName(full) is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
        }

        var store = new SqliteStore(full, options ?? new SqliteStoreOptions(), time ?? TimeProvider.System);
        try
        {
            store.CreateSchema();
            store.LoadLastSignatures();
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    private void CreateSchema()
    {
        using var c = OpenConnection();
        Execute(c, "PRAGMA journal_mode=WAL;");
        Execute(c, """
            CREATE TABLE IF NOT EXISTS operations (
              id TEXT PRIMARY KEY,
              pool TEXT NOT NULL,
              kind TEXT NOT NULL,
              phase TEXT NOT NULL,
              member_id TEXT,
              label TEXT,
              created_at INTEGER NOT NULL,
              phase_since INTEGER NOT NULL,
              reason TEXT NOT NULL,
              closed_at INTEGER,
              outcome TEXT,
              detail TEXT);
            CREATE INDEX IF NOT EXISTS operations_open ON operations(pool, closed_at);
            CREATE TABLE IF NOT EXISTS pools (
              pool TEXT PRIMARY KEY,
              desired INTEGER NOT NULL,
              last_scale_up_at INTEGER,
              last_scale_up_served_at INTEGER,
              last_scale_down_at INTEGER,
              last_scale_down_done_at INTEGER,
              scale_up_pending INTEGER NOT NULL,
              scale_down_pending INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS decisions (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              pool TEXT NOT NULL,
              at INTEGER NOT NULL,
              action TEXT NOT NULL,
              signature TEXT NOT NULL,
              body TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS decisions_pool_at ON decisions(pool, at);
            CREATE TABLE IF NOT EXISTS operation_events (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              pool TEXT NOT NULL,
              at INTEGER NOT NULL,
              operation_id TEXT NOT NULL,
              type TEXT NOT NULL,
              body TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS operation_events_pool_at ON operation_events(pool, at);
            """);
        CreateBillingSchema(c);
    }

    private void LoadLastSignatures()
    {
        using var c = OpenConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT pool, signature FROM decisions WHERE id IN (SELECT MAX(id) FROM decisions GROUP BY pool)";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            _lastSignature[r.GetString(0)] = r.GetString(1);
        }
    }

    // ---- IOperationJournal ----

    /// <inheritdoc />
    public Task<IReadOnlyList<OperationRecord>> GetOpenOperationsAsync(string pool, CancellationToken cancellationToken)
    {
        using var c = OpenConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, pool, kind, phase, member_id, label, created_at, phase_since, reason FROM operations WHERE pool = $pool AND closed_at IS NULL ORDER BY created_at, id";
        cmd.Parameters.AddWithValue("$pool", pool);
        using var r = cmd.ExecuteReader();
        var list = new List<OperationRecord>();
        while (r.Read())
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

        return Task.FromResult<IReadOnlyList<OperationRecord>>(list);
    }

    /// <inheritdoc />
    public async Task SaveOperationAsync(OperationRecord operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await WriteAsync(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT INTO operations (id, pool, kind, phase, member_id, label, created_at, phase_since, reason)
                VALUES ($id, $pool, $kind, $phase, $member, $label, $created, $since, $reason)
                ON CONFLICT(id) DO UPDATE SET phase = excluded.phase, member_id = excluded.member_id, label = excluded.label,
                  phase_since = excluded.phase_since, reason = excluded.reason, closed_at = NULL, outcome = NULL, detail = NULL
                """;
            cmd.Parameters.AddWithValue("$id", operation.Id);
            cmd.Parameters.AddWithValue("$pool", operation.Pool);
            cmd.Parameters.AddWithValue("$kind", operation.Kind.ToString());
            cmd.Parameters.AddWithValue("$phase", operation.Phase.ToString());
            cmd.Parameters.AddWithValue("$member", (object?)operation.MemberId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$label", (object?)operation.Label ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$created", ToMs(operation.CreatedAt));
            cmd.Parameters.AddWithValue("$since", ToMs(operation.PhaseSince));
            cmd.Parameters.AddWithValue("$reason", operation.Reason);
            cmd.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CloseOperationAsync(string operationId, OperationOutcome outcome, string detail, CancellationToken cancellationToken)
    {
        await WriteAsync(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE operations SET closed_at = $at, outcome = $outcome, detail = $detail WHERE id = $id AND closed_at IS NULL";
            cmd.Parameters.AddWithValue("$id", operationId);
            cmd.Parameters.AddWithValue("$at", ToMs(_time.GetUtcNow()));
            cmd.Parameters.AddWithValue("$outcome", outcome.ToString());
            cmd.Parameters.AddWithValue("$detail", detail ?? "");
            cmd.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<PoolRecord?> GetPoolAsync(string pool, CancellationToken cancellationToken)
    {
        using var c = OpenConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT desired, last_scale_up_at, last_scale_up_served_at, last_scale_down_at, last_scale_down_done_at, scale_up_pending, scale_down_pending FROM pools WHERE pool = $pool";
        cmd.Parameters.AddWithValue("$pool", pool);
        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            return Task.FromResult<PoolRecord?>(null);
        }

        return Task.FromResult<PoolRecord?>(new PoolRecord
        {
            Pool = pool,
            Desired = r.GetInt32(0),
            LastScaleUpAt = NullableTime(r, 1),
            LastScaleUpServedAt = NullableTime(r, 2),
            LastScaleDownAt = NullableTime(r, 3),
            LastScaleDownDoneAt = NullableTime(r, 4),
            ScaleUpPending = r.GetInt64(5) != 0,
            ScaleDownPending = r.GetInt64(6) != 0,
        });
    }

    /// <inheritdoc />
    public async Task SavePoolAsync(PoolRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await WriteAsync(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT OR REPLACE INTO pools (pool, desired, last_scale_up_at, last_scale_up_served_at, last_scale_down_at,
                  last_scale_down_done_at, scale_up_pending, scale_down_pending)
                VALUES ($pool, $desired, $upAt, $upServed, $downAt, $downDone, $upPending, $downPending)
                """;
            cmd.Parameters.AddWithValue("$pool", record.Pool);
            cmd.Parameters.AddWithValue("$desired", record.Desired);
            cmd.Parameters.AddWithValue("$upAt", NullableMs(record.LastScaleUpAt));
            cmd.Parameters.AddWithValue("$upServed", NullableMs(record.LastScaleUpServedAt));
            cmd.Parameters.AddWithValue("$downAt", NullableMs(record.LastScaleDownAt));
            cmd.Parameters.AddWithValue("$downDone", NullableMs(record.LastScaleDownDoneAt));
            cmd.Parameters.AddWithValue("$upPending", record.ScaleUpPending ? 1 : 0);
            cmd.Parameters.AddWithValue("$downPending", record.ScaleDownPending ? 1 : 0);
            cmd.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    // ---- IDecisionLog ----

    /// <summary>Stores the decision when it changes something or differs from the pool's previous one; returns
    /// whether it was stored.</summary>
    public async ValueTask<bool> TryRecordDecisionAsync(Decision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var signature = Signature(decision);
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
        await WriteAsync(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO decisions (pool, at, action, signature, body) VALUES ($pool, $at, $action, $sig, $body)";
            cmd.Parameters.AddWithValue("$pool", decision.Pool);
            cmd.Parameters.AddWithValue("$at", ToMs(decision.At));
            cmd.Parameters.AddWithValue("$action", decision.Action.ToString());
            cmd.Parameters.AddWithValue("$sig", signature);
            cmd.Parameters.AddWithValue("$body", body);
            cmd.ExecuteNonQuery();
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
        await WriteAsync(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO operation_events (pool, at, operation_id, type, body) VALUES ($pool, $at, $op, $type, $body)";
            cmd.Parameters.AddWithValue("$pool", operationEvent.Pool);
            cmd.Parameters.AddWithValue("$at", ToMs(operationEvent.At));
            cmd.Parameters.AddWithValue("$op", operationEvent.OperationId);
            cmd.Parameters.AddWithValue("$type", operationEvent.Type.ToString());
            cmd.Parameters.AddWithValue("$body", body);
            cmd.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }

    // ---- queries ----

    /// <summary>Decisions and operation events, newest first, optionally of one pool.</summary>
    public IReadOnlyList<StoredEvent> GetEvents(string? pool, int limit)
    {
        limit = Math.Clamp(limit, 1, 10_000);
        var result = new List<StoredEvent>();
        using var c = OpenConnection();
        foreach (var table in new[] { "decisions", "operation_events" })
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT id, body FROM {table} {(pool is null ? "" : "WHERE pool = $pool")} ORDER BY at DESC, id DESC LIMIT $limit";
            if (pool is not null)
            {
                cmd.Parameters.AddWithValue("$pool", pool);
            }

            cmd.Parameters.AddWithValue("$limit", limit);
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

    /// <summary>Number of rows in a table (for tests and diagnostics).</summary>
    internal long Count(string table)
    {
        using var c = OpenConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = table switch
        {
            "decisions" or "operation_events" or "operations" or "pools" or "lifetimes" => $"SELECT COUNT(*) FROM {table}",
            _ => throw new ArgumentException("unknown table", nameof(table)),
        };
        return (long)cmd.ExecuteScalar()!;
    }

    long IStoreDiagnostics.Count(string table) => Count(table);

    void IStoreDiagnostics.TrimNow() => TrimNow();

    /// <summary>Releases pooled connections so the file can be moved or deleted.</summary>
    public void Dispose()
    {
        using (var c = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(c);
        }

        _write.Dispose();
    }

    private async Task WriteAsync(Action<SqliteConnection> action, CancellationToken ct)
    {
        // Cancellation is not honoured once the write starts: a journaled intent must not be half-written.
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var c = OpenConnection();
            action(c);
            if (++_writesSinceTrim >= _options.TrimEvery)
            {
                _writesSinceTrim = 0;
                Trim(c);
            }
        }
        finally
        {
            _write.Release();
        }
    }

    private void Trim(SqliteConnection c)
    {
        Execute(c, $"DELETE FROM decisions WHERE id <= (SELECT MAX(id) FROM decisions) - {_options.MaxDecisions}");
        Execute(c, $"DELETE FROM operation_events WHERE id <= (SELECT MAX(id) FROM operation_events) - {_options.MaxOperationEvents}");
        Execute(c, $"DELETE FROM operations WHERE closed_at IS NOT NULL AND id NOT IN (SELECT id FROM operations WHERE closed_at IS NOT NULL ORDER BY closed_at DESC LIMIT {_options.MaxClosedOperations})");
    }

    /// <summary>Trims now (tests).</summary>
    internal void TrimNow()
    {
        using var c = OpenConnection();
        Trim(c);
    }

    private SqliteConnection OpenConnection()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>What makes two decisions "the same outcome": action, skip, direction and sizes, plus each signal's
    /// direction and wish; not the free text, which carries times and metric values that move every cycle.</summary>
    internal static string Signature(Decision d) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{d.Action}|{d.Skip}|{d.Direction}|{d.PreviousDesired}>{d.Desired}|{d.Min}..{d.Max}|{string.Join(";", d.Recommendations.Select(r => $"{r.Signal}:{r.Direction}:{r.Desired}:{r.MissingData}"))}");

    private static long ToMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static object NullableMs(DateTimeOffset? t) => t is { } v ? ToMs(v) : DBNull.Value;

    private static DateTimeOffset? NullableTime(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : FromMs(r.GetInt64(i));
}

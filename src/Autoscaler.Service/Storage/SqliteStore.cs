using System.Globalization;
using System.Data.Common;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
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
    private readonly DecisionRows _decisions = new();
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

    private void LoadLastSignatures() =>
        _decisions.Load(Query(DecisionRows.LastSignatures, [], r => (r.GetString(0), r.GetString(1))));

    // ---- IOperationJournal ----

    /// <inheritdoc />
    public Task<IReadOnlyList<OperationRecord>> GetOpenOperationsAsync(string pool, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<OperationRecord>>(Query(JournalRows.OpenOperations, [pool], JournalRows.ReadOperation));

    /// <inheritdoc />
    public async Task SaveOperationAsync(OperationRecord operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await WriteAsync(JournalRows.SaveOperation, JournalRows.SaveOperationValues(operation), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CloseOperationAsync(string operationId, OperationOutcome outcome, string detail, CancellationToken cancellationToken) =>
        await WriteAsync(JournalRows.CloseOperation, JournalRows.CloseOperationValues(operationId, outcome, detail, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public Task<PoolRecord?> GetPoolAsync(string pool, CancellationToken cancellationToken) =>
        Task.FromResult(Query(JournalRows.GetPool, [pool], r => JournalRows.ReadPool(pool, r)).SingleOrDefault());

    /// <inheritdoc />
    public async Task SavePoolAsync(PoolRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await WriteAsync(JournalRows.SavePool, JournalRows.SavePoolValues(record), cancellationToken).ConfigureAwait(false);
    }

    // ---- IDecisionLog ----

    /// <summary>Stores the decision when it changes something or differs from the pool's previous one; returns
    /// whether it was stored.</summary>
    public async ValueTask<bool> TryRecordDecisionAsync(Decision decision, CancellationToken cancellationToken)
    {
        if (_decisions.Admit(decision) is not { } values)
        {
            return false;
        }

        await WriteAsync(DecisionRows.InsertDecision, values, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async ValueTask RecordDecisionAsync(Decision decision, CancellationToken cancellationToken) =>
        await TryRecordDecisionAsync(decision, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask RecordOperationAsync(OperationEvent operationEvent, CancellationToken cancellationToken) =>
        await WriteAsync(DecisionRows.InsertOperationEvent, DecisionRows.OperationEventValues(operationEvent), cancellationToken).ConfigureAwait(false);

    // ---- queries ----

    /// <summary>Decisions and operation events, newest first, optionally of one pool.</summary>
    public IReadOnlyList<StoredEvent> GetEvents(string? pool, int limit) => DecisionRows.GetEvents(Query, pool, limit);

    /// <summary>Number of rows in a table (for tests and diagnostics).</summary>
    internal long Count(string table)
    {
        using var c = OpenConnection();
        using var cmd = c.CreateCommand();
        cmd.CommandText = JournalRows.CountSql(table, withLeases: false);
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

    /// <summary>Runs one of the shared statements as the single writer.</summary>
    private Task WriteAsync(string sql, object?[] values, CancellationToken ct) => WriteAsync(c =>
    {
        using var cmd = Command(c, sql, values);
        cmd.ExecuteNonQuery();
    }, ct);

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
        foreach (var sql in JournalRows.TrimStatements(_options))
        {
            Execute(c, sql);
        }
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

    private List<T> Query<T>(string sql, object?[] values, Func<DbDataReader, T> map)
    {
        using var c = OpenConnection();
        using var cmd = Command(c, sql, values);
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(map(r));
        }

        return list;
    }

    /// <summary>The shared SQL's <c>$1</c>, <c>$2</c>… are SQLite parameters of those names.</summary>
    private static SqliteCommand Command(SqliteConnection c, string sql, object?[] values)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            cmd.Parameters.AddWithValue("$" + (i + 1).ToString(CultureInfo.InvariantCulture), values[i] ?? DBNull.Value);
        }

        return cmd;
    }
}

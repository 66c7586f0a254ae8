using System.Data.Common;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
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
    private readonly DecisionRows _decisions = new();
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

    private async Task LoadLastSignaturesAsync(CancellationToken ct) =>
        _decisions.Load(await QueryAsync(DecisionRows.LastSignatures, [], r => (r.GetString(0), r.GetString(1)), ct).ConfigureAwait(false));

    // ---- IOperationJournal ----

    /// <inheritdoc />
    public async Task<IReadOnlyList<OperationRecord>> GetOpenOperationsAsync(string pool, CancellationToken cancellationToken) =>
        await QueryAsync(JournalRows.OpenOperations, [pool], JournalRows.ReadOperation, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task SaveOperationAsync(OperationRecord operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await FencedWriteAsync(JournalRows.SaveOperation, JournalRows.SaveOperationValues(operation), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CloseOperationAsync(string operationId, OperationOutcome outcome, string detail, CancellationToken cancellationToken) =>
        await FencedWriteAsync(JournalRows.CloseOperation, JournalRows.CloseOperationValues(operationId, outcome, detail, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<PoolRecord?> GetPoolAsync(string pool, CancellationToken cancellationToken) =>
        (await QueryAsync(JournalRows.GetPool, [pool], r => JournalRows.ReadPool(pool, r), cancellationToken).ConfigureAwait(false)).SingleOrDefault();

    /// <inheritdoc />
    public async Task SavePoolAsync(PoolRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await FencedWriteAsync(JournalRows.SavePool, JournalRows.SavePoolValues(record), cancellationToken).ConfigureAwait(false);
    }

    // ---- IDecisionLog ----

    /// <inheritdoc />
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

    /// <inheritdoc />
    public IReadOnlyList<StoredEvent> GetEvents(string? pool, int limit) => DecisionRows.GetEvents(Query, pool, limit);

    long IStoreDiagnostics.Count(string table)
    {
        using var cmd = _source.CreateCommand(JournalRows.CountSql(table, withLeases: true));
        return (long)cmd.ExecuteScalar()!;
    }

    void IStoreDiagnostics.TrimNow()
    {
        using var c = _source.OpenConnection();
        TrimAsync(c, null).GetAwaiter().GetResult();
    }

    /// <summary>Closes the pool of connections.</summary>
    public void Dispose() => _source.Dispose();

    /// <summary>Runs one of the shared statements in a transaction that first checks this replica's lease (when a
    /// <see cref="Fence"/> is set).</summary>
    private async Task FencedWriteAsync(string sql, object?[] values, CancellationToken ct)
    {
        if (Fence is not { } fence)
        {
            await WriteAsync(sql, values, ct).ConfigureAwait(false);
            return;
        }

        var token = fence() ?? throw new FencedException("this replica does not hold the leader lease: the journal write is refused");
        await WriteAsync(async (c, tx) =>
        {
            await using (var check = Command("SELECT 1 FROM leases WHERE name = 'leader' AND holder = $1 AND epoch = $2 AND expires_at > now() FOR SHARE", [token.Holder, token.Epoch], c, tx))
            {
                if (await check.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false) is null)
                {
                    throw new FencedException($"the leader lease of epoch {token.Epoch} is lost: the journal write is refused");
                }
            }

            await RunAsync(c, tx, sql, values).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
    }

    private Task WriteAsync(string sql, object?[] values, CancellationToken ct) => WriteAsync((c, tx) => RunAsync(c, tx, sql, values), ct);

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
        foreach (var sql in JournalRows.TrimStatements(_options))
        {
            await RunAsync(c, tx, sql, []).ConfigureAwait(false);
        }
    }

    private static async Task RunAsync(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, object?[] values)
    {
        await using var cmd = Command(sql, values, c, tx);
        await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object?[] values, Func<DbDataReader, T> map, CancellationToken ct)
    {
        await using var c = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(sql, values, c, null);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<T>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(map(r));
        }

        return list;
    }

    private List<T> Query<T>(string sql, object?[] values, Func<DbDataReader, T> map)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(sql, values, c, null);
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(map(r));
        }

        return list;
    }

    private static async Task ExecuteAsync(NpgsqlConnection c, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static NpgsqlCommand Command(string sql, object?[] values, NpgsqlConnection c, NpgsqlTransaction? tx)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
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

        return cmd;
    }
}

using System.Data.Common;
using System.Globalization;
using Autoscaler.Core.Billing;
using Autoscaler.Core.Pools;

namespace Autoscaler.Service.Storage;

/// <summary>
/// The journal's and the billing ledger's rows as both backends write and read them: one SQL text per statement, the
/// values in parameter order and the mapping of a row back to its record, so <see cref="SqliteStore"/> and
/// <see cref="PostgresStore"/> cannot drift apart. Only the schema's column types and each backend's way to run a
/// statement (SQLite's single writer, PostgreSQL's fenced transaction) stay in the backends.
/// <para>Parameters are written <c>$1</c>, <c>$2</c>…: PostgreSQL binds them by position, SQLite by the name
/// <c>$1</c>. Times are Unix milliseconds (both backends round-trip the same values); a missing time is
/// <see cref="DBNull"/> (a bigint), a missing text is null; booleans are stored as SQLite integers 0/1.</para>
/// </summary>
internal static class JournalRows
{
    public const string OpenOperations =
        "SELECT id, pool, kind, phase, member_id, label, created_at, phase_since, reason FROM operations WHERE pool = $1 AND closed_at IS NULL ORDER BY created_at, id";

    public const string SaveOperation = """
        INSERT INTO operations (id, pool, kind, phase, member_id, label, created_at, phase_since, reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT(id) DO UPDATE SET phase = excluded.phase, member_id = excluded.member_id, label = excluded.label,
          phase_since = excluded.phase_since, reason = excluded.reason, closed_at = NULL, outcome = NULL, detail = NULL
        """;

    public const string CloseOperation = "UPDATE operations SET closed_at = $1, outcome = $2, detail = $3 WHERE id = $4 AND closed_at IS NULL";

    public const string GetPool =
        "SELECT desired, last_scale_up_at, last_scale_up_served_at, last_scale_down_at, last_scale_down_done_at, scale_up_pending, scale_down_pending FROM pools WHERE pool = $1";

    public const string SavePool = """
        INSERT INTO pools (pool, desired, last_scale_up_at, last_scale_up_served_at, last_scale_down_at,
          last_scale_down_done_at, scale_up_pending, scale_down_pending)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT(pool) DO UPDATE SET desired = excluded.desired, last_scale_up_at = excluded.last_scale_up_at,
          last_scale_up_served_at = excluded.last_scale_up_served_at, last_scale_down_at = excluded.last_scale_down_at,
          last_scale_down_done_at = excluded.last_scale_down_done_at, scale_up_pending = excluded.scale_up_pending,
          scale_down_pending = excluded.scale_down_pending
        """;

    /// <summary>Recording the same member again keeps the first record: its delete call is the one the cloud billed
    /// to (a retried delete after a crash must not move it). Prices are invariant decimal text, so sums stay exact.</summary>
    public const string RecordLifetime = """
        INSERT INTO lifetimes (pool, member_id, created_at, deleted_at, hourly, monthly, period_ms)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT(pool, member_id) DO NOTHING
        """;

    public const string DeletedSince = """
        SELECT member_id, created_at, deleted_at, hourly, monthly, period_ms FROM lifetimes
        WHERE pool = $1 AND deleted_at >= $2 ORDER BY deleted_at, member_id
        """;

    public static object?[] SaveOperationValues(OperationRecord o) =>
    [
        o.Id, o.Pool, o.Kind.ToString(), o.Phase.ToString(), o.MemberId, o.Label, ToMs(o.CreatedAt), ToMs(o.PhaseSince), o.Reason,
    ];

    public static object?[] CloseOperationValues(string operationId, OperationOutcome outcome, string? detail, DateTimeOffset at) =>
        [ToMs(at), outcome.ToString(), detail ?? "", operationId];

    public static object?[] SavePoolValues(PoolRecord r) =>
    [
        r.Pool, r.Desired, NullableMs(r.LastScaleUpAt), NullableMs(r.LastScaleUpServedAt), NullableMs(r.LastScaleDownAt),
        NullableMs(r.LastScaleDownDoneAt), r.ScaleUpPending, r.ScaleDownPending,
    ];

    public static object?[] LifetimeValues(EndedLifetime l) =>
    [
        l.Pool, l.MemberId, ToMs(l.Created), ToMs(l.Deleted), l.Terms.Price.Hourly.ToString(CultureInfo.InvariantCulture),
        l.Terms.Price.Monthly is { } m ? m.ToString(CultureInfo.InvariantCulture) : null, (long)l.Terms.Period.TotalMilliseconds,
    ];

    public static object?[] DeletedSinceValues(string pool, DateTimeOffset since) => [pool, ToMs(since)];

    /// <summary>A row of <see cref="OpenOperations"/>.</summary>
    public static OperationRecord ReadOperation(DbDataReader r) => new()
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
    };

    /// <summary>A row of <see cref="GetPool"/> (SQLite reads its 0/1 integers as booleans).</summary>
    public static PoolRecord ReadPool(string pool, DbDataReader r) => new()
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

    /// <summary>A row of <see cref="DeletedSince"/>.</summary>
    public static EndedLifetime ReadLifetime(string pool, DbDataReader r)
    {
        var price = new InstancePrice(
            decimal.Parse(r.GetString(3), NumberStyles.Number, CultureInfo.InvariantCulture),
            r.IsDBNull(4) ? null : decimal.Parse(r.GetString(4), NumberStyles.Number, CultureInfo.InvariantCulture));
        return new EndedLifetime(pool, r.GetString(0), FromMs(r.GetInt64(1)), FromMs(r.GetInt64(2)),
            new BillingTerms(price, TimeSpan.FromMilliseconds(r.GetInt64(5))));
    }

    /// <summary>The statements that cap the tables (oldest rows first; open operations are never dropped).</summary>
    public static string[] TrimStatements(SqliteStoreOptions options) =>
    [
        $"DELETE FROM decisions WHERE id <= (SELECT MAX(id) FROM decisions) - {options.MaxDecisions}",
        $"DELETE FROM operation_events WHERE id <= (SELECT MAX(id) FROM operation_events) - {options.MaxOperationEvents}",
        $"DELETE FROM operations WHERE closed_at IS NOT NULL AND id NOT IN (SELECT id FROM operations WHERE closed_at IS NOT NULL ORDER BY closed_at DESC LIMIT {options.MaxClosedOperations})",
    ];

    /// <summary>The diagnostics' row count of one of the store's tables (any other name is refused).</summary>
    public static string CountSql(string table, bool withLeases) => table switch
    {
        "decisions" or "operation_events" or "operations" or "pools" or "lifetimes" => $"SELECT COUNT(*) FROM {table}",
        "leases" when withLeases => "SELECT COUNT(*) FROM leases",
        _ => throw new ArgumentException("unknown table", nameof(table)),
    };

    public static long ToMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static object NullableMs(DateTimeOffset? t) => t is { } v ? ToMs(v) : DBNull.Value;

    private static DateTimeOffset? NullableTime(DbDataReader r, int i) => r.IsDBNull(i) ? null : FromMs(r.GetInt64(i));
}

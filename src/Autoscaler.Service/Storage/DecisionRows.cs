using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Autoscaler.Core.Audit;
using Autoscaler.Service.Api;

namespace Autoscaler.Service.Storage;

/// <summary>Runs one query of the shared SQL on a backend and maps its rows.</summary>
internal delegate IReadOnlyList<T> RowQuery<T>(string sql, object?[] values, Func<DbDataReader, T> map);

/// <summary>
/// The audit trail's rows as both backends keep them (the SQL and parameter conventions of <see cref="JournalRows"/>):
/// which decisions are worth a row, their JSON bodies, and the merge of decisions and operation events into one
/// newest-first list. One instance per store holds each pool's last stored outcome.
/// <para>A decision is stored as the <see cref="Decision"/> itself: the body is its JSON, so a field added to the
/// record is kept without a second copy of its shape here.</para>
/// </summary>
internal sealed class DecisionRows
{
    public const string LastSignatures = "SELECT pool, signature FROM decisions WHERE id IN (SELECT MAX(id) FROM decisions GROUP BY pool)";

    public const string InsertDecision = "INSERT INTO decisions (pool, at, action, signature, body) VALUES ($1, $2, $3, $4, $5)";

    public const string InsertOperationEvent = "INSERT INTO operation_events (pool, at, operation_id, type, body) VALUES ($1, $2, $3, $4, $5)";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, string> _lastSignature = new(StringComparer.Ordinal);

    /// <summary>Remembers each pool's last stored outcome from the rows of <see cref="LastSignatures"/> (at open).</summary>
    public void Load(IEnumerable<(string Pool, string Signature)> rows)
    {
        lock (_lock)
        {
            foreach (var (pool, signature) in rows)
            {
                _lastSignature[pool] = signature;
            }
        }
    }

    /// <summary>The values of <see cref="InsertDecision"/> when the decision changes something or its outcome differs
    /// from the pool's previous one (then it becomes the pool's last); null when it repeats that outcome.</summary>
    public object?[]? Admit(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var signature = Signature(decision);
        var changes = decision.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown or DecisionAction.DryRun;
        lock (_lock)
        {
            if (!changes && _lastSignature.TryGetValue(decision.Pool, out var last) && string.Equals(last, signature, StringComparison.Ordinal))
            {
                return null;
            }

            _lastSignature[decision.Pool] = signature;
        }

        return [decision.Pool, JournalRows.ToMs(decision.At), decision.Action.ToString(), signature, JsonSerializer.Serialize(decision, StoreJson.Decision)];
    }

    /// <summary>The values of <see cref="InsertOperationEvent"/>.</summary>
    public static object?[] OperationEventValues(OperationEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return [e.Pool, JournalRows.ToMs(e.At), e.OperationId, e.Type.ToString(), JsonSerializer.Serialize(e, StoreJson.Operation)];
    }

    /// <summary>Decisions and operation events, newest first (a decision before an event of the same time), optionally
    /// of one pool; <paramref name="query"/> runs the backend's statement.</summary>
    public static IReadOnlyList<StoredEvent> GetEvents(RowQuery<StoredEvent> query, string? pool, int limit)
    {
        limit = Math.Clamp(limit, 1, 10_000);
        object?[] values = pool is null ? [limit] : [limit, pool];
        var decisions = query(EventsSql("decisions", pool), values,
            r => new StoredEvent(r.GetInt64(0), JsonSerializer.Deserialize(r.GetString(1), StoreJson.Decision), null));
        var operations = query(EventsSql("operation_events", pool), values,
            r => new StoredEvent(r.GetInt64(0), null, JsonSerializer.Deserialize(r.GetString(1), StoreJson.Operation)));
        return decisions.Concat(operations)
            .OrderByDescending(e => e.At).ThenByDescending(e => e.Decision is null ? 0 : 1).ThenByDescending(e => e.Id)
            .Take(limit).ToArray();
    }

    /// <summary>What makes two decisions "the same outcome": action, skip, direction and sizes, plus each signal's
    /// direction and wish; not the free text, which carries times and metric values that move every cycle.</summary>
    internal static string Signature(Decision d) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{d.Action}|{d.Skip}|{d.Direction}|{d.PreviousDesired}>{d.Desired}|{d.Min}..{d.Max}|{string.Join(";", d.Recommendations.Select(r => $"{r.Signal}:{r.Direction}:{r.Desired}:{r.MissingData}"))}");

    private static string EventsSql(string table, string? pool) =>
        $"SELECT id, body FROM {table} {(pool is null ? "" : "WHERE pool = $2")} ORDER BY at DESC, id DESC LIMIT $1";
}

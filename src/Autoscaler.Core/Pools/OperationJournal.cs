using System.Collections.Concurrent;

namespace Autoscaler.Core.Pools;

/// <summary>What an operation does to a member.</summary>
public enum OperationKind
{
    /// <summary>Create an instance (scale-up or replacement).</summary>
    Launch,

    /// <summary>Drain (when serving) and delete a member (scale-in or replacement).</summary>
    Remove,
}

/// <summary>Step of an operation, journaled before the step is taken.</summary>
public enum OperationPhase
{
    /// <summary>The create call is about to be or was made.</summary>
    Launching,

    /// <summary>The node is (being set) in drain mode; removal follows after the drain time.</summary>
    Draining,

    /// <summary>Node removal and instance deletion are about to be or were requested.</summary>
    Removing,

    /// <summary>Not an operation's phase: a surplus member kept serving until its release point (billing-aware
    /// scale-in). Only events carry it; kept members are recomputed every pass and never journaled.</summary>
    Kept,
}

/// <summary>How an operation ended.</summary>
public enum OperationOutcome
{
    /// <summary>Done.</summary>
    Succeeded,

    /// <summary>The provider refused or errored; the reconciler will plan again.</summary>
    Failed,

    /// <summary>Found open after a restart with nothing to finish (e.g. the create never happened).</summary>
    Abandoned,

    /// <summary>No longer wanted: a draining member taken back by a scale-up.</summary>
    Cancelled,
}

/// <summary>An open operation as journaled.</summary>
public sealed record OperationRecord
{
    /// <summary>Unique id.</summary>
    public required string Id { get; init; }

    /// <summary>Pool name.</summary>
    public required string Pool { get; init; }

    /// <summary>Launch or remove.</summary>
    public required OperationKind Kind { get; init; }

    /// <summary>Current step.</summary>
    public required OperationPhase Phase { get; init; }

    /// <summary>Member id (removals; launches once created).</summary>
    public string? MemberId { get; init; }

    /// <summary>Member label (the label a launch gives).</summary>
    public string? Label { get; init; }

    /// <summary>When the operation was planned.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the current phase began (a drain's start, for its deadline).</summary>
    public DateTimeOffset PhaseSince { get; init; }

    /// <summary>Why (scale-up, scale-in victim choice, replacement of an unhealthy member, …).</summary>
    public string Reason { get; init; } = "";
}

/// <summary>What the engine must remember about a pool across restarts.</summary>
public sealed record PoolRecord
{
    /// <summary>Pool name.</summary>
    public required string Pool { get; init; }

    /// <summary>Desired size.</summary>
    public int Desired { get; init; }

    /// <summary>Last scale-up decision.</summary>
    public DateTimeOffset? LastScaleUpAt { get; init; }

    /// <summary>When the last scale-up's capacity was serving (the scale-up cooldown starts here).</summary>
    public DateTimeOffset? LastScaleUpServedAt { get; init; }

    /// <summary>Last scale-down decision.</summary>
    public DateTimeOffset? LastScaleDownAt { get; init; }

    /// <summary>When the last scale-down's removals finished (the scale-down cooldown starts here).</summary>
    public DateTimeOffset? LastScaleDownDoneAt { get; init; }

    /// <summary>A scale-up was decided and its capacity is not serving yet.</summary>
    public bool ScaleUpPending { get; init; }

    /// <summary>A scale-down was decided and its removals have not finished.</summary>
    public bool ScaleDownPending { get; init; }
}

/// <summary>An <see cref="IOperationJournal"/> in memory: survives an engine restart within one process (tests,
/// simulations), not a process restart.</summary>
public sealed class InMemoryOperationJournal : IOperationJournal
{
    private readonly ConcurrentDictionary<string, OperationRecord> _open = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PoolRecord> _pools = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(OperationRecord Operation, OperationOutcome Outcome, string Detail)> _closed = new();

    /// <summary>Closed operations, oldest first.</summary>
    public IReadOnlyList<(OperationRecord Operation, OperationOutcome Outcome, string Detail)> Closed => _closed.ToArray();

    /// <summary>All open operations.</summary>
    public IReadOnlyList<OperationRecord> Open => _open.Values.OrderBy(o => o.CreatedAt).ThenBy(o => o.Id, StringComparer.Ordinal).ToArray();

    /// <inheritdoc />
    public Task<IReadOnlyList<OperationRecord>> GetOpenOperationsAsync(string pool, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<OperationRecord>>(Open.Where(o => o.Pool == pool).ToArray());

    /// <inheritdoc />
    public Task SaveOperationAsync(OperationRecord operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        _open[operation.Id] = operation;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task CloseOperationAsync(string operationId, OperationOutcome outcome, string detail, CancellationToken cancellationToken)
    {
        if (_open.TryRemove(operationId, out var op))
        {
            _closed.Enqueue((op, outcome, detail));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<PoolRecord?> GetPoolAsync(string pool, CancellationToken cancellationToken) =>
        Task.FromResult(_pools.TryGetValue(pool, out var r) ? r : null);

    /// <inheritdoc />
    public Task SavePoolAsync(PoolRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        _pools[record.Pool] = record;
        return Task.CompletedTask;
    }
}

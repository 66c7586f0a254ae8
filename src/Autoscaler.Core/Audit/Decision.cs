using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Audit;

/// <summary>What an evaluation did.</summary>
public enum DecisionAction
{
    /// <summary>Nothing asked for a change.</summary>
    None,

    /// <summary>Desired size raised.</summary>
    ScaleUp,

    /// <summary>Desired size lowered.</summary>
    ScaleDown,

    /// <summary>A change was asked for and not made; see <see cref="Decision.Skip"/>.</summary>
    Hold,

    /// <summary>A change was decided and not made because the engine runs dry.</summary>
    DryRun,
}

/// <summary>Why a wanted change was not made (counted per pool for /metrics).</summary>
public enum SkipReason
{
    /// <summary>A cooldown is running.</summary>
    Cooldown,

    /// <summary>Launches or removals already in flight cover it or must finish first.</summary>
    InFlight,

    /// <summary>A signal has no usable data, so no scale-down.</summary>
    MissingData,

    /// <summary>Already at the (effective) maximum.</summary>
    AtMax,

    /// <summary>Already at the (effective) minimum.</summary>
    AtMin,

    /// <summary>Dry-run mode.</summary>
    DryRun,

    /// <summary>The provider could not be read.</summary>
    SnapshotFailed,

    /// <summary>A scale-up cut (or refused) because the month's projected bill would exceed the pool's budget.</summary>
    Budget,

    /// <summary>Under hourly billing, a need for new instances has not lasted <c>scale_up.billing_hold</c> yet.</summary>
    BillingHold,

    /// <summary>A forecast expects the members a scale-down would release to be needed within its keep horizon.</summary>
    Forecast,
}

/// <summary>One evaluation of one pool, with its reason, inputs and outcome: the audit trail's unit.</summary>
public sealed record Decision
{
    /// <summary>Pool name.</summary>
    public required string Pool { get; init; }

    /// <summary>Evaluation time.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Members counted as capacity (serving or launching).</summary>
    public int Current { get; init; }

    /// <summary>Members serving.</summary>
    public int Serving { get; init; }

    /// <summary>Desired size before this decision.</summary>
    public int PreviousDesired { get; init; }

    /// <summary>Desired size after it (for dry runs: what it would be).</summary>
    public int Desired { get; init; }

    /// <summary>Effective minimum (schedules included).</summary>
    public int Min { get; init; }

    /// <summary>Effective maximum (schedules included).</summary>
    public int Max { get; init; }

    /// <summary>Direction asked for by the combined signals.</summary>
    public ScaleDirection Direction { get; init; }

    /// <summary>What was done.</summary>
    public DecisionAction Action { get; init; }

    /// <summary>Instances added or removed (for dry runs: would be).</summary>
    public int Delta { get; init; }

    /// <summary>Why a change was not made (with <see cref="DecisionAction.Hold"/>, <see cref="DecisionAction.DryRun"/>).</summary>
    public SkipReason? Skip { get; init; }

    /// <summary>Human-readable reason.</summary>
    public required string Reason { get; init; }

    /// <summary>Every signal's recommendation.</summary>
    public IReadOnlyList<Recommendation> Recommendations { get; init; } = [];

    /// <summary>Flattened inputs (<c>signal.key</c> → value).</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; init; } = new Dictionary<string, string>();
}

/// <summary>What happened to an operation.</summary>
public enum OperationEventType
{
    /// <summary>Intent journaled, step started.</summary>
    Started,

    /// <summary>Moved to a new phase (e.g. draining → removing).</summary>
    PhaseChanged,

    /// <summary>Picked up after a restart.</summary>
    Resumed,

    /// <summary>Done.</summary>
    Succeeded,

    /// <summary>The provider failed it (will be retried or re-planned).</summary>
    Failed,

    /// <summary>Found open after a restart with nothing to finish.</summary>
    Abandoned,

    /// <summary>Ended without being done: a draining member taken back (its removal cancelled).</summary>
    Cancelled,

    /// <summary>A surplus member is kept serving until its release point, just before its paid period ends.</summary>
    Kept,

    /// <summary>A member's node turned UP in the NodeBalancer: it serves (what a scale-up's cooldown waits for).</summary>
    Joined,

    /// <summary>A kept member is no longer surplus (the need came back): it keeps serving, nothing is released.</summary>
    ReleaseCancelled,
}

/// <summary>An operation's step, for the audit trail.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="At">When.</param>
/// <param name="OperationId">Operation id (orphan-node removals use <c>orphan-NODEID</c>).</param>
/// <param name="Kind">Launch or remove.</param>
/// <param name="Type">What happened.</param>
/// <param name="Phase">Phase after the event.</param>
/// <param name="MemberId">Member id, when known.</param>
/// <param name="Label">Member label, when known.</param>
/// <param name="Detail">Reason or error text (never a secret).</param>
public sealed record OperationEvent(
    string Pool,
    DateTimeOffset At,
    string OperationId,
    OperationKind Kind,
    OperationEventType Type,
    OperationPhase Phase,
    string? MemberId,
    string? Label,
    string Detail);

/// <summary>An <see cref="IDecisionLog"/> keeping the most recent entries in memory.</summary>
public sealed class InMemoryDecisionLog : IDecisionLog
{
    private readonly Lock _lock = new();
    private readonly Queue<Decision> _decisions = new();
    private readonly Queue<OperationEvent> _operations = new();
    private readonly int _capacity;

    /// <summary>Keeps at most <paramref name="capacity"/> decisions and as many operation events.</summary>
    public InMemoryDecisionLog(int capacity = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Decisions, oldest first.</summary>
    public IReadOnlyList<Decision> Decisions
    {
        get
        {
            lock (_lock)
            {
                return _decisions.ToArray();
            }
        }
    }

    /// <summary>Operation events, oldest first.</summary>
    public IReadOnlyList<OperationEvent> Operations
    {
        get
        {
            lock (_lock)
            {
                return _operations.ToArray();
            }
        }
    }

    /// <inheritdoc />
    public ValueTask RecordDecisionAsync(Decision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        lock (_lock)
        {
            _decisions.Enqueue(decision);
            while (_decisions.Count > _capacity)
            {
                _decisions.Dequeue();
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RecordOperationAsync(OperationEvent operationEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operationEvent);
        lock (_lock)
        {
            _operations.Enqueue(operationEvent);
            while (_operations.Count > _capacity)
            {
                _operations.Dequeue();
            }
        }

        return ValueTask.CompletedTask;
    }
}

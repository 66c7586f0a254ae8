using Autoscaler.Common;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autoscaler.Core.Pools;

/// <summary>
/// Makes a pool's actual members match its desired size through <see cref="IInstancePool"/>, journaling every intent
/// before acting: launches the missing (at most <see cref="ScaleUpConfig.MaxInFlight"/> launching at once); removes the
/// excess (victims: unhealthy, then not yet serving, then serving by policy; never protected, never below min; serving
/// ones drained first); replaces members not serving past grace + replace_after (the replacement launches first); joins
/// running members to the load balancer; removes orphan nodes; and, after a restart, resumes open removals, adopts
/// launches whose instance exists and abandons those whose instance does not. It only ever acts on snapshot members,
/// i.e. instances with the pool's tag. Not thread-safe: one pass at a time per pool (the engine serialises them).
/// </summary>
public sealed partial class Reconciler
{
    private const string LabelAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Failed joins in a row after which a running member without a node is replaced like an unhealthy one.</summary>
    internal const int JoinFailuresBeforeReplace = 3;

    private readonly PoolConfig _config;
    private readonly IInstancePool _pool;
    private readonly IOperationJournal _journal;
    private readonly IDecisionLog _log;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, OperationRecord> _ops = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _notServingSince = new(StringComparer.Ordinal);
    private HashSet<string>? _servingSeen;
    private readonly Dictionary<string, (int Failures, DateTimeOffset RetryAt)> _retry = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _joinFailures = new(StringComparer.Ordinal);
    private bool _loaded;
    private bool _removalsBlocked;

    /// <summary>Creates the reconciler of one pool.</summary>
    public Reconciler(PoolConfig config, IInstancePool pool, IOperationJournal journal, IDecisionLog log, TimeProvider time, Random? random = null, ILogger? logger = null,
        Autoscaler.Core.Billing.IBillingLedger? ledger = null)
    {
        _ledger = ledger;
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(time);
        _config = config;
        _pool = pool;
        _journal = journal;
        _log = log;
        _time = time;
        _random = random ?? Random.Shared;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>When the last member removal finished (the scale-down cooldown starts there).</summary>
    public DateTimeOffset? LastRemovalCompletedAt { get; private set; }

    /// <summary>Open operations known to this reconciler.</summary>
    public IReadOnlyList<OperationRecord> OpenOperations
    {
        get
        {
            lock (_lock)
            {
                return _ops.Values.OrderBy(o => o.CreatedAt).ThenBy(o => o.Id, StringComparer.Ordinal).ToArray();
            }
        }
    }

    /// <summary>
    /// Interprets a snapshot. The first call loads the journal's open operations and settles launches left open by a
    /// previous run (adopted when the labelled instance exists, abandoned otherwise); removals whose member is gone are
    /// closed.
    /// </summary>
    public async Task<PoolView> ObserveAsync(PoolSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var now = _time.GetUtcNow();
        UseTerms(snapshot.Billing);
        if (!_loaded)
        {
            foreach (var op in await _journal.GetOpenOperationsAsync(_config.Name, cancellationToken).ConfigureAwait(false))
            {
                _ops[op.Id] = op;
                await EmitAsync(op, OperationEventType.Resumed, op.MemberId, $"found open after restart ({op.Phase})", cancellationToken).ConfigureAwait(false);
            }

            _loaded = true;
        }

        foreach (var op in _ops.Values.ToArray())
        {
            if (op.Kind == OperationKind.Launch)
            {
                // Launches complete within a pass, so an open one is a leftover of a previous run.
                var member = snapshot.Members.FirstOrDefault(m => m.Label == op.Label || (m.OperationId is not null && m.OperationId == op.Id));
                if (member is not null)
                {
                    await CloseAsync(op, OperationOutcome.Succeeded, OperationEventType.Succeeded, member.Id, $"instance {member.Id} ({member.Label}) exists: adopted", cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await CloseAsync(op, OperationOutcome.Abandoned, OperationEventType.Abandoned, null, $"no instance labelled {op.Label}: the create did not happen", cancellationToken).ConfigureAwait(false);
                }
            }
            else if (!snapshot.Members.Any(m => m.Id == op.MemberId))
            {
                await CloseAsync(op, OperationOutcome.Succeeded, OperationEventType.Succeeded, op.MemberId, "member is gone", cancellationToken).ConfigureAwait(false);
                LastRemovalCompletedAt = now;
            }
        }

        var view = BuildView(snapshot, now);
        view = await DiagnoseAsync(view, now, cancellationToken).ConfigureAwait(false);
        await RecordJoinsAsync(view, now, cancellationToken).ConfigureAwait(false);
        return view;
    }

    /// <summary>An event for each member whose node turned UP since the last pass (not at the first pass after a
    /// start, which finds the pool as it is), so the audit trail shows when new capacity began to serve.</summary>
    private async Task RecordJoinsAsync(PoolView view, DateTimeOffset now, CancellationToken ct)
    {
        var serving = view.Members.Where(m => m.Lifecycle == MemberLifecycle.Serving).ToDictionary(m => m.Member.Id, StringComparer.Ordinal);
        var previous = _servingSeen;
        _servingSeen = [.. serving.Keys];
        if (previous is null)
        {
            return;
        }

        foreach (var (id, m) in serving)
        {
            if (!previous.Contains(id))
            {
                const string detail = "node UP in the NodeBalancer: serving";
                LogOperation(_config.Name, "member-" + id, OperationKind.Launch, OperationEventType.Joined, m.Member.Label, detail);
                await _log.RecordOperationAsync(new OperationEvent(_config.Name, now, "member-" + id, OperationKind.Launch, OperationEventType.Joined,
                    OperationPhase.Launching, id, m.Member.Label, detail), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One pass towards <paramref name="desired"/> members, never leaving fewer than <paramref name="min"/>.</summary>
    public async Task<ReconcileResult> ReconcileAsync(PoolView view, int desired, int min, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(view);
        var now = _time.GetUtcNow();
        var counts = new Counts();
        await ProgressRemovalsAsync(view, now, counts, cancellationToken).ConfigureAwait(false);
        await AdoptStrayDrainsAsync(view, now, counts, cancellationToken).ConfigureAwait(false);
        await JoinAsync(view, counts, cancellationToken).ConfigureAwait(false);
        await ReplaceAsync(view, desired, now, counts, cancellationToken).ConfigureAwait(false);
        await LaunchMissingAsync(view, desired, now, counts, cancellationToken).ConfigureAwait(false);
        if (!counts.LaunchesAsked)
        {
            // Wants no launch now (or cannot start one): its share of the create limit goes to the other pools.
            _pool.AllowLaunches(0);
        }

        await RemoveExcessAsync(view, desired, min, now, counts, cancellationToken).ConfigureAwait(false);
        await RemoveOrphansAsync(view, now, counts, cancellationToken).ConfigureAwait(false);

        _removalsBlocked = counts.Blocked > 0;
        NoteLaunchesWaiting(counts.LaunchesWaiting, counts.LaunchesWaitingFor);
        lock (_lock)
        {
            return new ReconcileResult
            {
                Launched = counts.Launched,
                Removed = counts.Removed,
                OrphansRemoved = counts.Orphans,
                Failures = counts.Failures,
                Blocked = counts.Blocked,
                TakenBack = counts.TakenBack,
                Kept = _kept.Count,
                LaunchesWaiting = counts.LaunchesWaiting,
                LaunchesWaitingFor = counts.LaunchesWaitingFor,
            };
        }
    }

    /// <summary>What the engine needs of this pool now: the counts of <paramref name="view"/> (from
    /// <see cref="ObserveAsync"/>) and the facts of this reconciler's own work (an open removal, the last removal
    /// finished, removals blocked in the last pass).</summary>
    public PoolState StateOf(PoolView view)
    {
        bool removalOpen;
        lock (_lock)
        {
            removalOpen = _ops.Values.Any(o => o.Kind == OperationKind.Remove);
        }

        return PoolState.Of(view) with
        {
            RemovalOpen = removalOpen,
            LastRemovalCompletedAt = LastRemovalCompletedAt,
            RemovalsBlocked = _removalsBlocked,
        };
    }

    private PoolView BuildView(PoolSnapshot snapshot, DateTimeOffset now)
    {
        HashSet<string> removing;
        lock (_lock)
        {
            removing = _ops.Values.Where(o => o.Kind == OperationKind.Remove && o.MemberId is not null).Select(o => o.MemberId!).ToHashSet(StringComparer.Ordinal);
        }

        var grace = _config.Health.Grace;
        var members = new List<MemberView>(snapshot.Members.Count);
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in snapshot.Members)
        {
            present.Add(m.Id);
            var lifecycle = MemberLifecycles.Of(m, now, grace);
            DateTimeOffset? since = null;
            if (lifecycle is MemberLifecycle.Serving or MemberLifecycle.Draining or MemberLifecycle.Deleting)
            {
                _notServingSince.Remove(m.Id);
            }
            else
            {
                var graceEnd = m.CreatedAt + grace;
                var observed = _notServingSince.TryGetValue(m.Id, out var o) ? o : now;
                _notServingSince[m.Id] = observed;
                var reported = lifecycle == MemberLifecycle.Unhealthy
                    ? (m.Node is { Status: not NodeStatus.Up, StatusSince: { } ns } ? ns : m.State == InstanceState.Offline && m.StateSince is { } ss ? ss : observed)
                    : graceEnd;
                since = reported > graceEnd ? reported : graceEnd;
            }

            if (m.State == InstanceState.Running && m.Node is null && JoinFailures(m.Id) < JoinFailuresBeforeReplace)
            {
                // Its node is ours to add: until joining it has failed a few times, it is not judged.
                since = null;
            }

            var due = since is { } s && !m.Protected && now - s >= _config.Health.ReplaceAfter;
            members.Add(Annotate(new MemberView(m, lifecycle, removing.Contains(m.Id), due, since), now));
        }

        _keptChanged = false;
        foreach (var id in _notServingSince.Keys.Where(id => !present.Contains(id)).ToArray())
        {
            _notServingSince.Remove(id);
        }

        lock (_lock)
        {
            foreach (var id in _joinFailures.Keys.Where(id => !present.Contains(id)).ToArray())
            {
                _joinFailures.Remove(id);
            }
        }

        return new PoolView(snapshot, now, members);
    }

    private OperationRecord NewOperation(OperationKind kind, OperationPhase phase, DateTimeOffset now, string reason) => new()
    {
        Id = "op-" + RandomText(12),
        Pool = _config.Name,
        Kind = kind,
        Phase = phase,
        CreatedAt = now,
        PhaseSince = now,
        Reason = reason,
    };

    private string NewLabel(HashSet<string> taken)
    {
        string label;
        do
        {
            label = _config.EffectiveLabelPrefix + "-" + RandomText(8);
        }
        while (!taken.Add(label));
        return label;
    }

    private string RandomText(int length)
    {
        Span<char> chars = stackalloc char[length];
        lock (_lock)
        {
            for (var i = 0; i < length; i++)
            {
                chars[i] = LabelAlphabet[_random.Next(LabelAlphabet.Length)];
            }
        }

        return new string(chars);
    }

    private int JoinFailures(string memberId)
    {
        lock (_lock)
        {
            return _joinFailures.TryGetValue(memberId, out var n) ? n : 0;
        }
    }

    private bool IsTracked(string memberId)
    {
        lock (_lock)
        {
            return _ops.Values.Any(o => o.MemberId == memberId && o.Kind == OperationKind.Remove);
        }
    }

    private bool IsDue(string key, DateTimeOffset now)
    {
        lock (_lock)
        {
            return !_retry.TryGetValue(key, out var r) || now >= r.RetryAt;
        }
    }

    private void Fail(string key, DateTimeOffset now)
    {
        lock (_lock)
        {
            var failures = _retry.TryGetValue(key, out var r) ? r.Failures + 1 : 1;
            var delay = TimeSpan.FromSeconds(Math.Min(300, 10 * Math.Pow(2, failures - 1)));
            _retry[key] = (failures, now + delay);
        }
    }

    private async Task SaveAsync(OperationRecord op, CancellationToken ct)
    {
        await _journal.SaveOperationAsync(op, ct).ConfigureAwait(false);
        lock (_lock)
        {
            _ops[op.Id] = op;
        }
    }

    private async Task CloseAsync(OperationRecord op, OperationOutcome outcome, OperationEventType type, string? memberId, string detail, CancellationToken ct)
    {
        await _journal.CloseOperationAsync(op.Id, outcome, detail, ct).ConfigureAwait(false);
        lock (_lock)
        {
            _ops.Remove(op.Id);
            _retry.Remove(op.Id);
        }

        await EmitAsync(op, type, memberId, detail, ct).ConfigureAwait(false);
    }

    private async Task EmitAsync(OperationRecord op, OperationEventType type, string? memberId, string detail, CancellationToken ct)
    {
        var e = new OperationEvent(_config.Name, _time.GetUtcNow(), op.Id, op.Kind, type, op.Phase, memberId ?? op.MemberId, op.Label, detail);
        if (type == OperationEventType.Failed)
        {
            LogOperationFailed(_config.Name, op.Id, op.Kind, op.Label ?? "", detail);
        }
        else
        {
            LogOperation(_config.Name, op.Id, op.Kind, type, op.Label ?? "", detail);
        }

        await _log.RecordOperationAsync(e, ct).ConfigureAwait(false);
    }

    private static bool IsShutdown(Exception ex, CancellationToken ct) => ex is OperationCanceledException && ct.IsCancellationRequested;

    private static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";

    private sealed class Counts
    {
        public int Launched;
        public int Removed;
        public int Orphans;
        public int Failures;
        public int Blocked;
        public int TakenBack;
        public int LaunchesWaiting;
        public string? LaunchesWaitingFor;
        public bool LaunchesAsked;
    }
}

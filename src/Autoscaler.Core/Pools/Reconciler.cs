using Autoscaler.Common;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autoscaler.Core.Pools;

/// <summary>What one reconcile pass did.</summary>
public sealed record ReconcileResult
{
    /// <summary>Instances launched (create accepted).</summary>
    public int Launched { get; init; }

    /// <summary>Launches that failed.</summary>
    public int LaunchFailures { get; init; }

    /// <summary>Removals started (drain or direct removal).</summary>
    public int RemovalsStarted { get; init; }

    /// <summary>Members removed (node removed, instance deleted).</summary>
    public int Removed { get; init; }

    /// <summary>Members put into the load balancer.</summary>
    public int Joined { get; init; }

    /// <summary>Orphan nodes removed.</summary>
    public int OrphansRemoved { get; init; }

    /// <summary>Provider calls that failed (launches included).</summary>
    public int Failures { get; init; }

    /// <summary>Removals wanted but impossible (protected members, min).</summary>
    public int Blocked { get; init; }

    /// <summary>Every operation event of the pass.</summary>
    public IReadOnlyList<OperationEvent> Events { get; init; } = [];
}

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
    private readonly Dictionary<string, (int Failures, DateTimeOffset RetryAt)> _retry = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _joinFailures = new(StringComparer.Ordinal);
    private readonly List<OperationEvent> _events = [];
    private bool _loaded;

    /// <summary>Creates the reconciler of one pool.</summary>
    public Reconciler(PoolConfig config, IInstancePool pool, IOperationJournal journal, IDecisionLog log, TimeProvider time, Random? random = null, ILogger? logger = null)
    {
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

        return BuildView(snapshot, now);
    }

    /// <summary>One pass towards <paramref name="desired"/> members, never leaving fewer than <paramref name="min"/>.</summary>
    public async Task<ReconcileResult> ReconcileAsync(PoolView view, int desired, int min, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(view);
        lock (_lock)
        {
            _events.Clear();
        }

        var now = _time.GetUtcNow();
        var counts = new Counts();
        await ProgressRemovalsAsync(view, now, counts, cancellationToken).ConfigureAwait(false);
        await AdoptStrayDrainsAsync(view, now, counts, cancellationToken).ConfigureAwait(false);
        await JoinAsync(view, counts, cancellationToken).ConfigureAwait(false);
        await ReplaceAsync(view, desired, now, counts, cancellationToken).ConfigureAwait(false);
        await LaunchMissingAsync(view, desired, now, counts, cancellationToken).ConfigureAwait(false);
        await RemoveExcessAsync(view, desired, min, now, counts, cancellationToken).ConfigureAwait(false);
        await RemoveOrphansAsync(view, now, counts, cancellationToken).ConfigureAwait(false);

        lock (_lock)
        {
            return new ReconcileResult
            {
                Launched = counts.Launched,
                LaunchFailures = counts.LaunchFailures,
                RemovalsStarted = counts.RemovalsStarted,
                Removed = counts.Removed,
                Joined = counts.Joined,
                OrphansRemoved = counts.Orphans,
                Failures = counts.Failures,
                Blocked = counts.Blocked,
                Events = _events.ToArray(),
            };
        }
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
            members.Add(new MemberView(m, lifecycle, removing.Contains(m.Id), due, since));
        }

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

    private async Task ProgressRemovalsAsync(PoolView view, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        OperationRecord[] removals;
        lock (_lock)
        {
            removals = _ops.Values.Where(o => o.Kind == OperationKind.Remove).OrderBy(o => o.CreatedAt).ThenBy(o => o.Id, StringComparer.Ordinal).ToArray();
        }

        foreach (var op in removals)
        {
            var mv = view.Find(op.MemberId);
            if (mv is null || !IsDue(op.Id, now))
            {
                continue;
            }

            var current = op;
            try
            {
                if (current.Phase == OperationPhase.Draining)
                {
                    if (mv.Member.Node is { Mode: NodeMode.Accept })
                    {
                        // Resumed after a restart that happened between journaling the drain and applying it.
                        await _pool.DrainAsync(mv.Member, ct).ConfigureAwait(false);
                    }

                    if (now < current.PhaseSince + _config.ScaleDown.Drain)
                    {
                        continue;
                    }

                    current = current with { Phase = OperationPhase.Removing, PhaseSince = now };
                    await SaveAsync(current, ct).ConfigureAwait(false);
                    await EmitAsync(current, OperationEventType.PhaseChanged, mv.Member.Id, "drain time over: removing", ct).ConfigureAwait(false);
                }

                await _pool.RemoveAsync(mv.Member, ct).ConfigureAwait(false);
                await CloseAsync(current, OperationOutcome.Succeeded, OperationEventType.Succeeded, mv.Member.Id, $"removed {mv.Member.Label}", ct).ConfigureAwait(false);
                LastRemovalCompletedAt = _time.GetUtcNow();
                counts.Removed++;
            }
            catch (Exception ex) when (!IsShutdown(ex, ct))
            {
                counts.Failures++;
                Fail(op.Id, now);
                await EmitAsync(current, OperationEventType.Failed, mv.Member.Id, Describe(ex), ct).ConfigureAwait(false);
            }
        }
    }

    private async Task AdoptStrayDrainsAsync(PoolView view, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        // A member already draining with no operation (journal lost, or drained by hand) would otherwise be stranded.
        foreach (var mv in view.Members)
        {
            if (mv.Lifecycle == MemberLifecycle.Draining && !mv.BeingRemoved && !mv.Member.Protected && !IsTracked(mv.Member.Id))
            {
                var op = NewOperation(OperationKind.Remove, OperationPhase.Draining, now, "member found draining without an operation") with { MemberId = mv.Member.Id, Label = mv.Member.Label };
                await SaveAsync(op, ct).ConfigureAwait(false);
                await EmitAsync(op, OperationEventType.Started, mv.Member.Id, op.Reason, ct).ConfigureAwait(false);
                counts.RemovalsStarted++;
            }
        }
    }

    private async Task JoinAsync(PoolView view, Counts counts, CancellationToken ct)
    {
        foreach (var mv in view.Members)
        {
            if (mv.IsLive && mv.Member.State == InstanceState.Running && mv.Member.Node is null && !IsTracked(mv.Member.Id))
            {
                try
                {
                    await _pool.JoinAsync(mv.Member, ct).ConfigureAwait(false);
                    counts.Joined++;
                    lock (_lock)
                    {
                        _joinFailures.Remove(mv.Member.Id);
                    }
                }
                catch (Exception ex) when (!IsShutdown(ex, ct))
                {
                    counts.Failures++;
                    lock (_lock)
                    {
                        _joinFailures[mv.Member.Id] = JoinFailures(mv.Member.Id) + 1;
                    }

                    LogJoinFailed(_config.Name, mv.Member.Label, Describe(ex));
                }
            }
        }
    }

    private async Task ReplaceAsync(PoolView view, int desired, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        // The replacement is launched by LaunchMissingAsync (a due member no longer counts as live); the unhealthy
        // member goes once the pool serves its desired size again, or when the replacement had as long as any member
        // and still did not come up (it serves nothing either way).
        var patience = _config.Health.Grace + _config.Health.ReplaceAfter;
        foreach (var mv in view.Members)
        {
            if (!mv.ReplaceDue || mv.BeingRemoved || IsTracked(mv.Member.Id))
            {
                continue;
            }

            var overdue = mv.UnhealthySince is { } since && now - since >= _config.Health.ReplaceAfter + patience;
            if (view.Serving < desired && !overdue)
            {
                continue;
            }

            var reason = $"replace: not serving since {mv.UnhealthySince:u} (replace_after {Durations.Format(_config.Health.ReplaceAfter)})";
            await StartRemovalAsync(mv, drain: false, reason, now, counts, ct).ConfigureAwait(false);
        }
    }

    private async Task LaunchMissingAsync(PoolView view, int desired, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        var need = desired - view.Live;
        if (need <= 0 || !IsDue("launch", now))
        {
            return;
        }

        var room = _config.ScaleUp.MaxInFlight - view.Launching;
        var count = Math.Min(need, room);
        if (count <= 0)
        {
            return;
        }

        var reason = view.ReplaceDue > 0
            ? $"desired {desired}, live {view.Live} ({view.ReplaceDue} to replace)"
            : $"desired {desired}, live {view.Live}";
        var taken = view.Snapshot.Members.Select(m => m.Label).ToHashSet(StringComparer.Ordinal);
        var launches = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var label = NewLabel(taken);
            var op = NewOperation(OperationKind.Launch, OperationPhase.Launching, now, reason) with { Label = label };
            await SaveAsync(op, ct).ConfigureAwait(false);
            await EmitAsync(op, OperationEventType.Started, null, $"launch {label}: {reason}", ct).ConfigureAwait(false);
            launches.Add(LaunchOneAsync(op, counts, ct));
        }

        await Task.WhenAll(launches).ConfigureAwait(false);
    }

    private async Task LaunchOneAsync(OperationRecord op, Counts counts, CancellationToken ct)
    {
        try
        {
            var member = await _pool.LaunchAsync(new LaunchRequest(_config.Name, op.Label!, op.Id, op.Reason), ct).ConfigureAwait(false);
            await CloseAsync(op, OperationOutcome.Succeeded, OperationEventType.Succeeded, member.Id, $"created {member.Label} ({member.Id})", ct).ConfigureAwait(false);
            lock (_lock)
            {
                counts.Launched++;
                _retry.Remove("launch");
            }
        }
        catch (Exception ex) when (!IsShutdown(ex, ct))
        {
            lock (_lock)
            {
                counts.LaunchFailures++;
                counts.Failures++;
            }

            Fail("launch", _time.GetUtcNow());
            await CloseAsync(op, OperationOutcome.Failed, OperationEventType.Failed, null, Describe(ex), ct).ConfigureAwait(false);
        }
    }

    private async Task RemoveExcessAsync(PoolView view, int desired, int min, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        var floor = Math.Max(desired, min);
        var excess = view.Live - floor;
        if (excess <= 0)
        {
            return;
        }

        var victims = view.Members
            .Where(m => m.IsLive && !m.Member.Protected && !IsTracked(m.Member.Id))
            .OrderBy(Rank)
            .ThenBy(m => m, new VictimOrder(_config.ScaleDown.Victim))
            .Take(excess)
            .ToList();
        if (victims.Count < excess)
        {
            counts.Blocked += excess - victims.Count;
            LogRemovalBlocked(_config.Name, excess - victims.Count);
        }

        foreach (var victim in victims)
        {
            var reason = $"scale-in: desired {desired}, live {view.Live}; victim {victim.Member.Label} ({victim.Lifecycle}, {(_config.ScaleDown.Victim == VictimPolicy.Newest ? "newest" : "oldest")} first)";
            await StartRemovalAsync(victim, drain: victim.Lifecycle == MemberLifecycle.Serving, reason, now, counts, ct).ConfigureAwait(false);
        }

        static int Rank(MemberView m) => m.Lifecycle switch
        {
            MemberLifecycle.Unhealthy => 0,
            MemberLifecycle.Serving => 2,
            _ => 1,
        };
    }

    private async Task StartRemovalAsync(MemberView victim, bool drain, string reason, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        drain = drain && victim.Member.Node is not null && _config.ScaleDown.Drain > TimeSpan.Zero;
        var op = NewOperation(OperationKind.Remove, drain ? OperationPhase.Draining : OperationPhase.Removing, now, reason)
            with { MemberId = victim.Member.Id, Label = victim.Member.Label };
        await SaveAsync(op, ct).ConfigureAwait(false);
        await EmitAsync(op, OperationEventType.Started, victim.Member.Id, reason, ct).ConfigureAwait(false);
        counts.RemovalsStarted++;
        try
        {
            if (drain)
            {
                await _pool.DrainAsync(victim.Member, ct).ConfigureAwait(false);
                return;
            }

            await _pool.RemoveAsync(victim.Member, ct).ConfigureAwait(false);
            await CloseAsync(op, OperationOutcome.Succeeded, OperationEventType.Succeeded, victim.Member.Id, $"removed {victim.Member.Label}", ct).ConfigureAwait(false);
            LastRemovalCompletedAt = _time.GetUtcNow();
            counts.Removed++;
        }
        catch (Exception ex) when (!IsShutdown(ex, ct))
        {
            // The operation stays open: the next pass retries the drain or the removal.
            counts.Failures++;
            Fail(op.Id, now);
            await EmitAsync(op, OperationEventType.Failed, victim.Member.Id, Describe(ex), ct).ConfigureAwait(false);
        }
    }

    private async Task RemoveOrphansAsync(PoolView view, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        foreach (var node in view.Snapshot.OrphanNodes)
        {
            var key = "orphan-" + node.Id;
            if (!IsDue(key, now))
            {
                continue;
            }

            var op = NewOperation(OperationKind.Remove, OperationPhase.Removing, now, $"orphan node {node.Address}") with { Id = key, Label = node.Label };
            try
            {
                await _pool.RemoveOrphanNodeAsync(node, ct).ConfigureAwait(false);
                counts.Orphans++;
                lock (_lock)
                {
                    _retry.Remove(key);
                }

                await EmitAsync(op, OperationEventType.Succeeded, null, $"removed orphan node {node.Id} ({node.Address})", ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (!IsShutdown(ex, ct))
            {
                counts.Failures++;
                Fail(key, now);
                await EmitAsync(op, OperationEventType.Failed, null, Describe(ex), ct).ConfigureAwait(false);
            }
        }
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
        lock (_lock)
        {
            _events.Add(e);
        }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: {Kind} {OperationId} {Type} {Label}: {Detail}")]
    private partial void LogOperation(string pool, string operationId, OperationKind kind, OperationEventType type, string label, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: {Kind} {OperationId} failed {Label}: {Detail}")]
    private partial void LogOperationFailed(string pool, string operationId, OperationKind kind, string label, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: joining {Label} to the load balancer failed: {Detail}")]
    private partial void LogJoinFailed(string pool, string label, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: {Count} removal(s) wanted but every remaining candidate is protected")]
    private partial void LogRemovalBlocked(string pool, int count);

    private sealed class Counts
    {
        public int Launched;
        public int LaunchFailures;
        public int RemovalsStarted;
        public int Removed;
        public int Joined;
        public int Orphans;
        public int Failures;
        public int Blocked;
    }

    private sealed class VictimOrder(VictimPolicy policy) : IComparer<MemberView>
    {
        public int Compare(MemberView? x, MemberView? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);

            // Members not serving yet go newest first whatever the policy: the least invested capacity goes first.
            var newestFirst = policy == VictimPolicy.Newest || x.Lifecycle != MemberLifecycle.Serving;
            var c = x.Member.CreatedAt.CompareTo(y.Member.CreatedAt);
            if (c == 0)
            {
                c = string.CompareOrdinal(x.Member.Id, y.Member.Id);
            }

            return newestFirst ? -c : c;
        }
    }
}

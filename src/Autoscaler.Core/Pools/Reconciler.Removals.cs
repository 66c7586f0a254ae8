using Autoscaler.Core.Audit;
using Autoscaler.Common;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Pools;

// Removals: scale-in, replacement of members that do not serve, drains found without an operation, orphan nodes.
public sealed partial class Reconciler
{
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

                    if (now < current.PhaseSince + DrainTime)
                    {
                        continue;
                    }

                    current = current with { Phase = OperationPhase.Removing, PhaseSince = now };
                    await SaveAsync(current, ct).ConfigureAwait(false);
                    await EmitAsync(current, OperationEventType.PhaseChanged, mv.Member.Id, "drain time over: removing", ct).ConfigureAwait(false);
                }

                await _pool.RemoveAsync(mv.Member, ct).ConfigureAwait(false);
                await RecordEndedAsync(mv.Member, ct).ConfigureAwait(false);
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

            var reason = $"replace: not serving since {mv.UnhealthySince:u} (replace_after {Durations.Format(_config.Health.ReplaceAfter)})"
                + (mv.Diagnosis is { } why ? "; " + why : "");
            await StartRemovalAsync(mv, drain: false, reason, now, counts, ct).ConfigureAwait(false);
        }
    }

    private async Task RemoveExcessAsync(PoolView view, int desired, int min, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        if (AwareModel is { } billing)
        {
            await RemoveExcessBillingAwareAsync(view, desired, min, billing, now, counts, ct).ConfigureAwait(false);
            return;
        }

        ForgetKept();
        var floor = Math.Max(desired, min);
        var excess = view.Live - floor;
        if (excess <= 0)
        {
            return;
        }

        var victims = VictimSelection.Choose(view.Members, excess, _config.ScaleDown.Victim, IsTracked);
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
    }

    /// <summary>How long a drain lasts: the pool's <c>drain</c> plus the time the load balancer may take to apply it.</summary>
    private TimeSpan DrainTime => _config.ScaleDown.Drain + _pool.NodeApplyDelay;

    private async Task StartRemovalAsync(MemberView victim, bool drain, string reason, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        drain = drain && victim.Member.Node is not null && _config.ScaleDown.Drain > TimeSpan.Zero;
        var op = NewOperation(OperationKind.Remove, drain ? OperationPhase.Draining : OperationPhase.Removing, now, reason)
            with { MemberId = victim.Member.Id, Label = victim.Member.Label };
        await SaveAsync(op, ct).ConfigureAwait(false);
        await EmitAsync(op, OperationEventType.Started, victim.Member.Id, reason, ct).ConfigureAwait(false);
        try
        {
            if (drain)
            {
                await _pool.DrainAsync(victim.Member, ct).ConfigureAwait(false);
                return;
            }

            await _pool.RemoveAsync(victim.Member, ct).ConfigureAwait(false);
            await RecordEndedAsync(victim.Member, ct).ConfigureAwait(false);
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
}

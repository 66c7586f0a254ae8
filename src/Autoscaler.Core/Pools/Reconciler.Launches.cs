using Autoscaler.Core.Audit;

namespace Autoscaler.Core.Pools;

// Launches and joins: new members are created up to the desired size, running ones put into the load balancer.
public sealed partial class Reconciler
{
    private async Task JoinAsync(PoolView view, Counts counts, CancellationToken ct)
    {
        foreach (var mv in view.Members)
        {
            if (mv.IsLive && mv.Member.State == InstanceState.Running && mv.Member.Node is null && !IsTracked(mv.Member.Id))
            {
                try
                {
                    await _pool.JoinAsync(mv.Member, ct).ConfigureAwait(false);
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

    private async Task LaunchMissingAsync(PoolView view, int desired, DateTimeOffset now, Counts counts, CancellationToken ct)
    {
        var need = desired - view.Live;
        if (need <= 0)
        {
            return;
        }

        // Capacity already paid for and still booted comes back before anything new is created.
        need -= await TakeBackAsync(view, need, desired, now, counts, ct).ConfigureAwait(false);
        if (need <= 0 || !IsDue("launch", now))
        {
            return;
        }

        var live = desired - need;
        var room = _config.ScaleUp.MaxInFlight - view.Launching;
        var count = Math.Min(need, room);
        if (count <= 0)
        {
            return;
        }

        // The cloud's create limit is shared by every pool of the account: take only what it allows now and leave the
        // rest wanted for a later pass, so this pass (and the engine's cycle) never waits for the create window.
        var allowance = _pool.AllowLaunches(count);
        counts.LaunchesAsked = true;
        var granted = Math.Clamp(allowance.Granted, 0, count);
        if (granted < count)
        {
            counts.LaunchesWaiting = count - granted;
            counts.LaunchesWaitingFor = allowance.HeldBy ?? "the cloud's create limit";
        }

        count = granted;
        if (count <= 0)
        {
            return;
        }

        var reason = view.ReplaceDue > 0
            ? $"desired {desired}, live {live} ({view.ReplaceDue} to replace)"
            : $"desired {desired}, live {live}";
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
                counts.Failures++;
            }

            Fail("launch", _time.GetUtcNow());
            await CloseAsync(op, OperationOutcome.Failed, OperationEventType.Failed, null, Describe(ex), ct).ConfigureAwait(false);
        }
    }
}

using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Core.Tests;

public sealed class ReconcilerTests
{
    private readonly FakeTimeProvider _time = new(Pools.Epoch);
    private readonly InMemoryOperationJournal _journal = new();
    private readonly InMemoryDecisionLog _log = new();
    private readonly FakeInstancePool _pool;

    public ReconcilerTests()
    {
        _pool = new FakeInstancePool(_time);
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    private Reconciler Create(PoolConfig? config = null) => new(config ?? Pools.Web(), _pool, _journal, _log, _time, new Random(3));

    private async Task<ReconcileResult> PassAsync(Reconciler r, int desired, int min = 1)
    {
        var snapshot = await _pool.SnapshotAsync(CancellationToken.None);
        var view = await r.ObserveAsync(snapshot, CancellationToken.None);
        return await r.ReconcileAsync(view, desired, min, CancellationToken.None);
    }

    private PoolMember[] ThreeServing()
    {
        var old = _pool.Add("web-old", Now - TimeSpan.FromHours(3));
        var mid = _pool.Add("web-mid", Now - TimeSpan.FromHours(2));
        var young = _pool.Add("web-new", Now - TimeSpan.FromHours(1));
        return [old, mid, young];
    }

    [Fact]
    public async Task ScaleIn_NewestPolicy_DrainsNewestThenRemovesAfterDrainTime()
    {
        ThreeServing();
        var r = Create();

        await PassAsync(r, desired: 2);
        _time.Advance(TimeSpan.FromSeconds(29));
        await PassAsync(r, desired: 2);
        Assert.Equal(["drain web-new"], _pool.Mutations);

        _time.Advance(TimeSpan.FromSeconds(1));
        var result = await PassAsync(r, desired: 2);

        Assert.Equal(["drain web-new", "remove web-new"], _pool.Mutations);
        Assert.Equal(1, result.Removed);
        Assert.Equal(Now, r.LastRemovalCompletedAt);
        Assert.Empty(_journal.Open);
        Assert.Equal(OperationOutcome.Succeeded, Assert.Single(_journal.Closed).Outcome);
    }

    [Fact]
    public async Task ScaleIn_OldestPolicy_PicksOldest()
    {
        ThreeServing();
        var config = Pools.Web();
        var r = Create(config with { ScaleDown = config.ScaleDown with { Victim = VictimPolicy.Oldest } });

        await PassAsync(r, desired: 1);

        Assert.Equal(["drain web-old", "drain web-mid"], _pool.Mutations);
    }

    [Fact]
    public async Task ScaleIn_UnhealthyAndBootingGoFirst_WithoutDraining()
    {
        ThreeServing();
        var sick = _pool.Add("web-sick", Now - TimeSpan.FromHours(4), NodeStatus.Down);
        var booting = _pool.Add("web-boot", Now - TimeSpan.FromSeconds(20), node: null, state: InstanceState.Booting);
        var r = Create();

        await PassAsync(r, desired: 3);

        Assert.Equal(["remove web-sick", "remove web-boot"], _pool.Mutations);
        Assert.DoesNotContain(_pool.Members, m => m.Id == sick.Id || m.Id == booting.Id);
    }

    [Fact]
    public async Task ScaleIn_ProtectedMember_IsSkipped()
    {
        _pool.Add("web-old", Now - TimeSpan.FromHours(3));
        _pool.Add("web-keep", Now - TimeSpan.FromHours(1), isProtected: true);
        var r = Create();

        await PassAsync(r, desired: 1);

        Assert.Equal(["drain web-old"], _pool.Mutations);
    }

    [Fact]
    public async Task ScaleIn_OnlyProtectedLeft_IsBlockedAndReported()
    {
        _pool.Add("web-a", Now - TimeSpan.FromHours(3), isProtected: true);
        _pool.Add("web-b", Now - TimeSpan.FromHours(1), isProtected: true);
        var r = Create();

        var result = await PassAsync(r, desired: 1);

        Assert.Empty(_pool.Mutations);
        Assert.Equal(1, result.Blocked);
    }

    [Fact]
    public async Task StateOf_ScaleInDrainingThenBlocked_HandsTheEngineItsOwnWork()
    {
        ThreeServing();
        _pool.Add("web-kept", Now - TimeSpan.FromHours(4), isProtected: true);
        var r = Create();

        await PassAsync(r, desired: 3);
        var draining = r.StateOf(await r.ObserveAsync(await _pool.SnapshotAsync(CancellationToken.None), CancellationToken.None));
        _time.Advance(TimeSpan.FromSeconds(30));
        await PassAsync(r, desired: 0, min: 0);
        var blocked = r.StateOf(await r.ObserveAsync(await _pool.SnapshotAsync(CancellationToken.None), CancellationToken.None));

        Assert.Equal((4, 3, 1, true, false, (DateTimeOffset?)null), (draining.Live + draining.Removing, draining.Serving, draining.Removing,
            draining.RemovalOpen, draining.RemovalsBlocked, draining.LastRemovalCompletedAt));
        Assert.Equal((true, (DateTimeOffset?)Now), (blocked.RemovalsBlocked, blocked.LastRemovalCompletedAt));
    }

    [Fact]
    public async Task ScaleIn_NeverBelowMin()
    {
        ThreeServing();
        var r = Create();

        await PassAsync(r, desired: 0, min: 2);

        Assert.Equal(["drain web-new"], _pool.Mutations);
    }

    [Fact]
    public async Task ScaleOut_LaunchesMissing_JournalingIntentFirst()
    {
        var r = Create();
        var intents = new List<int>();
        _pool.BeforeLaunch = _ => intents.Add(_journal.Open.Count);

        var result = await PassAsync(r, desired: 3);

        Assert.Equal(3, result.Launched);
        Assert.Equal(3, _pool.Members.Count);
        Assert.All(intents, n => Assert.True(n >= 1));
        Assert.All(_pool.Members, m => Assert.StartsWith("web-", m.Label, StringComparison.Ordinal));
        Assert.Equal(3, _pool.Members.Select(m => m.Label).Distinct().Count());
        Assert.Empty(_journal.Open);
        Assert.Equal(3, _log.Operations.Count(e => e.Type == OperationEventType.Succeeded && e.Kind == OperationKind.Launch));
    }

    [Fact]
    public async Task ScaleOut_MaxInFlight_BoundsLaunchingMembers()
    {
        var config = Pools.Web(max: 20);
        var r = Create(config with { ScaleUp = config.ScaleUp with { MaxInFlight = 3 } });

        await PassAsync(r, desired: 10);
        _time.Advance(TimeSpan.FromSeconds(10));
        await PassAsync(r, desired: 10);
        Assert.Equal(3, _pool.Members.Count);

        _pool.ServeAll(Now);
        await PassAsync(r, desired: 10);

        Assert.Equal(6, _pool.Members.Count);
    }

    [Fact]
    public async Task ScaleOut_LaunchFailure_ClosesFailedAndBacksOff()
    {
        var r = Create();
        _pool.BeforeLaunch = _ => throw new InvalidOperationException("quota exceeded");

        var result = await PassAsync(r, desired: 1);
        _time.Advance(TimeSpan.FromSeconds(5));
        await PassAsync(r, desired: 1);
        var attemptsDuringBackoff = _pool.Calls.Count(c => c.StartsWith("launch", StringComparison.Ordinal));
        _pool.BeforeLaunch = null;
        _time.Advance(TimeSpan.FromSeconds(5));
        await PassAsync(r, desired: 1);

        Assert.Equal((0, 1), (result.Launched, result.Failures));
        Assert.Equal(1, attemptsDuringBackoff);
        Assert.Single(_pool.Members);
        Assert.Contains(_journal.Closed, c => c.Outcome == OperationOutcome.Failed && c.Detail.Contains("quota exceeded", StringComparison.Ordinal));
        Assert.Contains(_log.Operations, e => e.Type == OperationEventType.Failed);
    }

    [Fact]
    public async Task Join_RunningMemberWithoutNode_IsAddedToTheLoadBalancer()
    {
        _pool.Add("web-a", Now - TimeSpan.FromSeconds(30), node: null);
        var r = Create();

        var result = await PassAsync(r, desired: 1);

        Assert.Equal(["join web-a"], _pool.Mutations);
        Assert.Equal(0, result.Failures);
    }

    [Fact]
    public async Task Join_FailsForLongerThanReplaceAfter_MemberJoinedWhenTheApiRecoversNotReplaced()
    {
        // A member that booted fine but whose node the autoscaler could not add yet (a slow or failing API) is not
        // unhealthy: nothing has checked it. Replacing it would only need another join.
        _pool.Add("web-a", Now - TimeSpan.FromHours(1), node: null);
        var joins = new FlakyJoins(_pool, failures: 2);
        var r = new Reconciler(Pools.Web(), joins, _journal, _log, _time, new Random(3));

        for (var pass = 0; pass < 3; pass++)
        {
            await PassAsync(r, desired: 1);
            _time.Advance(TimeSpan.FromSeconds(130));
        }

        Assert.Equal(2, joins.Failed);
        Assert.Equal(["join web-a"], _pool.Mutations);
        Assert.Empty(_journal.Open);
    }

    [Fact]
    public async Task Join_FailsThreeTimesInARow_MemberReplaced()
    {
        var stuck = _pool.Add("web-a", Now - TimeSpan.FromHours(1), node: null);
        var joins = new FlakyJoins(_pool, failures: int.MaxValue);
        var r = new Reconciler(Pools.Web(), joins, _journal, _log, _time, new Random(3));

        for (var pass = 0; pass < 3; pass++)
        {
            await PassAsync(r, desired: 1);
            Assert.Empty(_pool.Mutations);
            _time.Advance(TimeSpan.FromSeconds(130));
        }

        var view = await r.ObserveAsync(await _pool.SnapshotAsync(CancellationToken.None), CancellationToken.None);
        Assert.True(view.Find(stuck.Id)!.ReplaceDue);
        await r.ReconcileAsync(view, 1, 1, CancellationToken.None);
        Assert.Equal(3, joins.Failed);
        Assert.Contains(_pool.Mutations, c => c.StartsWith("launch web-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replace_NodeDownPastReplaceAfter_LaunchesFirstThenRemoves()
    {
        _pool.Add("web-ok", Now - TimeSpan.FromHours(1));
        var sick = _pool.Add("web-sick", Now - TimeSpan.FromHours(1));
        var r = Create();
        await PassAsync(r, desired: 2);
        _pool.Set(sick.Id, m => m with { Node = m.Node! with { Status = NodeStatus.Down, StatusSince = Now } });

        _time.Advance(TimeSpan.FromSeconds(119));
        await PassAsync(r, desired: 2);
        Assert.Empty(_pool.Mutations);

        _time.Advance(TimeSpan.FromSeconds(1));
        await PassAsync(r, desired: 2);
        var launched = Assert.Single(_pool.Mutations);
        Assert.StartsWith("launch web-", launched, StringComparison.Ordinal);
        Assert.Contains(_pool.Members, m => m.Id == sick.Id);

        _time.Advance(TimeSpan.FromSeconds(10));
        await PassAsync(r, desired: 2);
        Assert.Single(_pool.Mutations); // the unhealthy member stays until its replacement serves

        _time.Advance(TimeSpan.FromSeconds(60));
        var replacement = _pool.Members.Single(m => m.Label == launched["launch ".Length..]);
        _pool.Set(replacement.Id, m => m with { State = InstanceState.Running, Node = new LoadBalancerNode("n", "192.168.1.2:80", NodeStatus.Up, NodeMode.Accept, Now) });
        await PassAsync(r, desired: 2);

        Assert.Equal([launched, "remove web-sick"], _pool.Mutations);
        Assert.Contains(_log.Operations, e => e.Detail.StartsWith("replace: not serving since", StringComparison.Ordinal));
        Assert.DoesNotContain(_pool.Members, m => m.Id == sick.Id);
    }

    [Fact]
    public async Task Replace_DownWithinGrace_IsNotReplacedBeforeGracePlusReplaceAfter()
    {
        var young = _pool.Add("web-young", Now, NodeStatus.Down);
        var r = Create();

        _time.Advance(TimeSpan.FromSeconds(170));
        await PassAsync(r, desired: 1);
        Assert.Empty(_pool.Mutations);

        _time.Advance(TimeSpan.FromSeconds(10));
        await PassAsync(r, desired: 1);
        Assert.Single(_pool.Mutations, c => c.StartsWith("launch", StringComparison.Ordinal));
        Assert.Contains(_pool.Members, m => m.Id == young.Id);
    }

    [Fact]
    public async Task Replace_ProtectedMember_IsNeverReplaced()
    {
        _pool.Add("web-keep", Now - TimeSpan.FromHours(1), NodeStatus.Down, isProtected: true);
        var r = Create();

        _time.Advance(TimeSpan.FromHours(1));
        await PassAsync(r, desired: 1);

        Assert.Empty(_pool.Mutations);
    }

    [Fact]
    public async Task Orphans_AreRemoved()
    {
        _pool.Orphans.Add(new OrphanNode("n77", "192.168.7.7:8080", null));
        var r = Create();

        var result = await PassAsync(r, desired: 0, min: 0);

        Assert.Equal(["orphan n77"], _pool.Mutations);
        Assert.Equal(1, result.OrphansRemoved);
        Assert.Empty(_pool.Orphans);
    }

    [Fact]
    public async Task StrayDrainingMember_IsAdoptedAndRemovedAfterDrainTime()
    {
        var m = _pool.Add("web-a", Now - TimeSpan.FromHours(1));
        _pool.Add("web-b", Now - TimeSpan.FromHours(1));
        _pool.Set(m.Id, x => x with { Node = x.Node! with { Mode = NodeMode.Drain } });
        var r = Create();

        await PassAsync(r, desired: 1);
        Assert.Single(_journal.Open);
        _time.Advance(TimeSpan.FromSeconds(30));
        await PassAsync(r, desired: 1);

        Assert.Equal(["remove web-a"], _pool.Mutations);
    }

    [Fact]
    public async Task Restart_AfterCreateBeforeJournalClose_AdoptsTheInstance()
    {
        using var cts = new CancellationTokenSource();
        _pool.AfterLaunch = _ =>
        {
            cts.Cancel();
            throw new OperationCanceledException(cts.Token);
        };
        var first = Create();
        var view = await first.ObserveAsync(await _pool.SnapshotAsync(CancellationToken.None), CancellationToken.None);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.ReconcileAsync(view, 1, 1, cts.Token));
        Assert.Single(_journal.Open);
        Assert.Single(_pool.Members);
        _pool.AfterLaunch = null;

        var second = Create();
        await PassAsync(second, desired: 1);

        Assert.Single(_pool.Members);
        Assert.Empty(_journal.Open);
        Assert.Contains(_journal.Closed, c => c.Outcome == OperationOutcome.Succeeded && c.Detail.Contains("adopted", StringComparison.Ordinal));
        Assert.Contains(_log.Operations, e => e.Type == OperationEventType.Resumed);
    }

    [Fact]
    public async Task Restart_BeforeCreate_AbandonsAndLaunchesAgain()
    {
        using var cts = new CancellationTokenSource();
        _pool.BeforeLaunch = _ =>
        {
            cts.Cancel();
            throw new OperationCanceledException(cts.Token);
        };
        var first = Create();
        var view = await first.ObserveAsync(await _pool.SnapshotAsync(CancellationToken.None), CancellationToken.None);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.ReconcileAsync(view, 1, 1, cts.Token));
        Assert.Single(_journal.Open);
        Assert.Empty(_pool.Members);
        _pool.BeforeLaunch = null;

        var second = Create();
        await PassAsync(second, desired: 1);

        Assert.Single(_pool.Members);
        Assert.Empty(_journal.Open);
        Assert.Contains(_journal.Closed, c => c.Outcome == OperationOutcome.Abandoned);
    }

    [Fact]
    public async Task Restart_DuringDrain_ResumesAndRemovesTheSameVictimOnly()
    {
        ThreeServing();
        var first = Create();
        await PassAsync(first, desired: 2);
        Assert.Equal(["drain web-new"], _pool.Mutations);

        var second = Create();
        _time.Advance(TimeSpan.FromSeconds(10));
        await PassAsync(second, desired: 2);
        _time.Advance(TimeSpan.FromSeconds(20));
        await PassAsync(second, desired: 2);

        Assert.Equal(["drain web-new", "remove web-new"], _pool.Mutations);
        Assert.Equal(2, _pool.Members.Count);
        Assert.Empty(_journal.Open);
    }

    [Fact]
    public async Task Restart_BetweenJournalingDrainAndApplyingIt_DrainsOnResume()
    {
        ThreeServing();
        using var cts = new CancellationTokenSource();
        _pool.OnDrain = _ =>
        {
            cts.Cancel();
            throw new OperationCanceledException(cts.Token);
        };
        var first = Create();
        var view = await first.ObserveAsync(await _pool.SnapshotAsync(CancellationToken.None), CancellationToken.None);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.ReconcileAsync(view, 2, 1, cts.Token));
        Assert.Equal(OperationPhase.Draining, Assert.Single(_journal.Open).Phase);
        Assert.All(_pool.Members, m => Assert.Equal(NodeMode.Accept, m.Node!.Mode));
        _pool.OnDrain = null;

        var second = Create();
        await PassAsync(second, desired: 2);
        _time.Advance(TimeSpan.FromSeconds(30));
        await PassAsync(second, desired: 2);

        Assert.Equal(["drain web-new", "drain web-new", "remove web-new"], _pool.Mutations);
        Assert.Equal(2, _pool.Members.Count);
    }

    [Fact]
    public async Task Restart_DuringRemove_RetriesTheRemoval()
    {
        var victim = _pool.Add("web-a", Now - TimeSpan.FromHours(1), NodeStatus.Down);
        _pool.Add("web-b", Now - TimeSpan.FromHours(2));
        using var cts = new CancellationTokenSource();
        _pool.OnRemove = _ =>
        {
            cts.Cancel();
            throw new OperationCanceledException(cts.Token);
        };
        var first = Create();
        var view = await first.ObserveAsync(await _pool.SnapshotAsync(CancellationToken.None), CancellationToken.None);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.ReconcileAsync(view, 1, 1, cts.Token));
        _pool.OnRemove = null;

        await PassAsync(Create(), desired: 1);

        Assert.DoesNotContain(_pool.Members, m => m.Id == victim.Id);
        Assert.Single(_pool.Members);
        Assert.Empty(_journal.Open);
    }

    [Fact]
    public async Task RemovalFailure_KeepsOperationOpenAndRetriesAfterBackoff()
    {
        _pool.Add("web-a", Now - TimeSpan.FromHours(2), NodeStatus.Down);
        _pool.Add("web-b", Now - TimeSpan.FromHours(1));
        var failures = 1;
        _pool.OnRemove = _ =>
        {
            if (failures-- > 0)
            {
                throw new HttpRequestException("Linode busy.");
            }
        };
        var r = Create();

        var result = await PassAsync(r, desired: 1);
        Assert.Equal(1, result.Failures);
        Assert.Single(_journal.Open);
        _time.Advance(TimeSpan.FromSeconds(10));
        await PassAsync(r, desired: 1);

        Assert.Single(_pool.Members);
        Assert.Empty(_journal.Open);
        Assert.Equal(2, _pool.Calls.Count(c => c == "remove web-a"));
    }
}

/// <summary>The fake pool, with joins that fail the first <c>failures</c> times (an API answering 500).</summary>
internal sealed class FlakyJoins(FakeInstancePool inner, int failures) : IInstancePool
{
    private int _left = failures;

    public int Failed { get; private set; }

    public string Name => inner.Name;

    public Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken) => inner.SnapshotAsync(cancellationToken);

    public Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken) => inner.LaunchAsync(request, cancellationToken);

    public Task JoinAsync(PoolMember member, CancellationToken cancellationToken)
    {
        if (_left > 0)
        {
            _left--;
            Failed++;
            return Task.FromException(new HttpRequestException("500 Internal server error"));
        }

        return inner.JoinAsync(member, cancellationToken);
    }

    public Task DrainAsync(PoolMember member, CancellationToken cancellationToken) => inner.DrainAsync(member, cancellationToken);

    public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken) => inner.UndrainAsync(member, cancellationToken);

    public Task RemoveAsync(PoolMember member, CancellationToken cancellationToken) => inner.RemoveAsync(member, cancellationToken);

    public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken) => inner.RemoveOrphanNodeAsync(node, cancellationToken);
}

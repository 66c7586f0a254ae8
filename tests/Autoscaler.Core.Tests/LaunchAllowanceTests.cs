using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Core.Tests;

/// <summary>The cloud's create limit seen from the reconciler: a pass launches only what the provider allows now and
/// leaves the rest wanted, saying how many wait and why.</summary>
public sealed class LaunchAllowanceTests
{
    private readonly FakeTimeProvider _time = new(Pools.Epoch);
    private readonly InMemoryOperationJournal _journal = new();
    private readonly InMemoryDecisionLog _log = new();

    [Fact]
    public async Task Reconcile_CreateLimitAllowsTwoOfFive_LaunchesTwoRestWaitAndLaterPassLaunchesThem()
    {
        var pool = new FakeInstancePool(_time) { Allow = wanted => new LaunchAllowance(Math.Min(wanted, 2), "the test's create limit") };
        var r = new Reconciler(Pools.Web(min: 0), pool, _journal, _log, _time, new Random(3));

        var first = await PassAsync(pool, r, 5);
        pool.Allow = null;
        _time.Advance(TimeSpan.FromSeconds(15));
        var second = await PassAsync(pool, r, 5);
        _time.Advance(TimeSpan.FromSeconds(15));
        var third = await PassAsync(pool, r, 5);

        Assert.Equal((2, 3, "the test's create limit"), (first.Launched, first.LaunchesWaiting, first.LaunchesWaitingFor));
        Assert.Equal((3, 0, (string?)null), (second.Launched, second.LaunchesWaiting, second.LaunchesWaitingFor));
        Assert.Equal(0, third.Launched);
        Assert.Equal(5, pool.Members.Count);
        // Asked for what the pass wanted; a pass that wants none says so (its share goes to other pools).
        Assert.Equal([5, 3, 0], pool.Asked);
        // Only launches that started are journaled: the waiting ones are no operation yet.
        Assert.Equal(5, _log.Operations.Count(o => o.Kind == OperationKind.Launch && o.Type == OperationEventType.Started));
    }

    [Fact]
    public async Task Reconcile_CreateLimitAllowsNone_NothingLaunchedAllWait()
    {
        var pool = new FakeInstancePool(_time) { Allow = _ => new LaunchAllowance(0, "Linode's create limit (20 per 15 s, 20 pools waiting)") };
        var r = new Reconciler(Pools.Web(min: 0), pool, _journal, _log, _time, new Random(3));

        var result = await PassAsync(pool, r, 3);

        Assert.Equal((0, 3), (result.Launched, result.LaunchesWaiting));
        Assert.StartsWith("Linode's create limit", result.LaunchesWaitingFor, StringComparison.Ordinal);
        Assert.Empty(pool.Members);
        Assert.Empty(await _journal.GetOpenOperationsAsync("web", CancellationToken.None));
    }

    private static async Task<ReconcileResult> PassAsync(FakeInstancePool pool, Reconciler r, int desired)
    {
        var view = await r.ObserveAsync(await pool.SnapshotAsync(CancellationToken.None), CancellationToken.None);
        return await r.ReconcileAsync(view, desired, 0, CancellationToken.None);
    }
}

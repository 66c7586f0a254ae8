using System.Globalization;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Autoscaler.Linode.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>Core's reconciler driving the Linode provider against the emulator: the seam's semantics as the policy
/// relies on them (launch, join once running, serve, drain, remove, and a restart in the middle of a drain).</summary>
public sealed class ReconcilerIntegrationTests
{
    [Fact]
    public async Task Reconciler_UpToTwoThenDownToOneWithRestartMidDrain_ConvergesWithNothingLeaked()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var h = await ProviderHarness.StartAsync(time);
        h.Balancers.DefaultStatus = "UP";
        // Immediate scale-in (billing: none): this test is about the drain resumed across a restart, not the paid hour.
        var config = ProviderHarness.PoolConfig() with { ScaleDown = new ScaleDownConfig { Drain = TimeSpan.FromSeconds(30), Billing = BillingMode.None } };
        var pool = await h.StartPoolAsync(config);
        var journal = new InMemoryOperationJournal();
        var log = new InMemoryDecisionLog();
        var reconciler = new Reconciler(config, pool, journal, log, time, new Random(7));

        // Up to two: launches, then joins once running, then both serve.
        var view = await PassUntilAsync(reconciler, pool, 2, v => v.Serving == 2, "two serving members");
        Assert.Equal(2, view.Members.Count);
        Assert.Equal(2, (await h.NodesAsync(pool)).Count);
        Assert.Equal(2, h.Recorder.Find("POST", "/linode/instances").Count);

        // Down to one: the victim is drained first.
        var drainView = await PassUntilAsync(reconciler, pool, 1, v => v.Members.Any(m => m.Lifecycle == MemberLifecycle.Draining), "a draining victim");
        var victim = drainView.Members.Single(m => m.Lifecycle == MemberLifecycle.Draining).Member;
        Assert.Single(journal.Open);

        // The service restarts in the middle of the drain: a new reconciler over the same journal resumes it.
        var restarted = new Reconciler(config, pool, journal, log, time, new Random(8));
        time.Advance(TimeSpan.FromSeconds(31));
        var done = await PassUntilAsync(restarted, pool, 1, v => v.Members.Count == 1 && v.Serving == 1, "one serving member");

        Assert.NotEqual(victim.Id, done.Members.Single().Member.Id);
        Assert.Empty(journal.Open);
        await h.WaitGoneAsync(long.Parse(victim.Id, CultureInfo.InvariantCulture));
        Assert.Single(await h.NodesAsync(pool));
        Assert.Single(await h.Client.Instances.ListAsync(Filter.Tag("autoscaler:web")).ToListAsync());
        Assert.Empty((await pool.SnapshotAsync(CancellationToken.None)).OrphanNodes);
        Assert.Equal(2, h.Recorder.Find("POST", "/linode/instances").Count);
    }

    private static async Task<PoolView> PassUntilAsync(Reconciler reconciler, LinodeInstancePool pool, int desired, Func<PoolView, bool> goal, string what)
    {
        PoolView? view = null;
        await TestClients.WaitUntilAsync(async () =>
        {
            view = await reconciler.ObserveAsync(await pool.SnapshotAsync(CancellationToken.None), CancellationToken.None);
            if (goal(view))
            {
                return true;
            }

            var result = await reconciler.ReconcileAsync(view, desired, 0, CancellationToken.None);
            Assert.Equal(0, result.Failures);
            return false;
        }, what, TimeSpan.FromSeconds(60));
        return view!;
    }
}

using System.Globalization;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Provider;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>The create limiter's non-blocking side: a pool's launch step takes only the creates the window allows now
/// (its share when several pools want creates) and leaves the rest for a later pass, so no pass waits for the window.</summary>
public sealed class CreateShareTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(15);

    [Fact]
    public void TryAcquire_FivePoolsWantingMoreThanTheWindow_EachServedInTurnNeverOverTheLimit()
    {
        var time = new FakeTimeProvider();
        var limiter = new InstanceCreateRateLimiter(time, limit: 4, window: Window);
        var holders = Enumerable.Range(0, 5).Select(i => $"pool-{i}").ToArray();
        var left = holders.ToDictionary(h => h, _ => 3);
        var firstServedAtPass = new Dictionary<string, int>();

        var pass = 0;
        for (; pass < 10 && left.Values.Any(v => v > 0); pass++)
        {
            var granted = 0;
            foreach (var h in holders.Where(h => left[h] > 0))
            {
                var got = limiter.TryAcquire(h, left[h]);
                left[h] -= got;
                granted += got;
                if (got > 0)
                {
                    firstServedAtPass.TryAdd(h, pass);
                }

                for (var i = 0; i < got; i++)
                {
                    Assert.True(limiter.TryTakeHeld(h));
                }

                Assert.False(limiter.TryTakeHeld(h));
            }

            Assert.True(granted <= 4, $"pass {pass}: {granted} granted in one window (limit 4)");
            time.Advance(Window);
        }

        Assert.All(left.Values, v => Assert.Equal(0, v));
        // 15 creates at 4 a window: 4 passes, no pool waits beyond the second pass for its first create.
        Assert.Equal(4, pass);
        Assert.All(holders, h => Assert.True(firstServedAtPass[h] <= 1, $"{h} first served at pass {firstServedAtPass[h]}"));
    }

    [Fact]
    public void TryTakeHeld_HeldLongerThanAWindow_DroppedAndTheCallerMustWait()
    {
        var time = new FakeTimeProvider();
        var limiter = new InstanceCreateRateLimiter(time, limit: 2, window: Window);
        Assert.Equal(2, limiter.TryAcquire("web", 5));

        time.Advance(Window);

        Assert.False(limiter.TryTakeHeld("web"));
        Assert.Equal(2, limiter.TryAcquire("web", 5));
    }

    [Fact]
    public async Task Reconcile_ThreePoolsWantingMoreCreatesThanTheWindow_EachPassReturnsWithoutWaitingAllServed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
        await using var h = await ProviderHarness.StartAsync(time);
        await h.CreateNodeBalancerAsync("fleet-nb", ProviderHarness.Region, 80, 81, 82);
        var limiter = new InstanceCreateRateLimiter(time, limit: 4, window: Window);
        var configs = Enumerable.Range(0, 3)
            .Select(i => ProviderHarness.PoolConfig(string.Create(CultureInfo.InvariantCulture, $"p{i}"), "fleet-nb", 80 + i))
            .ToList();
        var pools = await h.Factory(limiter).CreateAllAsync(configs, CancellationToken.None);
        var journal = new InMemoryOperationJournal();
        var log = new InMemoryDecisionLog();
        var reconcilers = pools.Select(p => new Reconciler(p.Config, p, journal, log, time, new Random(7))).ToArray();
        var creates = new List<int>();
        var waiting = new List<string>();

        for (var pass = 0; pass < 5; pass++)
        {
            var before = h.Recorder.Find("POST", "/linode/instances").Count;
            for (var i = 0; i < pools.Count; i++)
            {
                var view = await reconcilers[i].ObserveAsync(await pools[i].SnapshotAsync(CancellationToken.None), CancellationToken.None);
                // The fake clock stands still here: a pass that waited for the create window would never finish.
                var result = await reconcilers[i].ReconcileAsync(view, 4, 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(0, result.Failures);
                if (result.LaunchesWaiting > 0)
                {
                    waiting.Add(result.LaunchesWaitingFor!);
                }
            }

            creates.Add(h.Recorder.Find("POST", "/linode/instances").Count - before);
            time.Advance(Window);
        }

        Assert.All(creates, c => Assert.True(c <= 4, $"creates per pass: {string.Join(",", creates)}"));
        Assert.Equal(12, creates.Sum());
        foreach (var pool in pools)
        {
            Assert.Equal(4, (await pool.SnapshotAsync(CancellationToken.None)).Members.Count);
        }

        Assert.NotEmpty(waiting);
        Assert.All(waiting, w => Assert.StartsWith("Linode's create limit (4 per 15 s", w, StringComparison.Ordinal));
        Assert.Equal(0, limiter.Pending);
    }
}

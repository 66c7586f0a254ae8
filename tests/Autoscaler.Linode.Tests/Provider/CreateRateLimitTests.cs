using Autoscaler.Core.Pools;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Provider;
using Autoscaler.Linode.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>The account-wide limiter on instance creation (here at the 4.176 spec's 10 per 30 s), on a fake clock.</summary>
public sealed class CreateRateLimitTests
{
    [Fact]
    public async Task Acquire_EleventhWithinWindow_WaitsUntilTheFirstLeavesTheWindow()
    {
        var time = new FakeTimeProvider();
        var limiter = new InstanceCreateRateLimiter(time, limit: 10, window: TimeSpan.FromSeconds(30));

        for (var i = 0; i < 10; i++)
        {
            var granted = limiter.AcquireAsync(CancellationToken.None).AsTask();
            Assert.True(granted.IsCompletedSuccessfully);
            Assert.Equal(TimeSpan.Zero, await granted);
        }

        var eleventh = limiter.AcquireAsync(CancellationToken.None).AsTask();
        Assert.False(eleventh.IsCompleted);
        Assert.Equal(1, limiter.Pending);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(eleventh.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(30), await eleventh);
        Assert.Equal(0, limiter.Pending);
    }

    [Fact]
    public async Task Acquire_SpreadOverTime_WindowSlides()
    {
        var time = new FakeTimeProvider();
        var limiter = new InstanceCreateRateLimiter(time, limit: 2, window: TimeSpan.FromSeconds(30));

        await limiter.AcquireAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(20));
        await limiter.AcquireAsync(CancellationToken.None);
        var third = limiter.AcquireAsync(CancellationToken.None).AsTask();
        var fourth = limiter.AcquireAsync(CancellationToken.None).AsTask();

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(10), await third);
        Assert.False(fourth.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(TimeSpan.FromSeconds(30), await fourth);
    }

    [Fact]
    public async Task Acquire_CancelledWhileWaiting_Throws()
    {
        var time = new FakeTimeProvider();
        var limiter = new InstanceCreateRateLimiter(time, limit: 1);
        await limiter.AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();

        var waiting = limiter.AcquireAsync(cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, limiter.Pending);
    }

    [Fact]
    public async Task Launch_ElevenAcrossTwoPools_TheEleventhCreateWaitsForTheWindow()
    {
        var time = new FakeTimeProvider();
        await using var h = await ProviderHarness.StartAsync(time);
        await h.CreateNodeBalancerAsync("web-nb", ProviderHarness.Region, 80, 81);
        var factory = h.Factory(new InstanceCreateRateLimiter(time, limit: 10, window: TimeSpan.FromSeconds(30)));
        var pools = await factory.CreateAllAsync(
            [ProviderHarness.PoolConfig("web"), ProviderHarness.PoolConfig("api", port: 81)], CancellationToken.None);

        var launches = Enumerable.Range(0, 11)
            .Select(i => pools[i % 2].LaunchAsync(new LaunchRequest(pools[i % 2].Name, $"{pools[i % 2].Name}-rate{i:0000}", $"op-{i}", "burst"), CancellationToken.None))
            .ToList();

        await TestClients.WaitUntilAsync(() => factory.CreateLimiter.Pending == 1 && launches.Count(l => l.IsCompleted) == 10,
            "ten launches done and the eleventh waiting");
        Assert.Equal(10, h.Recorder.Find("POST", "/linode/instances").Count);

        time.Advance(TimeSpan.FromSeconds(30));
        var members = await Task.WhenAll(launches);

        Assert.Equal(11, members.Select(m => m.Id).Distinct().Count());
        Assert.Equal(11, h.Recorder.Find("POST", "/linode/instances").Count);
        Assert.Contains(h.Logs.Entries, e => e.EventId.Id == 103);
    }
}

using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Linode.Tests.Unit;

/// <summary>The client's API budget on a fake clock: published buckets, announced headers, writes before reads.</summary>
public sealed class ApiBudgetTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("POST /linode/instances", null, LinodeApiBudget.Create)]
    [InlineData("GET /linode/instances", null, LinodeApiBudget.Paginated)]
    [InlineData("GET /nodebalancers/{nodeBalancerId}/configs/{configId}/nodes", true, LinodeApiBudget.Paginated)]
    [InlineData("GET /linode/instances/{linodeId}", false, LinodeApiBudget.General)]
    [InlineData("GET /profile", null, LinodeApiBudget.General)]
    [InlineData("GET /images", true, LinodeApiBudget.Images)]
    [InlineData("GET /linode/instances/{linodeId}/stats", false, LinodeApiBudget.Stats)]
    [InlineData("PUT /nodebalancers/{nodeBalancerId}/configs/{configId}/nodes/{nodeId}", false, LinodeApiBudget.General)]
    [InlineData("DELETE /linode/instances/{linodeId}", false, LinodeApiBudget.General)]
    public void BucketOf_EndpointTemplate_PublishedBucket(string endpoint, bool? paginated, string bucket) =>
        Assert.Equal(bucket, LinodeApiBudget.BucketOf(endpoint, paginated));

    [Fact]
    public void Use_BeforeAnyAnswer_PublishedFigures()
    {
        var use = new LinodeApiBudget(new FakeTimeProvider(Start)).Use().ToDictionary(u => u.Bucket);

        Assert.Equal((20, TimeSpan.FromSeconds(15)), (use["create"].Limit, use["create"].Window));
        Assert.Equal((200, TimeSpan.FromMinutes(1)), (use["paginated"].Limit, use["paginated"].Window));
        Assert.Equal((20, 50, 1600), (use["images"].Limit, use["stats"].Limit, use["general"].Limit));
    }

    [Fact]
    public async Task Acquire_BucketNeverAnnounced_NoPacing()
    {
        var budget = new LinodeApiBudget(new FakeTimeProvider(Start));

        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(TimeSpan.Zero, await budget.AcquireAsync(LinodeApiBudget.Paginated, write: false, CancellationToken.None));
        }

        Assert.Equal(500, budget.Use().Single(u => u.Bucket == "paginated").Used);
    }

    [Fact]
    public async Task Acquire_AnnouncedRemainingSpent_WaitsForTheResetInsteadOfSending()
    {
        var time = new FakeTimeProvider(Start);
        var budget = new LinodeApiBudget(time, TimeSpan.FromMinutes(5));
        // Another program of the same user took most of the window: 2 left of 200 until the reset in 40 s.
        budget.Observe(LinodeApiBudget.Paginated, new RateLimitInfo(200, 2, Start.AddSeconds(40), null), 200);

        await budget.AcquireAsync(LinodeApiBudget.Paginated, write: false, CancellationToken.None);
        await budget.AcquireAsync(LinodeApiBudget.Paginated, write: false, CancellationToken.None);
        var third = budget.AcquireAsync(LinodeApiBudget.Paginated, write: false, CancellationToken.None).AsTask();
        await Task.Yield();
        Assert.False(third.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(39));
        Assert.False(third.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromSeconds(40), await third);
        Assert.Equal(1, budget.Use().Single(u => u.Bucket == "paginated").Waits);
    }

    [Fact]
    public async Task Acquire_AnnouncedLimitBelowPublished_OwnCountFollowsIt()
    {
        var time = new FakeTimeProvider(Start);
        var budget = new LinodeApiBudget(time);
        budget.Observe(LinodeApiBudget.Paginated, new RateLimitInfo(3, 3, null, null), 200);

        for (var i = 0; i < 3; i++)
        {
            await budget.AcquireAsync(LinodeApiBudget.Paginated, write: false, CancellationToken.None);
        }

        var fourth = budget.AcquireAsync(LinodeApiBudget.Paginated, write: false, CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.False(fourth.IsCompleted);
        // The window is counted one second longer than published: a server window that began on arrival has reset.
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromSeconds(61), await fourth);
        Assert.Equal(3, budget.Use().Single(u => u.Bucket == "paginated").Limit);
    }

    [Fact]
    public async Task Acquire_WriteArrivesBehindWaitingReads_GoesFirstAndReadsLeaveItTheLastSlot()
    {
        var time = new FakeTimeProvider(Start);
        var budget = new LinodeApiBudget(time);
        budget.Observe(LinodeApiBudget.General, new RateLimitInfo(10, null, null, null), 200);
        await Acquire(budget, write: false);
        time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 8; i++)
        {
            await Acquire(budget, write: false);
        }

        time.Advance(TimeSpan.FromSeconds(1));

        // Reads never take the last slot: the tenth read waits, a write takes it.
        var readC = Acquire(budget, write: false);
        await Acquire(budget, write: true);
        time.Advance(TimeSpan.FromSeconds(1));
        var readD = Acquire(budget, write: false);
        var write = Acquire(budget, write: true);
        Assert.False(readC.IsCompleted);

        // +61 s: the first read left the window (60 s + 1 s margin): one slot, and the write that came last takes it.
        time.Advance(TimeSpan.FromSeconds(58));
        Assert.Equal(TimeSpan.FromSeconds(58), await write.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(readC.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromSeconds(60), await readC.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(TimeSpan.FromSeconds(59), await readD.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, budget.Use().Single(u => u.Bucket == "general").Throttled);
    }

    private static Task<TimeSpan> Acquire(LinodeApiBudget budget, bool write) =>
        budget.AcquireAsync(LinodeApiBudget.General, write, CancellationToken.None).AsTask();

    [Fact]
    public void Observe_429WithRetryAfter_BlocksItsBucketOnly()
    {
        var budget = new LinodeApiBudget(new FakeTimeProvider(Start), TimeSpan.FromSeconds(30));

        budget.Observe(LinodeApiBudget.Paginated, new RateLimitInfo(200, 0, Start.AddSeconds(50), TimeSpan.FromSeconds(7)), 429);

        Assert.Equal(TimeSpan.FromSeconds(30), budget.BlockedFor(LinodeApiBudget.Paginated));
        Assert.Equal(TimeSpan.Zero, budget.BlockedFor(LinodeApiBudget.General));
        Assert.Equal(1, budget.Use().Single(u => u.Bucket == "paginated").Throttled);
    }
}

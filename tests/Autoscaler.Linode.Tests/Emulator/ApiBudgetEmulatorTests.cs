using System.Collections.Concurrent;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Tests.Emulator;

/// <summary>The client's API budget against the emulator's enforced limits (real HTTP, real clock), with a general
/// bucket cut to 10 requests per 2 s so that a burst is short.</summary>
public sealed class ApiBudgetEmulatorTests
{
    [Fact]
    public async Task Budget_BurstOfReadsOnAShortBucket_PacedWithNo429AndAWaitingWriteGoesBeforeTheReads()
    {
        await using var emulator = await TestEmulator.StartAsync(emulator: o =>
        {
            o.RateLimits.Enabled = true;
            o.RateLimits.GeneralLimit = 10;
            o.RateLimits.GeneralWindow = TimeSpan.FromSeconds(2);
        });
        var client = emulator.Client;
        var instance = await client.Instances.CreateAsync(new CreateInstanceRequest
        {
            Region = "us-east", Type = "g6-nanode-1", Image = "linode/debian12", Label = "budget-1", RootPass = TestEmulator.RootPass,
        });
        // The first answer announces the bucket.
        await client.Instances.GetAsync(instance.Id);

        var order = new ConcurrentQueue<string>();
        var reads = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            await client.Instances.GetAsync(instance.Id);
            order.Enqueue("read");
        })).ToList();
        for (var i = 0; i < 500 && Use(client).Used < 9; i++)
        {
            await Task.Delay(20);
        }

        Assert.True(Use(client).Used >= 9, $"the reads did not spend the bucket: {Use(client)}, {order.Count} done");
        var write = Task.Run(async () =>
        {
            await client.Instances.UpdateAsync(instance.Id, new UpdateInstanceRequest { Label = "budget-renamed" });
            order.Enqueue("write");
        });
        await Task.WhenAll([.. reads, write]);

        var general = Use(client);
        Assert.Equal(0, client.Budget.Use().Sum(u => u.Throttled));
        Assert.Equal(26, general.Sent);
        Assert.True(general.Waits >= 10, $"{general.Waits} requests waited");
        // Reads never take the bucket's last slot: the write goes before every read still waiting.
        var writeAt = order.ToList().IndexOf("write");
        Assert.True(writeAt <= 10, $"the write finished {writeAt + 1}th of 25");
    }

    private static ApiBudgetUse Use(StandaloneLinodeClient client) =>
        client.Budget.Use().Single(u => u.Bucket == LinodeApiBudget.General);
}

using System.Globalization;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Microsoft.Extensions.Time.Testing;
using CoreNodeStatus = Autoscaler.Core.Pools.NodeStatus;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>Many pools on one API budget: the account view shared by every pool of a factory, against the emulator
/// with its rate limits on (real HTTP), the pools on a fake clock that plays the engine's cycles.</summary>
public sealed class FleetSnapshotTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private static readonly LinodeInstancePoolFactoryOptions CycleOptions = new()
    {
        NodeApplyDelay = TimeSpan.Zero,
        SnapshotFreshness = Interval * LinodeInstancePoolFactoryOptions.FreshnessFraction,
        NodeRefresh = TimeSpan.FromMinutes(10),
    };

    [Fact]
    public async Task Snapshot_TwentyPoolsInSteadyState_OneInstanceListPerCycleWhateverThePoolCount()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
        await using var h = await ProviderHarness.StartAsync(time, o => o.RateLimits.Enabled = true);
        h.Balancers.DefaultStatus = "UP";
        var pools = await StartPoolsAsync(h, 20);
        foreach (var pool in pools)
        {
            var member = await h.LaunchRunningAsync(pool, $"{pool.Name}-m0000001");
            await pool.JoinAsync(member, CancellationToken.None);
        }

        await CycleAsync(time, pools);
        h.Recorder.Clear();

        var snapshots = await CycleAsync(time, pools);
        var second = h.Recorder.Requests;
        h.Recorder.Clear();
        await CycleAsync(time, pools);
        var third = h.Recorder.Requests;

        // One paginated GET a pass (the instance list); each config's UP/DOWN count is one GET of the general bucket.
        var list = Assert.Single(Paginated(second));
        Assert.Equal(("GET", true), (list.Method, list.Path.EndsWith("/linode/instances", StringComparison.Ordinal)));
        Assert.Equal(20, System.Text.Json.Nodes.JsonNode.Parse(list.Filter!)!["+or"]!.AsArray().Count);
        Assert.Equal(20, second.Count(IsConfigRead));
        Assert.Equal(21, second.Count);
        Assert.Single(Paginated(third));
        Assert.All(snapshots, s => Assert.Equal(CoreNodeStatus.Up, Assert.Single(s.Members).Node!.Status));
        Assert.All(h.Client.Budget.Use(), u => Assert.Equal(0, u.Throttled));
    }

    [Fact]
    public async Task NodeRefresh_TwentyConfigsOverOnePeriod_EachReadOnceSpreadOverCycles()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
        await using var h = await ProviderHarness.StartAsync(time, o => o.RateLimits.Enabled = true);
        var pools = await StartPoolsAsync(h, 20);
        await CycleAsync(time, pools);
        var perCycle = new List<int>();

        for (var cycle = 0; cycle < 40; cycle++)
        {
            h.Recorder.Clear();
            await CycleAsync(time, pools);
            perCycle.Add(h.Recorder.Requests.Count(r => r.Path.EndsWith("/nodes", StringComparison.Ordinal)));
        }

        // 40 cycles of 15 s are one node_refresh (10 min): each config read once, never all in one cycle.
        Assert.Equal(20, perCycle.Sum());
        Assert.True(perCycle.Max() <= 4, $"node reads per cycle: {string.Join(",", perCycle)}");
    }

    [Fact]
    public async Task Snapshot_OwnLaunchAndRemove_ShowInTheNextSnapshotWithoutARead()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
        await using var h = await ProviderHarness.StartAsync(time, o => o.RateLimits.Enabled = true);
        var pool = (await StartPoolsAsync(h, 1)).Single();
        await pool.SnapshotAsync(CancellationToken.None);
        h.Recorder.Clear();

        var member = await pool.LaunchAsync(new LaunchRequest(pool.Name, "p00-own00001", "op-1", "test"), CancellationToken.None);
        var afterLaunch = await pool.SnapshotAsync(CancellationToken.None);
        await pool.RemoveAsync(afterLaunch.Members.Single(), CancellationToken.None);
        var afterRemove = await pool.SnapshotAsync(CancellationToken.None);

        Assert.Equal(member.Id, Assert.Single(afterLaunch.Members).Id);
        Assert.Empty(afterRemove.Members);
        Assert.DoesNotContain(h.Recorder.Requests, r => r.Method == "GET" && r.Path.EndsWith("/linode/instances", StringComparison.Ordinal));
        Assert.Single(h.Recorder.Find("POST", "/linode/instances"));
        Assert.Single(h.Recorder.Find("DELETE", $"/linode/instances/{member.Id}"));
    }

    [Fact]
    public async Task Snapshot_NodeNotUp_ReadEveryCycleUntilUpThenNoMore()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
        await using var h = await ProviderHarness.StartAsync(time, o => o.RateLimits.Enabled = true);
        var pool = (await StartPoolsAsync(h, 1)).Single();
        var member = await h.LaunchRunningAsync(pool, "p00-node0001");
        await pool.JoinAsync(member, CancellationToken.None);
        var nodeId = (await h.NodesAsync(pool)).Single().Id;
        h.Recorder.Clear();

        var reads = new List<int>();
        var statuses = new List<CoreNodeStatus>();
        for (var cycle = 0; cycle < 5; cycle++)
        {
            if (cycle == 2)
            {
                h.Balancers.SetStatus(nodeId, "UP");
            }

            var before = NodeReads(h);
            var snapshot = (await CycleAsync(time, [pool])).Single();
            reads.Add(NodeReads(h) - before);
            statuses.Add(snapshot.Members.Single().Node!.Status);
        }

        Assert.Equal([1, 1, 1, 0, 0], reads);
        Assert.Equal([CoreNodeStatus.Unknown, CoreNodeStatus.Unknown, CoreNodeStatus.Up, CoreNodeStatus.Up, CoreNodeStatus.Up], statuses);
    }

    [Fact]
    public async Task Snapshot_SteadyFleetNodeGoesDown_SeenAtTheNextPassWithOneMorePaginatedRead()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
        await using var h = await ProviderHarness.StartAsync(time, o => o.RateLimits.Enabled = true);
        h.Balancers.DefaultStatus = "UP";
        var pools = await StartPoolsAsync(h, 8);
        foreach (var pool in pools)
        {
            var member = await h.LaunchRunningAsync(pool, $"{pool.Name}-m0000001");
            await pool.JoinAsync(member, CancellationToken.None);
        }

        await CycleAsync(time, pools);
        var victim = pools[5];
        var nodeId = (await h.NodesAsync(victim)).Single().Id;
        var paginated = new List<int>();
        var victimStatus = new List<CoreNodeStatus>();
        for (var cycle = 0; cycle < 4; cycle++)
        {
            if (cycle == 2)
            {
                // The member's process died: its instance still runs, only the NodeBalancer's health check tells.
                h.Balancers.SetStatus(nodeId, "DOWN");
            }

            h.Recorder.Clear();
            var snapshots = await CycleAsync(time, pools);
            paginated.Add(Paginated(h.Recorder.Requests).Count());
            victimStatus.Add(snapshots[5].Members.Single().Node!.Status);
        }

        // Steady: one list a pass whatever the pools; the DOWN node's config read in the very pass it went DOWN, and
        // read again while it stays DOWN (a node of ours not UP is something changing).
        Assert.Equal([1, 1, 2, 2], paginated);
        Assert.Equal([CoreNodeStatus.Up, CoreNodeStatus.Up, CoreNodeStatus.Down, CoreNodeStatus.Down], victimStatus);
        Assert.All(h.Client.Budget.Use(), u => Assert.Equal(0, u.Throttled));
    }

    private static IEnumerable<RecordedRequest> Paginated(IEnumerable<RecordedRequest> requests) =>
        requests.Where(r => r.Method == "GET" && !IsConfigRead(r));

    private static bool IsConfigRead(RecordedRequest r) =>
        r.Method == "GET" && r.Path.Contains("/configs/", StringComparison.Ordinal) && !r.Path.EndsWith("/nodes", StringComparison.Ordinal);

    private static int NodeReads(ProviderHarness h) =>
        h.Recorder.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("/nodes", StringComparison.Ordinal));

    /// <summary>One NodeBalancer with a config per pool (ports 80, 81, …), and the pools on it from one factory.</summary>
    private static async Task<IReadOnlyList<LinodeInstancePool>> StartPoolsAsync(ProviderHarness h, int count)
    {
        await h.CreateNodeBalancerAsync("fleet-nb", ProviderHarness.Region, [.. Enumerable.Range(80, count)]);
        var configs = Enumerable.Range(0, count)
            .Select(i => ProviderHarness.PoolConfig(string.Create(CultureInfo.InvariantCulture, $"p{i:00}"), "fleet-nb", 80 + i))
            .ToList();
        return await h.Factory(options: CycleOptions).CreateAllAsync(configs, CancellationToken.None);
    }

    /// <summary>What the engine does each interval: the clock moves on, then every pool's snapshot, one after another.</summary>
    private static async Task<List<PoolSnapshot>> CycleAsync(FakeTimeProvider time, IReadOnlyList<LinodeInstancePool> pools)
    {
        time.Advance(Interval);
        var snapshots = new List<PoolSnapshot>();
        foreach (var pool in pools)
        {
            snapshots.Add(await pool.SnapshotAsync(CancellationToken.None));
        }

        return snapshots;
    }
}

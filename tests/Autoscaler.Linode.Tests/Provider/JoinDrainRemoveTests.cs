using System.Globalization;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using ApiNodeMode = Autoscaler.Linode.Models.NodeMode;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>JoinAsync, DrainAsync, RemoveAsync and RemoveOrphanNodeAsync: each idempotent, 404s taken as done, and
/// nothing ever done to an instance without the pool tag.</summary>
public sealed class JoinDrainRemoveTests
{
    private static long Id(PoolMember m) => long.Parse(m.Id, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Join_Twice_OneAcceptNodeAtPrivateAddressAndNodePort()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-join0001");

        await pool.JoinAsync(member, CancellationToken.None);
        await pool.JoinAsync(member, CancellationToken.None);

        var instance = await h.Client.Instances.GetAsync(Id(member));
        var node = Assert.Single(await h.NodesAsync(pool));
        Assert.Equal($"{instance.PrivateIpv4}:8080", node.Address);
        Assert.Equal(ApiNodeMode.Accept, node.Mode);
        Assert.Equal(100, node.Weight);
        Assert.Equal("web-join0001", node.Label);
        Assert.Single(h.Recorder.Find("POST", "/nodes"));
        Assert.Equal(node.Id.ToString(CultureInfo.InvariantCulture), (await ProviderHarness.MemberAsync(pool, member.Id)).Node!.Id);
    }

    [Fact]
    public async Task Join_InstanceWithoutPrivateIp_AllocatesOneAndJoinsWithIt()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var bare = await h.CreateOtherInstanceAsync("web-bare0001", ["autoscaler:web"], privateIp: false);
        Assert.Null(bare.PrivateIpv4);
        var member = await ProviderHarness.MemberAsync(pool, bare.Id.ToString(CultureInfo.InvariantCulture));

        await pool.JoinAsync(member, CancellationToken.None);

        var instance = await h.Client.Instances.GetAsync(bare.Id);
        Assert.NotNull(instance.PrivateIpv4);
        Assert.Equal($"{instance.PrivateIpv4}:8080", Assert.Single(await h.NodesAsync(pool)).Address);
        Assert.Single(h.Recorder.Find("POST", $"/linode/instances/{bare.Id}/ips"));
    }

    [Fact]
    public async Task Join_NodeDraining_LeavesTheDrainInPlace()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-join0002");
        await pool.JoinAsync(member, CancellationToken.None);
        await pool.DrainAsync(member, CancellationToken.None);

        await pool.JoinAsync(member, CancellationToken.None);

        Assert.Equal(ApiNodeMode.Drain, Assert.Single(await h.NodesAsync(pool)).Mode);
    }

    [Fact]
    public async Task Drain_Twice_NodeInDrainModeWithOneUpdate()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-drain001");
        await pool.JoinAsync(member, CancellationToken.None);

        await pool.DrainAsync(member, CancellationToken.None);
        await pool.DrainAsync(member, CancellationToken.None);

        Assert.Equal(ApiNodeMode.Drain, Assert.Single(await h.NodesAsync(pool)).Mode);
        Assert.Single(h.Recorder.Requests, r => r.Method == "PUT" && r.Path.Contains("/nodes/", StringComparison.Ordinal));
        Assert.Equal(Autoscaler.Core.Pools.NodeMode.Drain, (await ProviderHarness.MemberAsync(pool, member.Id)).Node!.Mode);
    }

    [Fact]
    public async Task Undrain_DrainingNode_BackToAcceptWithOneUpdateAndRepeatIsNoOp()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-undrain1");
        await pool.JoinAsync(member, CancellationToken.None);
        await pool.DrainAsync(member, CancellationToken.None);

        await pool.UndrainAsync(member, CancellationToken.None);
        await pool.UndrainAsync(member, CancellationToken.None);

        Assert.Equal(ApiNodeMode.Accept, Assert.Single(await h.NodesAsync(pool)).Mode);
        Assert.Equal(2, h.Recorder.Requests.Count(r => r.Method == "PUT" && r.Path.Contains("/nodes/", StringComparison.Ordinal)));
        Assert.Equal(Autoscaler.Core.Pools.NodeMode.Accept, (await ProviderHarness.MemberAsync(pool, member.Id)).Node!.Mode);
    }

    [Fact]
    public async Task Drain_MemberWithoutNode_NoOp()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-drain002");

        await pool.DrainAsync(member, CancellationToken.None);

        Assert.Empty(await h.NodesAsync(pool));
        Assert.DoesNotContain(h.Recorder.Requests, r => r.Method is "PUT" or "POST" && r.Path.Contains("/nodes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Remove_ThreeTimes_NodeThenInstanceGoneAndRepeatsAreNoOps()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-remove01");
        await pool.JoinAsync(member, CancellationToken.None);
        var keep = await h.LaunchRunningAsync(pool, "web-keep0001");
        await pool.JoinAsync(keep, CancellationToken.None);
        member = await ProviderHarness.MemberAsync(pool, member.Id);

        await pool.RemoveAsync(member, CancellationToken.None);
        // Again while the instance is still being deleted, and once it is gone.
        await pool.RemoveAsync(member, CancellationToken.None);
        await h.WaitGoneAsync(Id(member));
        await pool.RemoveAsync(member, CancellationToken.None);

        Assert.Equal("web-keep0001", Assert.Single(await h.NodesAsync(pool)).Label);
        Assert.Equal("web-keep0001", Assert.Single((await pool.SnapshotAsync(CancellationToken.None)).Members).Label);
        Assert.Single(h.Recorder.Find("DELETE", $"/linode/instances/{member.Id}"));
        var deletes = h.Recorder.Requests.Where(r => r.Method == "DELETE" && r.Path.Contains("/nodes/", StringComparison.Ordinal)).ToList();
        Assert.Single(deletes);
        Assert.EndsWith("/nodes/" + member.Node!.Id, deletes[0].Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_InstanceAlreadyDeleted_RemovesItsNode()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-remove02");
        await pool.JoinAsync(member, CancellationToken.None);
        member = await ProviderHarness.MemberAsync(pool, member.Id);
        await h.Client.Instances.DeleteAsync(Id(member));
        await h.WaitGoneAsync(Id(member));

        await pool.RemoveAsync(member, CancellationToken.None);

        Assert.Empty(await h.NodesAsync(pool));
    }

    [Fact]
    public async Task RemoveOrphanNode_NoSuchNode_NoOp()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();

        await pool.RemoveOrphanNodeAsync(new OrphanNode("987654", "192.168.200.1:8080", "web-ghost001"), CancellationToken.None);

        Assert.Empty(h.Recorder.Find("DELETE", "/nodes/987654"));
    }

    [Fact]
    public async Task JoinDrainRemove_InstanceWithoutPoolTag_RefusedAndUntouched()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        // Once a member; its tag was removed after the snapshot the engine acts on.
        var former = await h.LaunchRunningAsync(pool, "web-former01");
        await pool.JoinAsync(former, CancellationToken.None);
        former = await ProviderHarness.MemberAsync(pool, former.Id);
        await h.Client.Instances.UpdateAsync(Id(former), new UpdateInstanceRequest { Tags = ["app:web"] });
        // Never a member: a baseline instance with a node added by hand.
        var baseline = await h.CreateOtherInstanceAsync("baseline-2", ["terraform"]);
        var baselineNode = await h.AddNodeByHandAsync(pool, "baseline-2", baseline);
        await h.WaitForStatusAsync(baseline.Id, InstanceStatus.Running);
        var fake = new PoolMember
        {
            Id = baseline.Id.ToString(CultureInfo.InvariantCulture),
            Label = baseline.Label,
            Node = new LoadBalancerNode(baselineNode.Id.ToString(CultureInfo.InvariantCulture), baselineNode.Address, Autoscaler.Core.Pools.NodeStatus.Up, Autoscaler.Core.Pools.NodeMode.Accept),
        };
        h.Recorder.Clear();

        foreach (var target in new[] { former, fake })
        {
            await Assert.ThrowsAsync<PoolMembershipException>(() => pool.JoinAsync(target, CancellationToken.None));
            await Assert.ThrowsAsync<PoolMembershipException>(() => pool.DrainAsync(target, CancellationToken.None));
            var ex = await Assert.ThrowsAsync<PoolMembershipException>(() => pool.RemoveAsync(target, CancellationToken.None));
            Assert.Contains("refusing to remove", ex.Message, StringComparison.Ordinal);
        }

        Assert.All(h.Recorder.Requests, r => Assert.Equal("GET", r.Method));
        Assert.Equal(InstanceStatus.Running, (await h.Client.Instances.GetAsync(Id(former))).Status);
        Assert.Equal(InstanceStatus.Running, (await h.Client.Instances.GetAsync(baseline.Id)).Status);
        var nodes = await h.NodesAsync(pool);
        Assert.Equal(2, nodes.Count);
        Assert.All(nodes, n => Assert.Equal(ApiNodeMode.Accept, n.Mode));
    }
}

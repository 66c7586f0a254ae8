using System.Globalization;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Microsoft.Extensions.Time.Testing;
using ApiNodeMode = Autoscaler.Linode.Models.NodeMode;
using ApiNodeStatus = Autoscaler.Linode.Models.NodeStatus;
using CoreNodeMode = Autoscaler.Core.Pools.NodeMode;
using CoreNodeStatus = Autoscaler.Core.Pools.NodeStatus;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>SnapshotAsync against the emulator: membership by tag, state and node mapping, protection, "since" times
/// and the orphan-node rule.</summary>
public sealed class SnapshotTests
{
    private static long Id(PoolMember m) => long.Parse(m.Id, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Snapshot_MembersInSeveralStates_MapsStateNodeModeAndProtection()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();

        var serving = await h.LaunchRunningAsync(pool, "web-serving1");
        await pool.JoinAsync(serving, CancellationToken.None);
        var draining = await h.LaunchRunningAsync(pool, "web-draining");
        await pool.JoinAsync(draining, CancellationToken.None);
        await pool.DrainAsync(draining, CancellationToken.None);
        await h.Client.Instances.UpdateAsync(Id(draining), new UpdateInstanceRequest { Tags = ["autoscaler:web", "autoscaler:protected"] });
        var offline = await h.CreateOtherInstanceAsync("web-offline1", ["autoscaler:web"], booted: false);
        await h.WaitForStatusAsync(offline.Id, InstanceStatus.Offline);
        var stranger = await h.CreateOtherInstanceAsync("stranger-1", ["app:web"]);
        var nodes = await h.NodesAsync(pool);
        h.Balancers.SetStatus(nodes.Single(n => n.Label == "web-serving1").Id, "UP");
        h.Balancers.SetStatus(nodes.Single(n => n.Label == "web-draining").Id, "DOWN");

        var snapshot = await pool.SnapshotAsync(CancellationToken.None);

        Assert.Equal("web", snapshot.Pool);
        Assert.Empty(snapshot.OrphanNodes);
        Assert.Equal(["web-draining", "web-offline1", "web-serving1"], snapshot.Members.Select(m => m.Label).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(snapshot.Members, m => m.Id == stranger.Id.ToString(CultureInfo.InvariantCulture));

        var s = snapshot.Members.Single(m => m.Label == "web-serving1");
        var servingInstance = await h.Client.Instances.GetAsync(Id(s));
        Assert.Equal(InstanceState.Running, s.State);
        Assert.False(s.Protected);
        Assert.Equal(servingInstance.PublicIpv4, s.Address);
        Assert.Equal(servingInstance.Created!.Value, s.CreatedAt);
        Assert.NotNull(s.Node);
        Assert.Equal($"{servingInstance.PrivateIpv4}:8080", s.Node.Address);
        Assert.Equal(CoreNodeStatus.Up, s.Node.Status);
        Assert.Equal(CoreNodeMode.Accept, s.Node.Mode);
        Assert.Null(s.OperationId);

        var d = snapshot.Members.Single(m => m.Label == "web-draining");
        Assert.True(d.Protected);
        Assert.Equal(CoreNodeStatus.Down, d.Node!.Status);
        Assert.Equal(CoreNodeMode.Drain, d.Node.Mode);

        var o = snapshot.Members.Single(m => m.Label == "web-offline1");
        Assert.Equal(InstanceState.Offline, o.State);
        Assert.Null(o.Node);
    }

    [Fact]
    public async Task Snapshot_NewNode_ReportsUnknownUntilChecked()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-new00001");
        await pool.JoinAsync(member, CancellationToken.None);

        var snapshot = await pool.SnapshotAsync(CancellationToken.None);

        Assert.Equal(CoreNodeStatus.Unknown, snapshot.Members.Single().Node!.Status);
    }

    [Fact]
    public async Task Snapshot_Always_OneTagFilteredListOfInstancesAndOneListOfNodes()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-calls001");
        await pool.JoinAsync(member, CancellationToken.None);
        h.Recorder.Clear();

        await pool.SnapshotAsync(CancellationToken.None);

        var requests = h.Recorder.Requests;
        Assert.Equal(2, requests.Count);
        var instances = Assert.Single(requests, r => r.Path.EndsWith("/linode/instances", StringComparison.Ordinal));
        Assert.Equal("GET", instances.Method);
        Assert.Equal("""{"tags":"autoscaler:web"}""", instances.Filter);
        Assert.Single(requests, r => r.Method == "GET" && r.Path.EndsWith($"/configs/{pool.Target.ConfigId}/nodes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Snapshot_ApiIgnoresTagFilter_InstancesWithoutPoolTagAreNotMembers()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        await pool.LaunchAsync(new LaunchRequest("web", "web-member01", "op-1", "test"), CancellationToken.None);
        var stranger = await h.CreateOtherInstanceAsync("stranger-2", ["autoscaler:webby", "autoscaler:protected"]);
        h.Recorder.DropFilters = true;

        var snapshot = await pool.SnapshotAsync(CancellationToken.None);

        Assert.Equal("web-member01", Assert.Single(snapshot.Members).Label);
        Assert.Contains(h.Logs.Entries, e => e.EventId.Id == 151 && e.Message.Contains(stranger.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Snapshot_StatusChanges_SinceIsFirstSightOfEachStatus()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var h = await ProviderHarness.StartAsync(time);
        var pool = await h.StartPoolAsync();
        var member = await h.LaunchRunningAsync(pool, "web-since001");
        await pool.JoinAsync(member, CancellationToken.None);
        var nodeId = (await h.NodesAsync(pool)).Single().Id;
        var t0 = time.GetUtcNow();

        var first = (await pool.SnapshotAsync(CancellationToken.None)).Members.Single();
        time.Advance(TimeSpan.FromSeconds(10));
        h.Balancers.SetStatus(nodeId, "UP");
        var up = (await pool.SnapshotAsync(CancellationToken.None)).Members.Single();
        time.Advance(TimeSpan.FromSeconds(50));
        var stillUp = (await pool.SnapshotAsync(CancellationToken.None)).Members.Single();
        time.Advance(TimeSpan.FromSeconds(5));
        h.Balancers.SetStatus(nodeId, "DOWN");
        var down = (await pool.SnapshotAsync(CancellationToken.None)).Members.Single();

        Assert.Equal((CoreNodeStatus.Unknown, t0), (first.Node!.Status, first.Node.StatusSince));
        Assert.Equal((CoreNodeStatus.Up, t0.AddSeconds(10)), (up.Node!.Status, up.Node.StatusSince));
        Assert.Equal((CoreNodeStatus.Up, t0.AddSeconds(10)), (stillUp.Node!.Status, stillUp.Node.StatusSince));
        Assert.Equal((CoreNodeStatus.Down, t0.AddSeconds(65)), (down.Node!.Status, down.Node.StatusSince));
        Assert.Equal(t0, down.StateSince);
        Assert.Equal(time.GetUtcNow(), (await pool.SnapshotAsync(CancellationToken.None)).TakenAt);
    }

    [Fact]
    public async Task Snapshot_NodesOfGoneAndForeignInstances_OnlyAutoscalerNodeOfMissingInstanceIsOrphan()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();

        // A live member with its node.
        var member = await h.LaunchRunningAsync(pool, "web-live0001");
        await pool.JoinAsync(member, CancellationToken.None);
        // A member deleted behind the autoscaler's back: its node is an orphan.
        var gone = await h.LaunchRunningAsync(pool, "web-gone0001");
        await pool.JoinAsync(gone, CancellationToken.None);
        // A Terraform-managed baseline instance with a node added by hand: not ours.
        var baseline = await h.CreateOtherInstanceAsync("baseline-1", ["terraform"]);
        var baselineNode = await h.AddNodeByHandAsync(pool, "baseline-1", baseline);
        // A node added by hand whose instance is gone: still not ours, so never removed.
        var temp = await h.CreateOtherInstanceAsync("temp-1");
        var tempNode = await h.AddNodeByHandAsync(pool, "manual-node", temp);
        // A member taken out of the pool by removing its tag: its instance exists, so its node is left alone.
        var detached = await h.LaunchRunningAsync(pool, "web-detached");
        await pool.JoinAsync(detached, CancellationToken.None);
        await h.Client.Instances.UpdateAsync(Id(detached), new UpdateInstanceRequest { Tags = [] });

        await h.Client.Instances.DeleteAsync(Id(gone));
        await h.Client.Instances.DeleteAsync(temp.Id);
        await h.WaitGoneAsync(Id(gone));
        await h.WaitGoneAsync(temp.Id);
        var goneNode = (await h.NodesAsync(pool)).Single(n => n.Label == "web-gone0001");

        var snapshot = await pool.SnapshotAsync(CancellationToken.None);

        Assert.Equal("web-live0001", Assert.Single(snapshot.Members).Label);
        var orphan = Assert.Single(snapshot.OrphanNodes);
        Assert.Equal(new OrphanNode(goneNode.Id.ToString(CultureInfo.InvariantCulture), goneNode.Address, "web-gone0001"), orphan);

        await pool.RemoveOrphanNodeAsync(orphan, CancellationToken.None);
        await pool.RemoveOrphanNodeAsync(orphan, CancellationToken.None);

        var left = await h.NodesAsync(pool);
        Assert.Equal(["baseline-1", "manual-node", "web-detached", "web-live0001"], left.Select(n => n.Label).Order(StringComparer.Ordinal));
        Assert.Contains(left, n => n.Id == baselineNode.Id && n.Mode == ApiNodeMode.Accept);
        Assert.Contains(left, n => n.Id == tempNode.Id);
        Assert.Empty((await pool.SnapshotAsync(CancellationToken.None)).OrphanNodes);
        Assert.NotNull(await h.TryGetInstanceAsync(Id(detached)));
    }

    [Fact]
    public async Task RemoveOrphanNode_NodeRepointedSinceSnapshot_LeavesItAlone()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var gone = await h.LaunchRunningAsync(pool, "web-gone0002");
        await pool.JoinAsync(gone, CancellationToken.None);
        await h.Client.Instances.DeleteAsync(Id(gone));
        await h.WaitGoneAsync(Id(gone));
        var orphan = Assert.Single((await pool.SnapshotAsync(CancellationToken.None)).OrphanNodes);
        var other = await h.CreateOtherInstanceAsync("other-1");
        await h.Client.NodeBalancers.UpdateNodeAsync(pool.Target.NodeBalancerId, pool.Target.ConfigId, long.Parse(orphan.Id, CultureInfo.InvariantCulture),
            new NodeRequest { Address = $"{other.PrivateIpv4}:8080" });

        await pool.RemoveOrphanNodeAsync(orphan, CancellationToken.None);

        Assert.Single(await h.NodesAsync(pool));
    }

    [Theory]
    [InlineData(InstanceStatus.Provisioning, InstanceState.Provisioning)]
    [InlineData(InstanceStatus.Booting, InstanceState.Booting)]
    [InlineData(InstanceStatus.Rebooting, InstanceState.Booting)]
    [InlineData(InstanceStatus.Rebuilding, InstanceState.Booting)]
    [InlineData(InstanceStatus.Restoring, InstanceState.Booting)]
    [InlineData(InstanceStatus.Running, InstanceState.Running)]
    [InlineData(InstanceStatus.Busy, InstanceState.Running)]
    [InlineData(InstanceStatus.Migrating, InstanceState.Running)]
    [InlineData(InstanceStatus.Resizing, InstanceState.Running)]
    [InlineData(InstanceStatus.Cloning, InstanceState.Running)]
    [InlineData(InstanceStatus.Unknown, InstanceState.Running)]
    [InlineData(InstanceStatus.Offline, InstanceState.Offline)]
    [InlineData(InstanceStatus.Stopped, InstanceState.Offline)]
    [InlineData(InstanceStatus.ShuttingDown, InstanceState.Offline)]
    [InlineData(InstanceStatus.BillingSuspension, InstanceState.Offline)]
    [InlineData(InstanceStatus.Deleting, InstanceState.Deleting)]
    public void MapState_EveryLinodeStatus_MapsToProviderState(InstanceStatus status, InstanceState expected) =>
        Assert.Equal(expected, LinodeInstancePool.MapState(status));

    [Fact]
    public void MapStatusAndMode_EveryValue_Mapped()
    {
        Assert.Equal(CoreNodeStatus.Up, LinodeInstancePool.MapStatus(ApiNodeStatus.Up));
        Assert.Equal(CoreNodeStatus.Down, LinodeInstancePool.MapStatus(ApiNodeStatus.Down));
        Assert.Equal(CoreNodeStatus.Unknown, LinodeInstancePool.MapStatus(ApiNodeStatus.Unknown));
        Assert.Equal(CoreNodeMode.Accept, LinodeInstancePool.MapMode(ApiNodeMode.Accept));
        Assert.Equal(CoreNodeMode.Drain, LinodeInstancePool.MapMode(ApiNodeMode.Drain));
        Assert.Equal(CoreNodeMode.Reject, LinodeInstancePool.MapMode(ApiNodeMode.Reject));
        Assert.Equal(CoreNodeMode.Accept, LinodeInstancePool.MapMode(ApiNodeMode.Backup));
    }
}

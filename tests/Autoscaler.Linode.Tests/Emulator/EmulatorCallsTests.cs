using Autoscaler.Linode.Models;
using Autoscaler.Linode.Tests.Support;

namespace Autoscaler.Linode.Tests.Emulator;

/// <summary>Every call of the client against the emulator over real HTTP.</summary>
public sealed class EmulatorCallsTests
{
    [Fact]
    public async Task Catalog_RegionsTypesImages_ListAndGet()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var client = emulator.Client;

        var regions = await client.Regions.ListAsync().ToListAsync();
        var region = await client.Regions.GetAsync("us-east");
        var types = await client.Types.ListAsync().ToListAsync();
        var nanode = await client.Types.GetAsync("g6-nanode-1");
        var nanodes = await client.Types.ListAsync(Filter.Eq("class", "nanode")).ToListAsync();
        var images = await client.Images.ListAsync().ToListAsync();
        var debian = await client.Images.GetAsync("linode/debian12");

        Assert.Contains(regions, r => r.Id == "us-east");
        Assert.Equal("us-east", region.Id);
        Assert.True(region.HasCapability("NodeBalancers"));
        Assert.Contains(types, t => t.Id == "g6-nanode-1");
        Assert.Equal(1, nanode.Vcpus);
        Assert.True(nanode.Price!.Hourly > 0);
        Assert.NotEmpty(nanodes);
        Assert.All(nanodes, t => Assert.Equal("nanode", t.TypeClass));
        Assert.Contains(images, i => i.Id == "linode/debian12");
        Assert.Equal("linode/debian12", debian.Id);
        Assert.True(debian.IsPublic);
    }

    [Fact]
    public async Task Instances_Lifecycle_CreateGetUpdateBootRebootShutdownDelete()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var instances = emulator.Client.Instances;

        var created = await emulator.CreateInstanceAsync("web-1", ["pool:web"]);
        Assert.Equal("web-1", created.Label);
        Assert.Equal(["pool:web"], created.Tags);
        Assert.NotNull(created.Created);
        Assert.NotNull(created.PrivateIpv4);

        var offline = await emulator.WaitForStatusAsync(created.Id, InstanceStatus.Offline);
        Assert.Equal("offline", offline.RawStatus);

        var updated = await instances.UpdateAsync(created.Id,
            new UpdateInstanceRequest { Label = "web-one", Tags = ["pool:web", "protected"] });
        Assert.Equal("web-one", updated.Label);
        Assert.True(updated.HasTag("protected"));

        await instances.BootAsync(created.Id);
        await emulator.WaitForStatusAsync(created.Id, InstanceStatus.Running);
        Assert.Contains(emulator.Instances.Started, s => s.LinodeId == created.Id);

        await instances.RebootAsync(created.Id);
        await emulator.WaitForStatusAsync(created.Id, InstanceStatus.Running);

        await instances.ShutdownAsync(created.Id);
        await emulator.WaitForStatusAsync(created.Id, InstanceStatus.Offline);

        await instances.DeleteAsync(created.Id);
        await TestClients.WaitUntilAsync(async () =>
        {
            try
            {
                await instances.GetAsync(created.Id);
                return false;
            }
            catch (LinodeNotFoundException)
            {
                return true;
            }
        }, "the deleted instance to be gone");
    }

    [Fact]
    public async Task Instances_Ips_PrivateFromCreateAndAllocatedLater()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var instances = emulator.Client.Instances;
        var withPrivate = await emulator.CreateInstanceAsync("with-private");
        var withoutPrivate = await emulator.CreateInstanceAsync("without-private", privateIp: false);

        var ips = await instances.GetIpsAsync(withPrivate.Id);
        var allocated = await instances.AllocateIpv4Async(withoutPrivate.Id);
        var after = await instances.GetAsync(withoutPrivate.Id);

        var privateIp = Assert.Single(ips.Ipv4!.PrivateAddresses);
        Assert.Equal(withPrivate.PrivateIpv4, privateIp.Address);
        Assert.False(privateIp.Public);
        Assert.Equal(17, privateIp.Prefix);
        Assert.Single(ips.Ipv4.PublicAddresses);
        Assert.False(allocated.Public);
        Assert.True(IpAddress.IsLinodePrivateIpv4(allocated.Address));
        Assert.Equal(withoutPrivate.Id, allocated.LinodeId);
        Assert.Contains(allocated.Address, after.Ipv4);
    }

    [Fact]
    public async Task NodeBalancers_ConfigsAndNodes_FullCrud()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var nbs = emulator.Client.NodeBalancers;
        var web1 = await emulator.CreateInstanceAsync("web-1");
        var web2 = await emulator.CreateInstanceAsync("web-2");

        var nb = await nbs.CreateAsync(new CreateNodeBalancerRequest { Region = "us-east", Label = "pool-web", Tags = ["pool:web"] });
        Assert.Equal("pool-web", nb.Label);
        Assert.NotNull(nb.Ipv4);
        Assert.Equal(nb.Id, (await nbs.GetAsync(nb.Id)).Id);
        Assert.Contains(await nbs.ListAsync(Filter.Tag("pool:web")).ToListAsync(), n => n.Id == nb.Id);
        var renamed = await nbs.UpdateAsync(nb.Id, new UpdateNodeBalancerRequest { Label = "pool-web-2", ClientConnThrottle = 5 });
        Assert.Equal("pool-web-2", renamed.Label);
        Assert.Equal(5, renamed.ClientConnThrottle);

        var config = await nbs.CreateConfigAsync(nb.Id, new ConfigRequest
        {
            Port = 80,
            Protocol = ConfigProtocol.Http,
            Algorithm = BalancingAlgorithm.Roundrobin,
            Check = HealthCheck.Http,
            CheckPath = "/health",
            CheckInterval = 5,
            CheckTimeout = 3,
            CheckAttempts = 2,
        });
        Assert.Equal(80, config.Port);
        Assert.Equal(HealthCheck.Http, config.Check);
        Assert.Equal(nb.Id, config.NodebalancerId);
        var reconfigured = await nbs.UpdateConfigAsync(nb.Id, config.Id, new ConfigRequest { Algorithm = BalancingAlgorithm.Leastconn });
        Assert.Equal(BalancingAlgorithm.Leastconn, reconfigured.Algorithm);
        Assert.Equal(config.Id, (await nbs.GetConfigAsync(nb.Id, config.Id)).Id);
        Assert.Single(await nbs.ListConfigsAsync(nb.Id).ToListAsync());

        var node = await nbs.CreateNodeAsync(nb.Id, config.Id,
            new NodeRequest { Label = "web-1", Address = web1.PrivateIpv4 + ":8080" });
        Assert.Equal(NodeMode.Accept, node.Mode);
        Assert.Equal(config.Id, node.ConfigId);
        var drained = await nbs.UpdateNodeAsync(nb.Id, config.Id, node.Id, new NodeRequest { Mode = NodeMode.Drain, Weight = 10 });
        Assert.Equal(NodeMode.Drain, drained.Mode);
        Assert.Equal(10, drained.Weight);
        var fetched = await nbs.GetNodeAsync(nb.Id, config.Id, node.Id);
        Assert.Equal(NodeStatus.Up, fetched.Status);
        Assert.Single(await nbs.ListNodesAsync(nb.Id, config.Id).ToListAsync());

        var rebuilt = await nbs.RebuildConfigAsync(nb.Id, config.Id, new RebuildConfigRequest
        {
            Port = 80,
            Protocol = ConfigProtocol.Http,
            Nodes =
            [
                new RebuildNodeRequest { Id = node.Id, Label = "web-1", Address = web1.PrivateIpv4 + ":8080", Mode = NodeMode.Accept },
                new RebuildNodeRequest { Label = "web-2", Address = web2.PrivateIpv4 + ":8080" },
            ],
        });
        Assert.Equal(config.Id, rebuilt.Id);
        var nodes = await nbs.ListNodesAsync(nb.Id, config.Id).ToListAsync();
        Assert.Equal(["web-1", "web-2"], nodes.Select(n => n.Label).Order());
        Assert.Contains(nodes, n => n.Id == node.Id && n.Mode == NodeMode.Accept);

        await nbs.DeleteNodeAsync(nb.Id, config.Id, node.Id);
        Assert.Single(await nbs.ListNodesAsync(nb.Id, config.Id).ToListAsync());
        await nbs.DeleteConfigAsync(nb.Id, config.Id);
        Assert.Empty(await nbs.ListConfigsAsync(nb.Id).ToListAsync());
        await nbs.DeleteAsync(nb.Id);
        await Assert.ThrowsAsync<LinodeNotFoundException>(() => nbs.GetAsync(nb.Id));
    }

    [Fact]
    public async Task NodeStatus_LiveApiSpellingUnknown_ParsesAsUnknown()
    {
        await using var emulator = await TestEmulator.StartAsync(nodeStatus: "Unknown");
        var nbs = emulator.Client.NodeBalancers;
        var web = await emulator.CreateInstanceAsync("web-1");
        var nb = await nbs.CreateAsync(new CreateNodeBalancerRequest { Region = "us-east" });
        var config = await nbs.CreateConfigAsync(nb.Id, new ConfigRequest { Port = 80 });

        var node = await nbs.CreateNodeAsync(nb.Id, config.Id, new NodeRequest { Label = "web-1", Address = web.PrivateIpv4 + ":80" });

        Assert.Equal("Unknown", node.RawStatus);
        Assert.Equal(NodeStatus.Unknown, node.Status);
    }

    [Fact]
    public async Task Networking_ListIps_IncludesPublicAndPrivate()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var web = await emulator.CreateInstanceAsync("web-1");

        var ips = await emulator.Client.Networking.ListIpsAsync().ToListAsync();
        var ranges = await emulator.Client.Networking.ListIpv6RangesAsync(Filter.Eq("region", "us-east")).ToListAsync();

        Assert.Contains(ips, ip => ip.Address == web.PrivateIpv4 && !ip.Public && ip.LinodeId == web.Id);
        Assert.Contains(ips, ip => ip.Address == web.PublicIpv4 && ip.Public);
        Assert.All(ranges, r => Assert.Equal("us-east", r.Region));
    }

    [Fact]
    public async Task Events_ListFilterGetAndMarkSeen()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var web = await emulator.CreateInstanceAsync("web-1");
        var events = emulator.Client.Events;

        var mine = await events.ListAsync(
                (Filter.Eq("entity.id", web.Id) & Filter.Eq("entity.type", "linode") &
                 Filter.Eq("action", EventActions.LinodeCreate)).OrderBy("created", SortOrder.Descending))
            .ToListAsync();
        var created = Assert.Single(mine);
        Assert.Equal(web.Id, created.Entity!.NumericId);
        Assert.Equal("web-1", created.Entity.Label);
        Assert.NotNull(created.Created);

        var fetched = await events.GetAsync(created.Id);
        Assert.Equal(created.Id, fetched.Id);
        Assert.False(fetched.Seen);

        await events.MarkSeenAsync(created.Id);
        Assert.True((await events.GetAsync(created.Id)).Seen);
        await emulator.WaitForStatusAsync(web.Id, InstanceStatus.Offline);
        Assert.Contains(await events.ListAsync(Filter.Gte("created", created.Created!.Value)).ToListAsync(),
            e => e.Id == created.Id);
    }

    [Fact]
    public async Task Tags_CreateListTaggedObjectsDelete()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var tags = emulator.Client.Tags;
        var web = await emulator.CreateInstanceAsync("web-1");

        var tag = await tags.CreateAsync(new CreateTagRequest { Label = "pool:web", Linodes = [web.Id] });
        var all = await tags.ListAsync().ToListAsync();
        var objects = await tags.ListTaggedObjectsAsync("pool:web").ToListAsync();
        var tagged = await emulator.Client.Instances.GetAsync(web.Id);

        Assert.Equal("pool:web", tag.Label);
        Assert.Contains(all, t => t.Label == "pool:web");
        var obj = Assert.Single(objects);
        Assert.Equal("linode", obj.Type);
        Assert.Equal(web.Id, obj.AsInstance()!.Id);
        Assert.Null(obj.AsNodeBalancer());
        Assert.True(tagged.HasTag("pool:web"));

        await tags.DeleteAsync("pool:web");
        Assert.DoesNotContain(await tags.ListAsync().ToListAsync(), t => t.Label == "pool:web");
        Assert.False((await emulator.Client.Instances.GetAsync(web.Id)).HasTag("pool:web"));
    }
}

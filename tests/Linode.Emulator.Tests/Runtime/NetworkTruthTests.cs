using System.Net;
using System.Text.Json.Nodes;
using Linode.Emulator.Runtime;
using Linode.Emulator.Tests.Api;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workload;
using static Linode.Emulator.Tests.Runtime.BalancerHarness;

namespace Linode.Emulator.Tests.Runtime;

/// <summary>Where the emulator's network behaves as Linode's does: NodeBalancer changes applied late, the private
/// network, Cloud Firewalls on the balancer's traffic, passive checks under load.</summary>
public sealed class NetworkTruthTests
{
    private const int NbPort = 8088;

    [Fact]
    public async Task ApplyDelay_DrainAndReject_TakeEffectOnlyAfterTheDelay()
    {
        var time = new FakeTimeProvider();
        await using var runtime = new YarpLoadBalancerRuntime(time, NullLoggerFactory.Instance);
        await using var h = await EmulatorHarness.StartAsync(
            o => o.Delays.NodeBalancerApply = TimeSpan.FromSeconds(45), time, runtime);
        var (nb, configId, nodeIds, backends) = await NodeBalancerOverTwoBackendsAsync(h);
        await using var _ = backends[0];
        await using var __ = backends[1];
        using var client = Client();
        var url = new Uri($"http://{nb}:{NbPort}/");
        await Wait.UntilAsync(() => runtime.GetNodeStatus(configId, nodeIds[0]) == "UP" && runtime.GetNodeStatus(configId, nodeIds[1]) == "UP", "both nodes UP");

        var drained = await h.PutOkAsync($"nodebalancers/{nb.Id}/configs/{configId}/nodes/{nodeIds[0]}", new JsonObject { ["mode"] = "drain" });
        Assert.Equal("drain", drained["mode"]!.GetValue<string>());

        // The API says drain, the balancer has not heard yet: the node still gets new connections.
        var before = runtime.GetNodeCounters(configId, nodeIds[0])!.Value.Requests;
        for (var i = 0; i < 6; i++)
        {
            (await client.GetAsync(url)).Dispose();
        }
        Assert.True(runtime.GetNodeCounters(configId, nodeIds[0])!.Value.Requests > before, "the drained node got no new connection before the delay");

        time.Advance(TimeSpan.FromSeconds(45));
        await Wait.UntilAsync(async () =>
        {
            var start = runtime.GetNodeCounters(configId, nodeIds[0])!.Value.Requests;
            for (var i = 0; i < 4; i++)
            {
                (await client.GetAsync(url)).Dispose();
            }
            return runtime.GetNodeCounters(configId, nodeIds[0])!.Value.Requests == start;
        }, "the drain to reach the balancer");

        await h.PutOkAsync($"nodebalancers/{nb.Id}/configs/{configId}/nodes/{nodeIds[1]}", new JsonObject { ["mode"] = "reject" });
        var node = await h.GetOkAsync($"nodebalancers/{nb.Id}/configs/{configId}/nodes/{nodeIds[1]}");
        Assert.Equal(("reject", "UP"), (node["mode"]!.GetValue<string>(), node["status"]!.GetValue<string>()));
        time.Advance(TimeSpan.FromSeconds(45));
        await Wait.UntilAsync(async () =>
            (await h.GetOkAsync($"nodebalancers/{nb.Id}/configs/{configId}/nodes/{nodeIds[1]}"))["status"]!.GetValue<string>() == "DOWN",
            "the rejected node DOWN");
    }

    [Theory]
    [InlineData(BindTo.Public, "DOWN")]
    [InlineData(BindTo.Both, "UP")]
    public async Task Workload_BoundToPublicOnly_DownBehindNodeBalancer(BindTo bind, string expected)
    {
        var (publicAddress, privateAddress) = (Loopback.Next(), Loopback.Next());
        await using var workload = WorkloadApp.Build(new WorkloadOptions
        {
            Address = publicAddress,
            PrivateAddress = privateAddress,
            Bind = bind,
            Port = 8080,
            MetricsPort = 9100,
            Vcpus = 1,
        }, configureLogging: _ => { });
        await workload.StartAsync();
        await using var lb = new BalancerHarness();

        // The balancer connects to the node's private address, as a real NodeBalancer does.
        var spec = lb.Spec([new BalancerNode(1, new IPEndPoint(privateAddress, 8080), "accept", 50)], attempts: 1);
        await lb.ApplyAsync(spec);

        Assert.Equal(expected, lb.Status(1));
    }

    [Fact]
    public async Task Firewall_DropsNodeBalancerRange_NodeDown()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]) with { Blocked = true }, Node(2, b[1])], attempts: 1));
        using var client = Client();

        Assert.Equal(("DOWN", "UP"), (lb.Status(1), lb.Status(2)));
        Assert.Equal(4, (await lb.SpreadAsync(client, 4))["b1"]);
        Assert.Empty(b[0].Received);
    }

    [Fact]
    public async Task Firewall_NodeBalancerFirewallDropsClient_ConnectionRefusedByDrop()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(1);
        var drop = new InboundFilter("nb-fw", AcceptByDefault: false, []);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0])], attempts: 1) with { ClientFilter = drop });
        using var client = Client();

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(lb.Url));
        Assert.Empty(b[0].Received);
    }

    [Theory]
    [InlineData(true, "DOWN")]
    [InlineData(false, "UP")]
    public async Task PassiveCheck_BackendsAnswer503UnderLoad_EjectedInCascadeOnlyWhenPassiveOn(bool passive, string expected)
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(3);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1]), Node(3, b[2])], check: "none", attempts: 2, passive: passive));
        using var client = Client();

        // A full queue answers 503 (the Workload's overload answer): with passive checks every 5xx counts against
        // the node, so the busiest nodes leave one after another and the rest take even more load.
        foreach (var backend in b)
        {
            backend.RootStatus = 503;
        }
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await client.GetAsync(lb.Url);
            statuses.Add(response.StatusCode);
        }

        Assert.All([1L, 2L, 3L], id => Assert.Equal(expected, lb.Status(id)));
        if (passive)
        {
            // Every node ejected: what is left is the balancer's own "no server" page.
            using var last = await client.GetAsync(lb.Url);
            Assert.Contains("No server is available", await last.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private static async Task<(NodeBalancerRef Nb, long ConfigId, long[] NodeIds, TestBackend[] Backends)> NodeBalancerOverTwoBackendsAsync(EmulatorHarness h)
    {
        var instances = new[]
        {
            await h.CreateInstanceAsync(b => b["private_ip"] = true),
            await h.CreateInstanceAsync(b => b["private_ip"] = true),
        };
        var backends = new List<TestBackend>();
        for (var i = 0; i < instances.Length; i++)
        {
            var id = instances[i]["id"]!.GetValue<long>();
            await h.WaitForStatusAsync(id, "running");
            var spec = h.Instances.Started.Last(s => s.LinodeId == id);
            Assert.NotNull(spec.PrivateAddress);
            Assert.NotEqual(spec.Address, spec.PrivateAddress);
            backends.Add(await TestBackend.StartAtAsync("b" + i, new IPEndPoint(spec.PrivateAddress!, 8080)));
        }
        var nodes = new JsonArray();
        for (var i = 0; i < instances.Length; i++)
        {
            nodes.Add(new JsonObject { ["label"] = "node" + i, ["address"] = instances[i]["ipv4"]![1]!.GetValue<string>() + ":8080" });
        }
        var nb = await h.PostOkAsync("nodebalancers", new JsonObject
        {
            ["region"] = "us-east",
            ["configs"] = new JsonArray(new JsonObject { ["port"] = NbPort, ["check"] = "none", ["nodes"] = nodes }),
        });
        var nbId = nb["id"]!.GetValue<long>();
        var config = (await h.GetOkAsync($"nodebalancers/{nbId}/configs"))["data"]![0]!;
        var configId = config["id"]!.GetValue<long>();
        var nodeList = (await h.GetOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes"))["data"]!.AsArray();
        var ids = nodeList.OrderBy(n => n!["label"]!.GetValue<string>(), StringComparer.Ordinal).Select(n => n!["id"]!.GetValue<long>()).ToArray();
        return (new NodeBalancerRef(nbId, IPAddress.Parse(nb["ipv4"]!.GetValue<string>())), configId, ids, [.. backends]);
    }

    private sealed record NodeBalancerRef(long Id, IPAddress Address)
    {
        public override string ToString() => Address.ToString();
    }
}

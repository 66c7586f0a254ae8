using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Autoscaler.Linode.Tests.Support;
using Linode.Emulator;
using CoreNodeStatus = Autoscaler.Core.Pools.NodeStatus;
using PoolNodeBalancer = Autoscaler.Linode.Configuration.NodeBalancerConfig;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>Issue 14: a firewall that drops the NodeBalancer's range makes the node DOWN, and the provider says why.</summary>
public sealed class FirewallDiagnosisTests
{
    [Fact]
    public async Task DiagnoseAsync_FirewallDropsBalancerRange_NamesFirewallAndRange()
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        // Addresses of our own, so that emulators of other test classes or projects running now never collide.
        var net = Random.Shared.Next(1, 250);
        options.InstanceAddressPool = $"127.{Random.Shared.Next(100, 150)}.{net}.0/24";
        options.NodeBalancerAddressPool = $"127.{Random.Shared.Next(150, 200)}.{net}.0/24";
        options.PrivateLoopbackPool = $"127.{Random.Shared.Next(200, 250)}.{net}.0/24";
        options.Runtime.WorkloadPath = WorkloadLocator.Find();
        options.RateLimits.Enabled = false;
        await using var host = await EmulatorHost.StartAsync(options, new EmulatorServices());
        var api = new Uri(host.BaseAddress, "v4/").ToString();
        using var client = TestClients.Create(api);
        var firewallId = await CreateFirewallAsync(api, "app-fw", inboundPolicy: "DROP");
        var factory = new LinodeInstancePoolFactory(client, options: new LinodeInstancePoolFactoryOptions
        {
            NewConfig = LinodeInstancePoolFactoryOptions.DefaultNewConfig with { CheckInterval = 2, CheckTimeout = 1, CheckAttempts = 1 },
        });
        var config = ProviderHarness.PoolConfig().WithLinode(l => l with
        {
            FirewallId = firewallId,
            NodeBalancer = new PoolNodeBalancer { Label = "fw-nb", Port = 8089, NodePort = 8080, CreateIfMissing = true },
        });
        var pool = await factory.CreateAsync(config, CancellationToken.None);

        await pool.LaunchAsync(new LaunchRequest("web", "web-fw000003", "op-1", "test"), CancellationToken.None);
        PoolSnapshot? snapshot = null;
        await TestClients.WaitUntilAsync(async () =>
        {
            snapshot = await pool.SnapshotAsync(CancellationToken.None);
            return snapshot.Members is [{ State: InstanceState.Running }];
        }, "the member running", TimeSpan.FromSeconds(120));
        await pool.JoinAsync(snapshot!.Members[0], CancellationToken.None);
        await TestClients.WaitUntilAsync(async () =>
        {
            snapshot = await pool.SnapshotAsync(CancellationToken.None);
            return snapshot.Members is [{ Node.Status: CoreNodeStatus.Down }];
        }, "the node DOWN behind the firewall", TimeSpan.FromSeconds(120));

        var diagnosis = await pool.DiagnoseAsync(snapshot!.Members[0], CancellationToken.None);

        Assert.Equal($"web-fw000003 DOWN behind the NodeBalancer: firewall 'app-fw' (id {firewallId}) drops TCP 8080 from the NodeBalancer range 192.168.255.0/24 (inbound policy DROP, no rule accepts it); allow it", diagnosis);
    }

    [Fact]
    public async Task DiagnoseAsync_NoFirewallBlocks_AsksWhetherTheAppListensPrivately()
    {
        await using var stub = await StubServer.StartAsync((context, _) => StubServer.Json(context, 200,
            """{"data":[{"id":12,"label":"app-fw","status":"enabled","tags":[],"rules":{"inbound_policy":"DROP","inbound":[{"action":"ACCEPT","protocol":"TCP","ports":"22, 8000-9000","addresses":{"ipv4":["192.168.128.0/17"]}}],"outbound_policy":"ACCEPT","outbound":[]}}],"page":1,"pages":1,"results":1}"""));
        using var client = TestClients.Create(stub.ApiUrl);
        var pool = StandalonePool(client);
        var member = new PoolMember { Id = "7", Label = "web-3", Node = new LoadBalancerNode("1", "192.168.130.7:8080", CoreNodeStatus.Down, Core.Pools.NodeMode.Accept) };

        var diagnosis = await pool.DiagnoseAsync(member, CancellationToken.None);

        Assert.Equal("web-3 DOWN: no firewall blocks 192.168.255.0/24:8080; is the app listening on its private address (192.168.130.7:8080)?", diagnosis);
        Assert.Equal("/v4/linode/instances/7/firewalls", Assert.Single(stub.Requests).Path);
    }

    [Fact]
    public async Task DiagnoseAsync_NodeUp_AsksNothing()
    {
        await using var stub = await StubServer.StartAsync((context, _) => StubServer.Json(context, 500, "{}"));
        using var client = TestClients.Create(stub.ApiUrl);
        var pool = StandalonePool(client);
        var member = new PoolMember { Id = "7", Label = "web-3", Node = new LoadBalancerNode("1", "192.168.130.7:8080", CoreNodeStatus.Up, Core.Pools.NodeMode.Accept) };

        Assert.Null(await pool.DiagnoseAsync(member, CancellationToken.None));
        Assert.Empty(stub.Requests);
    }

    [Theory]
    [InlineData("ACCEPT", "DROP", "8080", "192.168.255.0/24", "rule 'r'")]
    [InlineData("ACCEPT", "DROP", "80, 8000-8090", "0.0.0.0/0", "rule 'r'")]
    [InlineData("ACCEPT", "DROP", "9100", "192.168.255.0/24", null)]
    [InlineData("ACCEPT", "DROP", "8080", "10.0.0.0/8", null)]
    [InlineData("DROP", "ACCEPT", "8080", "192.168.255.0/24", null)]
    [InlineData("DROP", "ACCEPT", "", "192.168.255.7", null)]
    [InlineData("DROP", "ACCEPT", "22", "192.168.255.0/24", "inbound policy DROP, no rule accepts it")]
    public void DroppedBy_FirstMatchingRuleElsePolicy_Decides(string policy, string action, string ports, string cidr, string? expected)
    {
        var rules = new FirewallRules
        {
            InboundPolicy = policy,
            Inbound = [new FirewallRule { Action = action, Protocol = "TCP", Ports = ports, Label = "r", Addresses = new FirewallRuleAddresses { Ipv4 = [cidr] } }],
        };

        Assert.Equal(expected, LinodeInstancePool.DroppedBy(rules, 8080));
    }

    private static LinodeInstancePool StandalonePool(ILinodeClient client) =>
        new(ProviderHarness.PoolConfig(), client, new NodeBalancerTarget(1, "web-nb", "us-east", 2, 80), new InstanceCreateRateLimiter(TimeProvider.System));

    private static async Task<long> CreateFirewallAsync(string api, string label, string inboundPolicy)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(api) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestClients.Token);
        var body = new JsonObject
        {
            ["label"] = label,
            ["rules"] = new JsonObject { ["inbound_policy"] = inboundPolicy, ["outbound_policy"] = "ACCEPT", ["inbound"] = new JsonArray() },
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("networking/firewalls", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["id"]!.GetValue<long>();
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autoscaler.Linode;
using Autoscaler.Linode.Models;
using Linode.Emulator;

namespace Reliability.Tests.Support;

/// <summary>
/// The Linode emulator in this process (fake runtimes, or real Workload processes behind real YARP NodeBalancers),
/// with a client of its API for the test's own checks (never through the proxy) and its admin controls.
/// </summary>
internal sealed class Cloud : IAsyncDisposable
{
    /// <summary>The autoscaler's token.</summary>
    public const string Token = "linode-reliability-token-5d2c91";

    /// <summary>The test's own token: the emulator counts rate limits per token (as Linode does), so the test's polling
    /// never uses up the autoscaler's window.</summary>
    public const string InspectorToken = "linode-reliability-inspector-8e07aa";

    private readonly FakeInstanceRuntime? _instances;
    private readonly FakeLoadBalancerRuntime? _balancers;

    private Cloud(EmulatorHost emulator, FakeInstanceRuntime? instances, FakeLoadBalancerRuntime? balancers)
    {
        Emulator = emulator;
        _instances = instances;
        _balancers = balancers;
        Client = LinodeClient.Create(new LinodeClientOptions
        {
            BaseUrl = ApiUrl,
            Token = InspectorToken,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            MaxRetryDelay = TimeSpan.FromMilliseconds(200),
            MaxRetries = 8,
        });
        Admin = new HttpClient { BaseAddress = emulator.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", InspectorToken);
    }

    public EmulatorHost Emulator { get; }

    public string ApiUrl => new Uri(Emulator.BaseAddress, "v4").ToString();

    public StandaloneLinodeClient Client { get; }

    /// <summary>Raw HTTP to the emulator (admin routes, and API reads the typed client does not cover).</summary>
    public HttpClient Admin { get; }

    public static async Task<Cloud> StartAsync(bool realRuntimes, Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        configure?.Invoke(options);
        var instances = realRuntimes ? null : new FakeInstanceRuntime();
        var balancers = realRuntimes ? null : new FakeLoadBalancerRuntime();
        var host = await EmulatorHost.StartAsync(options, new EmulatorServices { Instances = instances, Balancers = balancers });
        return new Cloud(host, instances, balancers);
    }

    /// <summary>Changes some fault settings (<c>PUT /admin/faults</c>); returns those in force.</summary>
    public async Task<JsonObject> SetFaultsAsync(object faults)
    {
        using var response = await Admin.PutAsJsonAsync("admin/faults", faults);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"PUT /admin/faults: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Kills an instance's process (<c>POST /admin/instances/{id}/kill</c>).</summary>
    public async Task<bool> KillProcessAsync(long id)
    {
        using var response = await Admin.PostAsync($"admin/instances/{id}/kill", null);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("killed").GetBoolean();
    }

    /// <summary>A NodeBalancer with one HTTP config on port 80 whose active check of <c>/health</c> runs every 2 s
    /// (one failure marks a node DOWN), so a dead instance shows quickly.</summary>
    public async Task<(long NodeBalancerId, long ConfigId)> CreateNodeBalancerAsync(string label)
    {
        var nb = await Client.NodeBalancers.CreateAsync(new CreateNodeBalancerRequest { Region = "us-east", Label = label });
        var config = await Client.NodeBalancers.CreateConfigAsync(nb.Id, new ConfigRequest
        {
            Port = 80,
            Protocol = ConfigProtocol.Http,
            Algorithm = BalancingAlgorithm.Roundrobin,
            Stickiness = SessionStickiness.None,
            Check = HealthCheck.Http,
            CheckPath = "/health",
            CheckInterval = 2,
            CheckTimeout = 1,
            CheckAttempts = 1,
            CheckPassive = false,
        });
        return (nb.Id, config.Id);
    }

    /// <summary>What the cloud holds right now, read from the emulator's API.</summary>
    public async Task<CloudView> ViewAsync(string poolTag, long nodeBalancerId, long configId)
    {
        var all = new List<Instance>();
        await foreach (var i in Client.Instances.ListAsync())
        {
            all.Add(i);
        }

        var nodes = new List<NodeBalancerNode>();
        await foreach (var n in Client.NodeBalancers.ListNodesAsync(nodeBalancerId, configId))
        {
            nodes.Add(n);
        }

        return new CloudView(all, [.. all.Where(i => i.HasTag(poolTag))], nodes);
    }

    /// <summary>Labels of instances whose boot failed (the emulator's <c>linode_boot</c> events with status failed).</summary>
    public async Task<IReadOnlyList<string>> FailedBootsAsync()
    {
        var labels = new List<string>();
        for (var page = 1; ; page++)
        {
            var doc = JsonDocument.Parse(await Admin.GetStringAsync($"v4/account/events?page={page}&page_size=500")).RootElement;
            foreach (var e in doc.GetProperty("data").EnumerateArray())
            {
                if (e.GetProperty("action").GetString() == "linode_boot" && e.GetProperty("status").GetString() == "failed"
                    && e.GetProperty("entity").ValueKind == JsonValueKind.Object)
                {
                    labels.Add(e.GetProperty("entity").GetProperty("label").GetString()!);
                }
            }

            if (page >= doc.GetProperty("pages").GetInt32())
            {
                return labels;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Client.Dispose();
        await Emulator.DisposeAsync();
        if (_instances is not null)
        {
            await _instances.DisposeAsync();
        }

        if (_balancers is not null)
        {
            await _balancers.DisposeAsync();
        }
    }
}

/// <summary>The account's instances and the pool's NodeBalancer config nodes at one moment.</summary>
internal sealed record CloudView(IReadOnlyList<Instance> All, IReadOnlyList<Instance> Members, IReadOnlyList<NodeBalancerNode> Nodes)
{
    public const int NodePort = 8080;

    private static string NodeAddress(Instance i) => i.PrivateIpv4 + ":" + NodePort;

    /// <summary>Pool-tagged instances not deleting.</summary>
    public IReadOnlyList<Instance> Live => [.. Members.Where(i => i.Status != InstanceStatus.Deleting)];

    /// <summary>Members whose node accepts traffic and is UP while the instance runs.</summary>
    public int Serving => Live.Count(i => i.Status == InstanceStatus.Running
        && Nodes.Any(n => n.Address == NodeAddress(i) && n.Mode == NodeMode.Accept && n.Status == NodeStatus.Up));

    /// <summary>Pool-tagged instances that are neither a node of the NodeBalancer nor named by an open operation
    /// (<paramref name="openOperations"/>: labels and instance ids).</summary>
    public IReadOnlyList<Instance> Leaked(IReadOnlySet<string> openOperations) =>
        [.. Members.Where(i => !Nodes.Any(n => n.Address == NodeAddress(i))
            && !openOperations.Contains(i.Label) && !openOperations.Contains(i.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>Nodes whose address is no instance's.</summary>
    public IReadOnlyList<NodeBalancerNode> Orphans =>
        [.. Nodes.Where(n => !All.Any(i => NodeAddress(i) == n.Address))];

    /// <summary>Instances of the account without the pool tag (the autoscaler only ever creates tagged ones).</summary>
    public IReadOnlyList<Instance> Untagged(string poolTag) => [.. All.Where(i => !i.HasTag(poolTag))];

    public string Describe() =>
        $"{Members.Count} members ({string.Join(", ", Members.Select(m => $"{m.Label}:{m.RawStatus}"))}), {Nodes.Count} nodes ("
        + string.Join(", ", Nodes.Select(n => $"{n.Label}:{n.Status}/{n.Mode}")) + ")";
}

using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Autoscaler.Linode.Tests.Fakes;
using Autoscaler.Linode.Tests.Support;
using Linode.Emulator;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging;
using ApiNodeBalancerConfig = Autoscaler.Linode.Models.NodeBalancerConfig;
using PoolNodeBalancer = Autoscaler.Linode.Configuration.NodeBalancerConfig;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>Pretends to run NodeBalancer configs like <see cref="FakeLoadBalancerRuntime"/>, but every node's status is
/// set by the test (new nodes are <c>Unknown</c>, as on the live API).</summary>
public sealed class SettableLoadBalancerRuntime : ILoadBalancerRuntime
{
    private readonly ConcurrentDictionary<long, BalancerConfigSpec> _configs = new();
    private readonly ConcurrentDictionary<long, string> _statuses = new();

    public IReadOnlyDictionary<long, BalancerConfigSpec> Configs => _configs;

    /// <summary>Status of nodes not given one with <see cref="SetStatus"/>. Default <c>Unknown</c>.</summary>
    public string DefaultStatus { get; set; } = "Unknown";

    public void SetStatus(long nodeId, string status) => _statuses[nodeId] = status;

    public Task ApplyAsync(BalancerConfigSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _configs[spec.ConfigId] = spec;
        return Task.CompletedTask;
    }

    public Task RemoveAsync(long configId, CancellationToken cancellationToken)
    {
        _configs.TryRemove(configId, out _);
        return Task.CompletedTask;
    }

    public string GetNodeStatus(long configId, long nodeId) =>
        _configs.TryGetValue(configId, out var spec) && spec.Nodes.Any(n => n.NodeId == nodeId)
            ? _statuses.GetValueOrDefault(nodeId, DefaultStatus)
            : "Unknown";

    public ValueTask DisposeAsync()
    {
        _configs.Clear();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One request as it went over the wire.</summary>
public sealed record RecordedRequest(string Method, string Path, string? Filter, string? Body)
{
    public JsonObject Json => JsonNode.Parse(Body!)!.AsObject();
}

/// <summary>Records every request the client sends (bodies included, so tests can read what reached the API), and can
/// drop the X-Filter header to play an API that ignores it.</summary>
public sealed class RecordingHandler : DelegatingHandler
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public RecordingHandler()
        : base(new SocketsHttpHandler { UseProxy = false })
    {
    }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Sends list requests without their X-Filter (the server then returns everything).</summary>
    public bool DropFilters { get; set; }

    public void Clear() => _requests.Clear();

    public IReadOnlyList<RecordedRequest> Find(string method, string pathEnd) =>
        Requests.Where(r => r.Method == method && r.Path.EndsWith(pathEnd, StringComparison.Ordinal)).ToList();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var filter = request.Headers.TryGetValues("X-Filter", out var values) ? string.Join(",", values) : null;
        _requests.Enqueue(new RecordedRequest(request.Method.Method, request.RequestUri!.AbsolutePath, filter, body));
        if (DropFilters)
        {
            request.Headers.Remove("X-Filter");
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>The emulator in process with fake runtimes (no processes, no listeners; node statuses set by the test),
/// a client that records its requests and whose logs are captured, and helpers to build pools. Disposing stops
/// everything.</summary>
public sealed class ProviderHarness : IAsyncDisposable
{
    public const string Region = "us-east";
    public const string OtherRootPass = "c0rrect-Horse-battery";

    private ProviderHarness(EmulatorHost host, FakeInstanceRuntime instances, SettableLoadBalancerRuntime balancers,
        TestLoggerProvider logs, ILoggerFactory loggerFactory, RecordingHandler recorder, StandaloneLinodeClient client,
        TimeProvider time)
    {
        Host = host;
        Instances = instances;
        Balancers = balancers;
        Logs = logs;
        LoggerFactory = loggerFactory;
        Recorder = recorder;
        Client = client;
        Time = time;
    }

    public EmulatorHost Host { get; }

    public FakeInstanceRuntime Instances { get; }

    public SettableLoadBalancerRuntime Balancers { get; }

    /// <summary>Every log line of the client, the factory and the pools.</summary>
    public TestLoggerProvider Logs { get; }

    public ILoggerFactory LoggerFactory { get; }

    public RecordingHandler Recorder { get; }

    public StandaloneLinodeClient Client { get; }

    /// <summary>The pools' clock (the emulator and the client run on the system clock).</summary>
    public TimeProvider Time { get; }

    public static async Task<ProviderHarness> StartAsync(TimeProvider? poolTime = null, Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        // Limits off keeps the client's own rate-limit gate out of these tests (they run many scale cycles a second);
        // the provider's limiter is tested on its own clock. The budget tests turn them on.
        options.RateLimits.Enabled = false;
        configure?.Invoke(options);
        var instances = new FakeInstanceRuntime();
        var balancers = new SettableLoadBalancerRuntime();
        var host = await EmulatorHost.StartAsync(options, new EmulatorServices { Instances = instances, Balancers = balancers });
        var logs = new TestLoggerProvider();
        var loggerFactory = logs.CreateFactory();
        var recorder = new RecordingHandler();
        var client = LinodeClient.Create(TestClients.Options(new Uri(host.BaseAddress, "v4").ToString()), null,
            loggerFactory, primaryHandler: recorder);
        return new ProviderHarness(host, instances, balancers, logs, loggerFactory, recorder, client, poolTime ?? TimeProvider.System);
    }

    /// <summary>A valid pool configuration joining NodeBalancer <c>web-nb</c> port 80, nodes on 8080.</summary>
    public static PoolConfig PoolConfig(string name = "web", string nodeBalancerLabel = "web-nb", int port = 80) => new()
    {
        Name = name,
        Min = 0,
        Max = 20,
        Provider = new LinodePoolConfig
        {
            Region = Region,
            Type = "g6-nanode-1",
            Image = "linode/debian12",
            NodeBalancer = new PoolNodeBalancer { Label = nodeBalancerLabel, Port = port, NodePort = 8080 },
        },
    };

    /// <summary>A NodeBalancer with one config per port (default: port 80).</summary>
    public async Task<(NodeBalancer Balancer, ApiNodeBalancerConfig[] Configs)> CreateNodeBalancerAsync(
        string label = "web-nb", string region = Region, params int[] ports)
    {
        var nb = await Client.NodeBalancers.CreateAsync(new CreateNodeBalancerRequest { Region = region, Label = label });
        var configs = new List<ApiNodeBalancerConfig>();
        foreach (var port in ports.Length == 0 ? [80] : ports)
        {
            configs.Add(await Client.NodeBalancers.CreateConfigAsync(nb.Id, new ConfigRequest { Port = port, Check = HealthCheck.Http, CheckPath = "/health" }));
        }

        return (nb, configs.ToArray());
    }

    /// <summary>The emulator here applies node changes at once (its fast profile): no apply delay unless a test sets one.</summary>
    public LinodeInstancePoolFactory Factory(InstanceCreateRateLimiter? limiter = null, LinodeInstancePoolFactoryOptions? options = null) =>
        new(Client, limiter ?? new InstanceCreateRateLimiter(Time), Time, LoggerFactory, options ?? new LinodeInstancePoolFactoryOptions { NodeApplyDelay = TimeSpan.Zero });

    /// <summary>A NodeBalancer <c>web-nb</c> with a config on port 80, and the pool on it.</summary>
    public async Task<LinodeInstancePool> StartPoolAsync(PoolConfig? config = null)
    {
        config ??= PoolConfig();
        await CreateNodeBalancerAsync(config.Linode.NodeBalancer.Label!, Region, config.Linode.NodeBalancer.Port);
        return await Factory().CreateAsync(config, CancellationToken.None);
    }

    /// <summary>An instance made by someone else (Terraform, a person) straight through the API.</summary>
    public Task<Instance> CreateOtherInstanceAsync(string label, IReadOnlyList<string>? tags = null, bool privateIp = true, bool booted = true) =>
        Client.Instances.CreateAsync(new CreateInstanceRequest
        {
            Region = Region,
            Type = "g6-nanode-1",
            Image = "linode/debian12",
            RootPass = OtherRootPass,
            Label = label,
            Tags = tags,
            PrivateIp = privateIp,
            Booted = booted,
        });

    /// <summary>A node added by hand to the pool's config.</summary>
    public Task<NodeBalancerNode> AddNodeByHandAsync(LinodeInstancePool pool, string label, Instance instance, int port = 8080) =>
        Client.NodeBalancers.CreateNodeAsync(pool.Target.NodeBalancerId, pool.Target.ConfigId,
            new NodeRequest { Label = label, Address = $"{instance.PrivateIpv4}:{port}" });

    public async Task<IReadOnlyList<NodeBalancerNode>> NodesAsync(LinodeInstancePool pool) =>
        await Client.NodeBalancers.ListNodesAsync(pool.Target.NodeBalancerId, pool.Target.ConfigId).ToListAsync();

    public async Task<Instance?> TryGetInstanceAsync(long id)
    {
        try
        {
            return await Client.Instances.GetAsync(id);
        }
        catch (LinodeNotFoundException)
        {
            return null;
        }
    }

    public Task WaitForStatusAsync(long id, InstanceStatus status) =>
        TestClients.WaitUntilAsync(async () => (await TryGetInstanceAsync(id))?.Status == status, $"instance {id} to be {status}");

    public Task WaitGoneAsync(long id) =>
        TestClients.WaitUntilAsync(async () => await TryGetInstanceAsync(id) is null, $"instance {id} to be gone");

    /// <summary>Launches through the pool and waits until the instance runs.</summary>
    public async Task<PoolMember> LaunchRunningAsync(LinodeInstancePool pool, string label)
    {
        var member = await pool.LaunchAsync(new LaunchRequest(pool.Name, label, "op-" + label, "test"), CancellationToken.None);
        await WaitForStatusAsync(long.Parse(member.Id, System.Globalization.CultureInfo.InvariantCulture), InstanceStatus.Running);
        return member;
    }

    /// <summary>The member as the pool's snapshot shows it now.</summary>
    public static async Task<PoolMember> MemberAsync(LinodeInstancePool pool, string id) =>
        (await pool.SnapshotAsync(CancellationToken.None)).Members.Single(m => m.Id == id);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        LoggerFactory.Dispose();
        await Instances.DisposeAsync();
        await Balancers.DisposeAsync();
    }
}

/// <summary>Changes a test pool's Linode settings.</summary>
internal static class LinodePoolTestExtensions
{
    public static PoolConfig WithLinode(this PoolConfig pool, Func<LinodePoolConfig, LinodePoolConfig> change) =>
        pool with { Provider = change(pool.Linode) };
}

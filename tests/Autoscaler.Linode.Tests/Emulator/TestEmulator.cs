using System.Net.Http.Json;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Tests.Fakes;
using Autoscaler.Linode.Tests.Support;
using Linode.Emulator;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Tests.Emulator;

/// <summary>The emulator in process on 127.0.0.1:&lt;free port&gt; with fake runtimes (no processes, no listeners),
/// plus a client whose logs are captured. Disposing stops everything.</summary>
internal sealed class TestEmulator : IAsyncDisposable
{
    public const string RootPass = "c0rrect-Horse-battery";

    private readonly ILoggerFactory _loggerFactory;
    private readonly HttpClient _admin;

    private TestEmulator(EmulatorHost host, FakeInstanceRuntime instances, FakeLoadBalancerRuntime balancers,
        TestLoggerProvider logs, ILoggerFactory loggerFactory, StandaloneLinodeClient client)
    {
        Host = host;
        Instances = instances;
        Balancers = balancers;
        Logs = logs;
        _loggerFactory = loggerFactory;
        Client = client;
        _admin = new HttpClient { BaseAddress = new Uri(host.BaseAddress, "admin/") };
    }

    public EmulatorHost Host { get; }

    public FakeInstanceRuntime Instances { get; }

    public FakeLoadBalancerRuntime Balancers { get; }

    /// <summary>The client's log lines.</summary>
    public TestLoggerProvider Logs { get; }

    public StandaloneLinodeClient Client { get; }

    /// <summary>The API root with its version, as a user would configure it.</summary>
    public string ApiUrl => new Uri(Host.BaseAddress, "v4").ToString();

    public static async Task<TestEmulator> StartAsync(Action<LinodeClientOptions>? client = null,
        Action<EmulatorOptions>? emulator = null, string nodeStatus = "UP")
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        // Limits off keeps the client's gate out of tests that are not about it (creates are 20 per 15 s and
        // paginated GETs 200 a minute otherwise); a test about pacing turns them back on.
        options.RateLimits.Enabled = false;
        emulator?.Invoke(options);
        var instances = new FakeInstanceRuntime();
        var balancers = new FakeLoadBalancerRuntime(nodeStatus);
        var host = await EmulatorHost.StartAsync(options, new EmulatorServices { Instances = instances, Balancers = balancers });
        var logs = new TestLoggerProvider();
        var loggerFactory = logs.CreateFactory();
        var apiUrl = new Uri(host.BaseAddress, "v4").ToString();
        return new TestEmulator(host, instances, balancers, logs, loggerFactory,
            TestClients.Create(apiUrl, client, loggerFactory: loggerFactory));
    }

    /// <summary>Another client of the same emulator (e.g. with another token or other retry settings).</summary>
    public StandaloneLinodeClient CreateClient(Action<LinodeClientOptions>? configure = null) =>
        TestClients.Create(ApiUrl, configure, loggerFactory: _loggerFactory);

    public async Task SetFaultsAsync(double rate429 = 0, int retryAfterSeconds = 1, double rate500 = 0, int latencyMs = 0)
    {
        using var response = await _admin.PutAsJsonAsync("faults", new Dictionary<string, object>
        {
            ["rate_429"] = rate429,
            ["retry_after_seconds"] = retryAfterSeconds,
            ["rate_500"] = rate500,
            ["latency_ms"] = latencyMs,
            ["boot_failure_rate"] = 0.0,
        });
        response.EnsureSuccessStatusCode();
    }

    public Task<Instance> CreateInstanceAsync(string? label = null, IReadOnlyList<string>? tags = null,
        bool privateIp = true, string region = "us-east", bool booted = false) =>
        Client.Instances.CreateAsync(new CreateInstanceRequest
        {
            Region = region,
            Type = "g6-nanode-1",
            Image = "linode/debian12",
            RootPass = RootPass,
            Label = label,
            Tags = tags,
            PrivateIp = privateIp,
            Booted = booted,
        });

    /// <summary>Polls the instance until it has the status (the emulator's lifecycle runs on timers).</summary>
    public async Task<Instance> WaitForStatusAsync(long linodeId, InstanceStatus status)
    {
        Instance? last = null;
        await TestClients.WaitUntilAsync(async () =>
        {
            last = await Client.Instances.GetAsync(linodeId);
            return last.Status == status;
        }, $"instance {linodeId} to be {status}");
        return last!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _admin.Dispose();
        await Host.DisposeAsync();
        _loggerFactory.Dispose();
        await Instances.DisposeAsync();
        await Balancers.DisposeAsync();
    }
}

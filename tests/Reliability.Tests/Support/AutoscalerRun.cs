using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Autoscaler.Sandbox;
using Linode.Emulator;

namespace Reliability.Tests.Support;

/// <summary>Settings of the pool under test (written into the autoscaler's YAML).</summary>
internal sealed record PoolSettings
{
    public int Min { get; init; } = 2;
    public int Max { get; init; } = 6;
    public int Desired { get; init; } = 2;
    public string Grace { get; init; } = "60s";
    public string ReplaceAfter { get; init; } = "60s";
    public string Drain { get; init; } = "1s";
    public string Interval { get; init; } = "500ms";

    /// <summary>More keys of the <c>linode:</c> section (e.g. <c>billing_period: 60s</c>), after a comma.</summary>
    public string LinodeExtra { get; init; } = "";

    /// <summary>More keys of the pool's <c>scale_down:</c>, after a comma. Default <c>billing: none</c>: these runs are
    /// about immediate scale-in mechanics; the billing tests say <c>billing: hourly, release_margin: 5s</c>.</summary>
    public string ScaleDownExtra { get; init; } = "billing: none";
}

/// <summary>
/// One autoscaler deployment under test, from the sandbox's parts: the emulator (fake runtimes, or real Workload
/// processes behind real YARP NodeBalancers), the recording proxy in front of it, a config file and a SQLite journal
/// in a temp folder, and the <c>serve</c> process (killed and started again on the same files as often as a test
/// likes). The test reads the cloud from the emulator directly (never through the proxy) and the autoscaler through
/// its HTTP API.
/// </summary>
internal sealed class AutoscalerRun : IAsyncDisposable
{
    public const string Pool = "web";
    public const string PoolTag = "autoscaler:web";
    public const string ApiToken = "api-reliability-7f3e";
    public const string WebhookToken = "hook-reliability-91ab";

    /// <summary>The autoscaler's Linode token.</summary>
    public const string LinodeToken = "linode-reliability-token-5d2c91";

    /// <summary>The test's own token: the emulator counts rate limits per token (as Linode does), so the test's polling
    /// never uses up the autoscaler's window.</summary>
    public const string InspectorToken = "linode-reliability-inspector-8e07aa";

    private readonly ITestOutputHelper _output;
    private readonly FakeInstanceRuntime? _instances;
    private readonly FakeLoadBalancerRuntime? _balancers;
    private int _starts;

    private AutoscalerRun(ITestOutputHelper output, TempDir dir, SandboxEmulator cloud, FakeInstanceRuntime? instances, FakeLoadBalancerRuntime? balancers,
        RecordingProxy proxy, long nodeBalancerId, long configId)
    {
        _output = output;
        Dir = dir;
        Cloud = cloud;
        _instances = instances;
        _balancers = balancers;
        Proxy = proxy;
        NodeBalancerId = nodeBalancerId;
        ConfigId = configId;
    }

    public TempDir Dir { get; }

    public SandboxEmulator Cloud { get; }

    public RecordingProxy Proxy { get; }

    public long NodeBalancerId { get; }

    public long ConfigId { get; }

    public string ConfigPath => Dir.File("autoscaler.yaml");

    public string JournalPath => Dir.File("autoscaler.db");

    public ServeProcess? Serve { get; private set; }

    public HttpClient? Http { get; private set; }

    /// <summary>How many times serve was started.</summary>
    public int Starts => _starts;

    public static async Task<AutoscalerRun> StartAsync(ITestOutputHelper output, PoolSettings pool, bool realRuntimes,
        Action<EmulatorOptions>? emulator = null)
    {
        var dir = new TempDir();
        var instances = realRuntimes ? null : new FakeInstanceRuntime();
        var balancers = realRuntimes ? null : new FakeLoadBalancerRuntime();
        SandboxEmulator? cloud = null;
        RecordingProxy? proxy = null;
        try
        {
            var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
            emulator?.Invoke(options);
            cloud = await SandboxEmulator.StartAsync(new SandboxEmulatorOptions
            {
                Emulator = options,
                Services = new EmulatorServices { Instances = instances, Balancers = balancers },
                Token = InspectorToken,
                ConfigureClient = c =>
                {
                    c.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
                    c.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
                    c.MaxRetries = 8;
                },
            });
            proxy = await RecordingProxy.StartAsync(cloud.BaseAddress);
            // One failed active check of /health marks a node DOWN, so a dead instance shows quickly.
            var (nb, config) = await cloud.CreateNodeBalancerAsync(Pool + "-nb",
                SandboxEmulator.HealthCheckedHttp(80, checkInterval: 2, checkAttempts: 1) with { Stickiness = Autoscaler.Linode.Models.SessionStickiness.None });
            var run = new AutoscalerRun(output, dir, cloud, instances, balancers, proxy, nb.Id, config.Id);
            run.Log($"work folder {dir.Path} (RELIABILITY_KEEP=1 keeps it)");
            await File.WriteAllTextAsync(run.ConfigPath, run.Yaml(pool));
            return run;
        }
        catch
        {
            if (proxy is not null)
            {
                await proxy.DisposeAsync();
            }

            if (cloud is not null)
            {
                await cloud.DisposeAsync();
            }

            await DisposeRuntimesAsync(instances, balancers);
            dir.Dispose();
            throw;
        }
    }

    /// <summary>Starts serve on the same config and journal.</summary>
    public async Task<ServeProcess> StartServeAsync()
    {
        Assert.Null(Serve);
        var n = Interlocked.Increment(ref _starts);
        Serve = await ServeProcess.StartAsync(ServeProgram.InOutputFolder(), ConfigPath, Dir.File($"serve-{n}.log"));
        Http = new HttpClient { BaseAddress = Serve.BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
        return Serve;
    }

    /// <summary>kill -9, then forget the process (its log stays for diagnostics).</summary>
    public async Task KillServeAsync()
    {
        var serve = Serve ?? throw new InvalidOperationException("serve is not running");
        await serve.KillAsync();
        Assert.True(serve.HasExited, $"serve (pid {serve.Pid}) survived SIGKILL");
        Http?.Dispose();
        Http = null;
        Serve = null;
        await serve.DisposeAsync();
    }

    public async Task ScaleAsync(int desired)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/pools/{Pool}/scale")
        {
            Content = new StringContent($$"""{"desired": {{desired}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken);
        using var response = await Http!.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"scale to {desired}: {(int)response.StatusCode} {body}");
    }

    public async Task<JsonElement> PoolAsync() =>
        JsonDocument.Parse(await Http!.GetStringAsync($"api/v1/pools/{Pool}")).RootElement;

    public async Task<JsonElement[]> EventsAsync() =>
        [.. JsonDocument.Parse(await Http!.GetStringAsync($"api/v1/events?pool={Pool}&limit=1000")).RootElement.GetProperty("events").EnumerateArray()];

    public Task<string> MetricsAsync() => Http!.GetStringAsync("metrics");

    /// <summary>Labels and instance ids named by the autoscaler's open operations.</summary>
    public static IReadOnlySet<string> OpenOperationKeys(JsonElement pool)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in pool.GetProperty("operations").EnumerateArray())
        {
            foreach (var name in new[] { "label", "member_id" })
            {
                if (op.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
                {
                    keys.Add(v.GetString()!);
                }
            }
        }

        return keys;
    }

    public Task<CloudView> ViewAsync() => Cloud.ViewAsync(PoolTag, NodeBalancerId, ConfigId);

    /// <summary>Null when the pool is converged at <paramref name="size"/>: that many members, each running with
    /// exactly one node (accept, UP), no other node, no other instance on the account, and the autoscaler reports
    /// the same size with nothing in flight. Otherwise what differs.</summary>
    public async Task<string?> DivergenceAsync(int size)
    {
        var view = await ViewAsync();
        var pool = await PoolAsync();
        var open = pool.GetProperty("operations").GetArrayLength();
        if (view.Members.Count != size || view.Serving != size || view.Nodes.Count != size)
        {
            return $"want {size} serving; cloud: {view.Describe()}";
        }

        if (view.All.Count != size)
        {
            return $"{view.All.Count} instances on the account, want {size}";
        }

        if (open > 0)
        {
            return $"{open} open operation(s)";
        }

        if (view.Orphans.Count > 0)
        {
            return $"{view.Orphans.Count} orphan node(s)";
        }

        var desired = pool.GetProperty("desired");
        return desired.ValueKind != JsonValueKind.Number || desired.GetInt32() != size
            ? $"the autoscaler's desired is {desired}, want {size}"
            : null;
    }

    public Task WaitConvergedAsync(int size, string what, TimeSpan timeout) =>
        Wait.UntilAsync(() => DivergenceAsync(size), what, timeout, TimeSpan.FromMilliseconds(150));

    public void Log(string line)
    {
        try
        {
            _output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test is over.
        }
    }

    /// <summary>The end of the last serve logs and the last Linode calls on the wire, for a failure's report.</summary>
    public void DumpLogs(int lines = 60)
    {
        Log("---- last Linode API calls (arrival s, answer s) ----");
        foreach (var e in Proxy.Exchanges.TakeLast(40))
        {
            Log(string.Create(CultureInfo.InvariantCulture, $"{e.ReceivedAt,9:0.000} {e.RespondedAt,9:0.000} {e}{(e.RetryAfter is { } r ? $" Retry-After {r}" : "")}"));
        }

        for (var n = Math.Max(1, _starts - 2); n <= _starts; n++)
        {
            var path = Dir.File($"serve-{n}.log");
            if (File.Exists(path))
            {
                Log($"---- serve-{n}.log (last {lines} lines) ----");
                var all = File.ReadAllLines(path);
                foreach (var line in all.TakeLast(lines))
                {
                    Log(line);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (Serve is not null)
        {
            await Serve.DisposeAsync();
        }

        await Proxy.DisposeAsync();
        await Cloud.DisposeAsync();
        await DisposeRuntimesAsync(_instances, _balancers);
        Dir.Dispose();
    }

    private static async Task DisposeRuntimesAsync(FakeInstanceRuntime? instances, FakeLoadBalancerRuntime? balancers)
    {
        if (instances is not null)
        {
            await instances.DisposeAsync();
        }

        if (balancers is not null)
        {
            await balancers.DisposeAsync();
        }
    }

    private string Yaml(PoolSettings p) => string.Create(CultureInfo.InvariantCulture, $$"""
        # Written by the reliability tests: the autoscaler talks to the emulator through the recording proxy.
        linode: { url: {{Proxy.BaseAddress}}v4, token: {{LinodeToken}}{{(p.LinodeExtra.Length > 0 ? ", " + p.LinodeExtra : "")}} }
        listen: 127.0.0.1:0
        webhook: { auth: { bearer_token: {{WebhookToken}} } }
        api: { auth: { bearer_token: {{ApiToken}} } }
        engine: { evaluation_interval: {{p.Interval}} }
        journal: { path: {{JournalPath}} }
        pools:
          {{Pool}}:
            region: us-east
            type: g6-standard-1
            image: linode/debian12
            min: {{p.Min}}
            max: {{p.Max}}
            desired: {{p.Desired}}
            nodebalancer: { label: {{Pool}}-nb, port: 80, node_port: {{CloudView.NodePort}} }
            health: { grace: {{p.Grace}}, replace_after: {{p.ReplaceAfter}} }
            scale_up: { step: 1, cooldown: 0s, max_in_flight: 10 }
            scale_down: { step: 1, cooldown: 0s, drain: {{p.Drain}}, victim: newest{{(p.ScaleDownExtra.Length > 0 ? ", " + p.ScaleDownExtra : "")}} }
            signals:
              - { alert: PoolCpuHigh, action: up }
              - { alert: PoolCpuLow, action: down }

        """);
}

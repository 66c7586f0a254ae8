using Autoscaler.Core.Configuration;
using Autoscaler.Linode;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Autoscaler.Sandbox;
using Autoscaler.Service.Configuration;
using Linode.Emulator;

namespace Autoscaler.Service.Tests.Support;

/// <summary>The in-process emulator (the sandbox's, with fake runtimes by default, real processes and load balancers
/// when asked) and the service against it over HTTP, with its journal in a temp folder. The service can be stopped and
/// started again on the same journal, as after a crash or a redeploy.</summary>
public sealed class EmulatedService : IAsyncDisposable
{
    private readonly TempDir _dir;
    private readonly SandboxEmulator _sandbox;
    private readonly Func<TempDir, string, AutoscalerConfig> _config;
    private readonly FakeInstanceRuntime? _instances;
    private readonly FakeLoadBalancerRuntime? _balancers;

    private EmulatedService(TempDir dir, SandboxEmulator sandbox, Func<TempDir, string, AutoscalerConfig> config,
        FakeInstanceRuntime? instances, FakeLoadBalancerRuntime? balancers)
    {
        _dir = dir;
        _sandbox = sandbox;
        _config = config;
        _instances = instances;
        _balancers = balancers;
    }

    public EmulatorHost Emulator => _sandbox.Emulator;

    public string ApiUrl => _sandbox.ApiUrl;

    /// <summary>A client of the emulator for the test's own checks.</summary>
    public StandaloneLinodeClient Client => _sandbox.Client;

    public AutoscalerHost? Host { get; private set; }

    public HttpClient? Http { get; private set; }

    public TempDir Dir => _dir;

    /// <summary>Starts the emulator; <paramref name="config"/> gets the folder and the API URL.</summary>
    /// <summary>Wraps the service's Linode transport (set before <see cref="StartServiceAsync"/>).</summary>
    public Func<HttpMessageHandler>? LinodeHandler { get; set; }

    public static async Task<EmulatedService> StartAsync(Func<TempDir, string, AutoscalerConfig> config, bool realRuntimes = false, Action<EmulatorOptions>? emulator = null,
        Func<HttpMessageHandler>? linodeHandler = null)
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        // Limits off: these services run their loops every few hundred milliseconds, compressing minutes of
        // Linode traffic into seconds; a test about pacing turns them back on through `emulator`.
        options.RateLimits.Enabled = false;
        emulator?.Invoke(options);
        var instances = realRuntimes ? null : new FakeInstanceRuntime();
        var balancers = realRuntimes ? null : new FakeLoadBalancerRuntime();
        var sandbox = await SandboxEmulator.StartAsync(new SandboxEmulatorOptions
        {
            Emulator = options,
            Services = new EmulatorServices { Instances = instances, Balancers = balancers },
            Token = TestConfig.LinodeToken,
            ConfigureClient = c =>
            {
                c.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                c.MaxRetryDelay = TimeSpan.FromMilliseconds(100);
            },
        });
        var service = new EmulatedService(new TempDir(), sandbox, config, instances, balancers) { LinodeHandler = linodeHandler };
        await service.StartServiceAsync();
        return service;
    }

    public async Task StartServiceAsync()
    {
        Host = await AutoscalerHost.StartAsync(_config(_dir, ApiUrl), new AutoscalerServices
        {
            Providers = ServiceSchema.DefaultProviders.With(new LinodeProvider
            {
                Handler = LinodeHandler?.Invoke(),
                ConfigureClient = o =>
                {
                    o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                    o.MaxRetryDelay = TimeSpan.FromMilliseconds(100);
                    o.MaxRetryAfter = TimeSpan.FromSeconds(2);
                },
                // Health checks every 2 s so real load balancers see new nodes UP quickly.
                PoolOptions = new LinodeInstancePoolFactoryOptions
                {
                    NewConfig = LinodeInstancePoolFactoryOptions.DefaultNewConfig with { CheckInterval = 2, CheckTimeout = 1, CheckAttempts = 1 },
                },
            }),
        });
        Http = new HttpClient { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Stops the service as a redeploy or crash would, mid-work; the emulator keeps running.</summary>
    public async Task StopServiceAsync()
    {
        Http?.Dispose();
        Http = null;
        if (Host is { } h)
        {
            Host = null;
            await h.DisposeAsync();
        }
    }

    public async Task PostAlertAsync(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(body) };
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
        using var response = await Http!.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    public async Task ScaleAsync(int desired, string pool = "web")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/pools/{pool}/scale") { Content = TestConfig.Json($$"""{"desired": {{desired}}}""") };
        // The API's own token: the webhook's never writes (the configuration must set api.auth to it).
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.ApiToken);
        using var response = await Http!.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Instances carrying the pool tag.</summary>
    public async Task<List<Instance>> MembersAsync(string pool = "web")
    {
        var list = new List<Instance>();
        await foreach (var i in Client.Instances.ListAsync(Autoscaler.Linode.Filter.Tag("autoscaler:" + pool)))
        {
            list.Add(i);
        }

        return list;
    }

    /// <summary>Nodes of the pool's NodeBalancer config (port 80).</summary>
    public async Task<List<NodeBalancerNode>> NodesAsync(string pool = "web")
    {
        var nodes = new List<NodeBalancerNode>();
        await foreach (var nb in Client.NodeBalancers.ListAsync())
        {
            if (nb.Label != pool + "-nb")
            {
                continue;
            }

            await foreach (var c in Client.NodeBalancers.ListConfigsAsync(nb.Id))
            {
                await foreach (var n in Client.NodeBalancers.ListNodesAsync(nb.Id, c.Id))
                {
                    nodes.Add(n);
                }
            }
        }

        return nodes;
    }

    /// <summary>What a converged pool looks like: <paramref name="size"/> members, each with exactly one node (UP,
    /// accept) and no other node; no open operation; no leaked instance (pool-tagged, not in the NodeBalancer and not
    /// in an open operation); no orphan node.</summary>
    public async Task<string?> DivergenceAsync(int size, string pool = "web")
    {
        var members = await MembersAsync(pool);
        var nodes = await NodesAsync(pool);
        var open = Host!.Engine.GetStatus(pool).Operations;
        if (members.Count != size)
        {
            return $"{members.Count} members, want {size}";
        }

        if (open.Count > 0)
        {
            return $"{open.Count} open operations";
        }

        var addresses = members.Select(m => m.PrivateIpv4 + ":8080").ToHashSet(StringComparer.Ordinal);
        var leaked = members.Where(m => !nodes.Any(n => n.Address == m.PrivateIpv4 + ":8080")).Select(m => m.Label).ToArray();
        if (leaked.Length > 0)
        {
            return "leaked (not in the NodeBalancer): " + string.Join(", ", leaked);
        }

        var orphans = nodes.Where(n => !addresses.Contains(n.Address)).Select(n => n.Label).ToArray();
        if (orphans.Length > 0)
        {
            return "orphan nodes: " + string.Join(", ", orphans);
        }

        var notServing = nodes.Where(n => n.Status != NodeStatus.Up || n.Mode != NodeMode.Accept).Select(n => $"{n.Label} {n.Status}/{n.Mode}").ToArray();
        return notServing.Length > 0 ? "not serving: " + string.Join(", ", notServing) : null;
    }

    public async Task WaitConvergedAsync(int size, string what, TimeSpan? timeout = null)
    {
        string? last = null;
        try
        {
            await Wait.UntilAsync(async () => (last = await DivergenceAsync(size)) is null, what, timeout ?? TimeSpan.FromSeconds(90));
        }
        catch (Xunit.Sdk.FailException)
        {
            Assert.Fail($"{what}: {last}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopServiceAsync();
        await _sandbox.DisposeAsync();
        if (_instances is not null)
        {
            await _instances.DisposeAsync();
        }

        if (_balancers is not null)
        {
            await _balancers.DisposeAsync();
        }

        _dir.Dispose();
    }
}

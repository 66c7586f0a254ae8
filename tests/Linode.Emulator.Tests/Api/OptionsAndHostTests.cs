using System.Net;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.Api;

public sealed class OptionsAndHostTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emulator-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Defaults_Valid()
    {
        Assert.Empty(new EmulatorOptions().Validate());
    }

    [Fact]
    public void Load_ExampleConfig_ValidAndRead()
    {
        var example = FindUp(Path.Combine("examples", "emulator.yaml"));
        var options = EmulatorOptions.Load(example);
        Assert.Empty(options.Validate());
        Assert.Equal("127.0.0.1:8081", options.Listen);
        Assert.Equal(TimeSpan.FromMilliseconds(300), options.Delays.Booting);
        Assert.Equal("private/golden-web", Assert.Single(options.PrivateImages).Id);
        Assert.Equal("{workload}", options.Runtime.Images["linode/debian12"].Command);
        Assert.True(options.RateLimits.Enabled);
        Assert.Equal((20, TimeSpan.FromSeconds(15)), (options.RateLimits.CreateInstanceLimit, options.RateLimits.CreateInstanceWindow));
        Assert.Equal((200, 20, 50, 1600), (options.RateLimits.PaginatedLimit, options.RateLimits.ImagesLimit,
            options.RateLimits.StatsLimit, options.RateLimits.GeneralLimit));
    }

    [Fact]
    public void Load_EveryKey_Mapped()
    {
        var options = EmulatorOptions.Load(Write("""
            listen: 127.0.0.5:0
            tokens: [a-token, b-token]
            username: alice
            delays:
              booting: 5s
              profile: realistic
              deleting: 250ms
            scoped_tokens:
              - { token: c-token, scopes: "linodes:read_only ips:read_only", user: bob }
            faults: { rate_429: 0.2, retry_after_seconds: 3, rate_500: 0.1, latency_ms: 50, boot_failure_rate: 0.5, rate_maintenance: 0.25 }
            rate_limits:
              enabled: false
              general_limit: 100
              general_window: 1m
              create_instance_limit: 2
              create_instance_window: 10s
              paginated_limit: 7
              paginated_window: 2m
              images_limit: 3
              images_window: 3m
              stats_limit: 4
              stats_window: 4m
            runtime:
              workload_path: /opt/workload
              stop_grace_period: 2s
              images: { private/app: { command: /usr/bin/app, args: ["--bind", "{address}"] } }
              default_command: { command: /bin/true }
            instance_address_pool: 127.11.0.0/16
            nodebalancer_address_pool: 127.21.0.0/16
            private_address_pool: 192.168.200.0/24
            private_images:
              - { id: private/app, label: app, cloud_init: false, size: 100, tags: [x-tag] }
            """));
        Assert.Empty(options.Validate());
        Assert.Equal(["a-token", "b-token"], options.Tokens);
        Assert.Equal("alice", options.Username);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Delays.Booting);
        Assert.Equal(TimeSpan.FromSeconds(41), options.Delays.Provisioning);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Delays.Deleting);
        Assert.Equal((0.2, 3, 0.1, 50, 0.5), (options.Faults.Rate429, options.Faults.RetryAfterSeconds, options.Faults.Rate500, options.Faults.LatencyMs, options.Faults.BootFailureRate));
        Assert.Equal(0.25, options.Faults.RateMaintenance);
        var scoped = Assert.Single(options.ScopedTokens);
        Assert.Equal(("c-token", "linodes:read_only ips:read_only", "bob"), (scoped.Token, scoped.Scopes, scoped.User));
        Assert.False(options.RateLimits.Enabled);
        Assert.Equal(TimeSpan.FromMinutes(1), options.RateLimits.GeneralWindow);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RateLimits.CreateInstanceWindow);
        Assert.Equal((7, TimeSpan.FromMinutes(2)), (options.RateLimits.PaginatedLimit, options.RateLimits.PaginatedWindow));
        Assert.Equal((3, TimeSpan.FromMinutes(3)), (options.RateLimits.ImagesLimit, options.RateLimits.ImagesWindow));
        Assert.Equal((4, TimeSpan.FromMinutes(4)), (options.RateLimits.StatsLimit, options.RateLimits.StatsWindow));
        Assert.Equal("/opt/workload", options.Runtime.WorkloadPath);
        Assert.Equal(["--bind", "{address}"], options.Runtime.Images["private/app"].Args);
        Assert.Equal("/bin/true", options.Runtime.DefaultCommand!.Command);
        Assert.Equal("127.11.0.0/16", options.InstanceAddressPool);
        var image = Assert.Single(options.PrivateImages);
        Assert.False(image.CloudInit);
        Assert.Equal(["x-tag"], image.Tags);
    }

    [Fact]
    public void Validate_ManyProblems_EveryOneNamingItsField()
    {
        var options = EmulatorOptions.Load(Write("""
            listen: 10.0.0.1:80
            tokens: [""]
            delays: { booting: soon, provisioning: -1s }
            faults: { rate_429: 1.5, rate_500: -0.1, latency_ms: -5, rate_maintenance: 2 }
            rate_limits: { paginated_limit: 0, stats_window: 0s }
            scoped_tokens:
              - { token: "", scopes: "linodes:write_all" }
            instance_address_pool: 10.10.0.0/16
            nodebalancer_address_pool: 127.10.0.0/20
            private_address_pool: 192.168.1.0/24
            colour: blue
            private_images:
              - { id: golden, label: "" }
            """));
        var errors = options.Validate();
        string[] fields =
        [
            "listen:", "tokens[0]:", "delays.booting:", "delays.provisioning:", "faults.rate_429:", "faults.rate_500:",
            "faults.latency_ms:", "faults.rate_maintenance:", "rate_limits.paginated_limit:", "rate_limits.stats_window:",
            "scoped_tokens[0].token:", "scoped_tokens[0].scopes:", "instance_address_pool:", "private_address_pool:", "colour:", "private_images[0].id:",
            "private_images[0].label:",
        ];
        foreach (var field in fields)
        {
            Assert.Contains(errors, e => e.StartsWith(field, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_OverlappingLoopbackPools_Error()
    {
        var options = new EmulatorOptions { NodeBalancerAddressPool = "127.10.5.0/24" };
        Assert.Contains(options.Validate(), e => e.StartsWith("nodebalancer_address_pool:", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_NotYaml_ErrorReported()
    {
        var options = EmulatorOptions.Load(Write("listen: [unclosed"));
        Assert.Contains(options.Validate(), e => e.StartsWith("config:", StringComparison.Ordinal));
        Assert.Contains(EmulatorOptions.Load(Path.Combine(_dir, "missing.yaml")).Validate(), e => e.Contains("cannot be read", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsListingProblems()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => EmulatorHost.StartAsync(new EmulatorOptions { Listen = "0.0.0.0:80" }));
        Assert.Contains("listen:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PortZero_BaseAddressHasTheRealPort()
    {
        await using var h = await EmulatorHarness.StartAsync();
        Assert.Equal("127.0.0.1", h.Host.BaseAddress.Host);
        Assert.NotEqual(0, h.Host.BaseAddress.Port);
        Assert.EndsWith("/", h.Host.BaseAddress.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposeAsync_StopsInstancesAndRemovesConfigsButLeavesCallerRuntimes()
    {
        var h = await EmulatorHarness.StartAsync();
        var (_, configId, _) = await NodeBalancerTests.NodeBalancerWithNodesAsync(h, 2);
        var ids = (await h.GetOkAsync("linode/instances"))["data"]!.AsArray().Select(i => i!["id"]!.GetValue<long>()).ToList();
        foreach (var id in ids)
        {
            await h.WaitForStatusAsync(id, "running");
        }
        Assert.Equal(2, h.Instances.Running.Count);

        await h.DisposeAsync();

        Assert.Empty(h.Instances.Running);
        Assert.Empty(h.Balancers.Current);
        Assert.Contains(configId, h.Balancers.Removed);
        Assert.False(h.Instances.Disposed);
        Assert.False(h.Balancers.Disposed);
        using var client = new HttpClient();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync(new Uri(h.Host.BaseAddress, "v4/regions")));
    }

    [Fact]
    public async Task DisposeAsync_WithJobsInFlight_CompletesAndStopsProcesses()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Realistic, time);
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        await EmulatorHarness.EventuallyAsync("process started", () =>
        {
            time.Advance(TimeSpan.FromSeconds(5));
            return h.Instances.Running.Contains(id);
        });

        await h.DisposeAsync();

        Assert.Empty(h.Instances.Running);
    }

    private static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException(relative);
    }
}

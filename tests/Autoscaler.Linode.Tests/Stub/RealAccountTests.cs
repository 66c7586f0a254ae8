using System.Diagnostics.Metrics;
using System.Globalization;
using Autoscaler.Core.Configuration;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Autoscaler.Linode.Tests.Provider;
using Autoscaler.Linode.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Autoscaler.Linode.Tests.Stub;

/// <summary>Where a real account is stricter than a kind local API (issue 14) and where a hostile one must not be
/// followed (issue 15 finding 10), each against a loopback stub.</summary>
public sealed class RealAccountTests
{
    private const string InstanceJson = """{"id":7,"label":"web-1","status":"provisioning","type":"g6-nanode-1","region":"us-east","ipv4":["127.10.0.7"],"tags":[]}""";
    private const string ScopeBody = """{"errors":[{"reason":"Your OAuth token is not authorized to use this endpoint."}]}""";

    [Fact]
    public async Task CreateAsync_307ToAnotherHost_NotFollowedAndTheBodyNeverReachesIt()
    {
        await using var elsewhere = await StubServer.StartAsync((context, _) => StubServer.Json(context, 200, InstanceJson));
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = new Uri(elsewhere.BaseAddress, "v4/linode/instances").ToString();
            return Task.CompletedTask;
        });
        using var client = TestClients.Create(stub.ApiUrl);

        var ex = await Assert.ThrowsAnyAsync<LinodeApiException>(() => client.Instances.CreateAsync(new CreateInstanceRequest
        {
            Region = "us-east",
            Type = "g6-nanode-1",
            Image = "linode/debian12",
            RootPass = "s3cret-root-pass",
        }));

        Assert.Equal(307, (int)ex.StatusCode);
        Assert.Contains("redirect", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not followed", ex.Message, StringComparison.Ordinal);
        Assert.Single(stub.Requests);
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task GetAsync_503Maintenance_FailsOnceNamingLinodeMaintenance()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            context.Response.Headers["X-Maintenance-Mode"] = "true";
            return StubServer.Json(context, 503, """{"errors":[{"reason":"Service Unavailable"}]}""");
        });
        using var client = TestClients.Create(stub.ApiUrl);

        var ex = await Assert.ThrowsAsync<LinodeServerException>(() => client.Instances.GetAsync(7));

        Assert.True(ex.IsMaintenance);
        Assert.Equal(1, ex.Attempts);
        Assert.Single(stub.Requests);
        Assert.Contains("Linode API maintenance", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PoolSnapshot_Maintenance_FailsAtOnceNamingMaintenanceSoTheEngineHolds()
    {
        // The engine turns a failed snapshot into a hold whose reason is this message: no retry storm, no action.
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            context.Response.Headers["X-Maintenance-Mode"] = "true";
            return StubServer.Json(context, 503, """{"errors":[{"reason":"Service Unavailable"}]}""");
        });
        using var client = TestClients.Create(stub.ApiUrl);
        var pool = new LinodeInstancePool(ProviderHarness.PoolConfig(), client,
            new NodeBalancerTarget(9, "web-nb", "us-east", 11, 80), new InstanceCreateRateLimiter());

        var ex = await Assert.ThrowsAsync<LinodeServerException>(() => pool.SnapshotAsync(CancellationToken.None));

        Assert.True(ex.IsMaintenance);
        Assert.Contains("Linode API maintenance", ex.Message, StringComparison.Ordinal);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task CreateAsync_UserDataOver16384Bytes_RefusedNamingFieldAndLimitWithoutARequest()
    {
        await using var stub = await StubServer.StartAsync((context, _) => StubServer.Json(context, 200, InstanceJson));
        using var client = TestClients.Create(stub.ApiUrl);
        var request = new CreateInstanceRequest
        {
            Region = "us-east",
            Type = "g6-nanode-1",
            Metadata = new InstanceMetadata { UserData = Convert.ToBase64String(new byte[InstanceMetadata.MaxUserDataBytes + 1]) },
        };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.Instances.CreateAsync(request));

        Assert.Contains("metadata.user_data", ex.Message, StringComparison.Ordinal);
        Assert.Contains("16384", ex.Message, StringComparison.Ordinal);
        Assert.Empty(stub.Requests);
        await client.Instances.CreateAsync(request with
        {
            Metadata = new InstanceMetadata { UserData = Convert.ToBase64String(new byte[InstanceMetadata.MaxUserDataBytes]) },
        });
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task Buckets_AnnouncedLimit_RecordedAndExportedAsGauges()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            context.Response.Headers["X-RateLimit-Limit"] = "20";
            context.Response.Headers["X-RateLimit-Remaining"] = "19";
            context.Response.Headers["X-RateLimit-Reset"] = (TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 15).ToString(CultureInfo.InvariantCulture);
            return StubServer.Json(context, 200, InstanceJson);
        });
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        var gauges = new Dictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Autoscaler.Linode" && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "bucket")
                {
                    lock (gauges)
                    {
                        gauges[instrument.Name + " " + tag.Value] = value;
                    }
                }
            }
        });
        listener.Start();
        using var client = LinodeClient.Create(TestClients.Options(stub.ApiUrl), meterFactory: meterFactory);

        await client.Instances.CreateAsync(new CreateInstanceRequest { Region = "us-east", Type = "g6-nanode-1" });

        var bucket = client.RateLimits.Get(InstanceCreateRateLimiter.CreateEndpoint);
        Assert.NotNull(bucket);
        Assert.Equal(20, bucket.Limit);
        Assert.Equal(19, bucket.Remaining);
        Assert.InRange(bucket.Window!.Value.TotalSeconds, 14, 16);
        lock (gauges)
        {
            Assert.Equal(20, gauges["linode.client.ratelimit.limit POST /linode/instances"]);
            Assert.Equal(19, gauges["linode.client.ratelimit.remaining POST /linode/instances"]);
        }
    }

    [Fact]
    public async Task FactorySetup_ReadOnlyToken_FailsWithOneLineNamingTheScopeAndEndpoint()
    {
        // A linodes:read_only token: reads pass, the write probe gets Linode's 401.
        await using var stub = await StubServer.StartAsync((context, _) =>
            context.Request.Method == "PUT" && context.Request.Path.StartsWithSegments("/v4/linode/instances", StringComparison.Ordinal)
                ? StubServer.Json(context, 401, ScopeBody)
                : StubServer.Json(context, 404, """{"errors":[{"reason":"Not found"}]}"""));
        using var client = TestClients.Create(stub.ApiUrl);
        var factory = new LinodeInstancePoolFactory(client, options: new LinodeInstancePoolFactoryOptions { CheckCatalog = false });

        var ex = await Assert.ThrowsAsync<LinodePoolSetupException>(() =>
            factory.CreateAllAsync([ProviderHarness.PoolConfig()], CancellationToken.None));

        var line = Assert.Single(ex.Errors);
        Assert.Contains("lacks scope linodes:read_write", line, StringComparison.Ordinal);
        Assert.Contains("PUT /v4/linode/instances/0", line, StringComparison.Ordinal);
        Assert.Contains("not authorized to use this endpoint", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain(stub.Requests, r => r.Method == "POST");
    }

    [Fact]
    public void RequiredScopes_FirewallAndStackScript_AddTheirScopes()
    {
        var plain = ProviderHarness.PoolConfig();
        var fenced = plain.WithLinode(l => l with { FirewallLabel = "autoscaler-fw", StackScript = new StackScriptConfig { Id = 5 } });

        Assert.Equal(["linodes:read_write", "nodebalancers:read_write"], LinodeInstancePoolFactory.RequiredScopes([plain]));
        Assert.Equal(["linodes:read_write", "nodebalancers:read_write", "firewall:read_write", "stackscripts:read_only"],
            LinodeInstancePoolFactory.RequiredScopes([fenced]));
    }

    [Fact]
    public async Task FactorySetup_FirewallLabel_ResolvedAndPassedAtCreate()
    {
        await using var stub = await StubServer.StartAsync(AccountWithFirewall);
        using var client = TestClients.Create(stub.ApiUrl);
        var factory = new LinodeInstancePoolFactory(client, options: new LinodeInstancePoolFactoryOptions { CheckCatalog = false });
        var config = ProviderHarness.PoolConfig().WithLinode(l => l with { FirewallLabel = "autoscaler-fw" });

        var pool = await factory.CreateAsync(config, CancellationToken.None);
        await pool.LaunchAsync(new Core.Pools.LaunchRequest("web", "web-fw000001", "op-1", "test"), CancellationToken.None);

        var list = Assert.Single(stub.Requests, r => r.Method == "GET" && r.Path == "/v4/networking/firewalls");
        Assert.Equal("""{"label":"autoscaler-fw"}""", list.Header("X-Filter"));
        var create = Assert.Single(stub.Requests, r => r.Method == "POST" && r.Path == "/v4/linode/instances");
        Assert.Contains("\"firewall_id\":4242", create.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FactorySetup_FirewallLabelUnknown_FailsNamingTheLabel()
    {
        await using var stub = await StubServer.StartAsync(AccountWithFirewall);
        using var client = TestClients.Create(stub.ApiUrl);
        var factory = new LinodeInstancePoolFactory(client, options: new LinodeInstancePoolFactoryOptions { CheckCatalog = false });
        var config = ProviderHarness.PoolConfig().WithLinode(l => l with { FirewallLabel = "no-such-fw" });

        var ex = await Assert.ThrowsAsync<LinodePoolSetupException>(() => factory.CreateAsync(config, CancellationToken.None));

        Assert.Contains(ex.Errors, e => e.Contains("pool 'web'", StringComparison.Ordinal)
            && e.Contains("firewall_label 'no-such-fw'", StringComparison.Ordinal));
    }

    // An account with one firewall (4242, 'autoscaler-fw') and the pool's NodeBalancer: enough for the factory and a launch.
    private static Task AccountWithFirewall(HttpContext context, int _)
    {
        var path = context.Request.Path.Value ?? "";
        var filter = context.Request.Headers["X-Filter"].ToString();
        return (context.Request.Method, path) switch
        {
            ("GET", "/v4/networking/firewalls") => StubServer.Json(context, 200, filter.Contains("autoscaler-fw", StringComparison.Ordinal)
                ? """{"data":[{"id":4242,"label":"autoscaler-fw","status":"enabled","tags":[]}],"page":1,"pages":1,"results":1}"""
                : """{"data":[],"page":1,"pages":1,"results":0}"""),
            ("GET", "/v4/nodebalancers") => StubServer.Json(context, 200,
                """{"data":[{"id":9,"label":"web-nb","region":"us-east","hostname":"nb-1","ipv4":"127.20.0.1","client_conn_throttle":0,"tags":[]}],"page":1,"pages":1,"results":1}"""),
            ("GET", "/v4/nodebalancers/9/configs") => StubServer.Json(context, 200,
                """{"data":[{"id":11,"port":80,"protocol":"http","algorithm":"roundrobin","stickiness":"none","check":"http","check_path":"/health","nodebalancer_id":9}],"page":1,"pages":1,"results":1}"""),
            ("GET", "/v4/linode/instances") => StubServer.Json(context, 200, """{"data":[],"page":1,"pages":1,"results":0}"""),
            ("POST", "/v4/linode/instances") => StubServer.Json(context, 200, InstanceJson),
            _ => StubServer.Json(context, 404, """{"errors":[{"reason":"Not found"}]}"""),
        };
    }
}

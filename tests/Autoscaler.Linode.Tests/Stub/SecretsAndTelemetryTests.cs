using System.Diagnostics.Metrics;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Autoscaler.Linode.Tests.Stub;

public sealed class SecretsAndTelemetryTests
{
    private const string RootPass = "c0rrect-Horse-battery-STAPLE";

    [Fact]
    public async Task FailingCalls_Everywhere_TokenAndRootPassNeverInLogsOrExceptions()
    {
        await using var stub = await StubServer.StartAsync((context, n) => (n % 4) switch
        {
            0 => StubServer.Json(context, 401, """{"errors":[{"reason":"Invalid Token"}]}"""),
            1 => StubServer.Json(context, 500, "oops " + context.Request.Headers.Authorization),
            2 => StubServer.Json(context, 429, """{"errors":[{"reason":"Too many requests"}]}"""),
            _ => StubServer.Json(context, 400, """{"errors":[{"reason":"root_pass is weak","field":"root_pass"}]}"""),
        });
        var logs = new TestLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        using var client = TestClients.Create(stub.ApiUrl, o => o.MaxRetries = 1, loggerFactory: loggerFactory);
        var exceptions = new List<Exception>();

        for (var i = 0; i < 4; i++)
        {
            try
            {
                await client.Instances.CreateAsync(new CreateInstanceRequest
                {
                    Region = "us-east",
                    Type = "g6-nanode-1",
                    Image = "linode/debian12",
                    RootPass = RootPass,
                });
            }
            catch (LinodeException ex)
            {
                exceptions.Add(ex);
            }
        }

        Assert.NotEmpty(exceptions);
        Assert.Contains(exceptions, e => e is LinodeServerException);
        Assert.Contains(stub.Requests, r => r.Body.Contains(RootPass, StringComparison.Ordinal));
        Assert.NotEmpty(logs.Entries);
        var everything = logs.AllText() + string.Join('\n', exceptions.Select(e => e.ToString()));
        Assert.DoesNotContain(TestClients.Token, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(RootPass, everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DebugLog_EachAttempt_HasMethodPathStatusAndAttempt()
    {
        await using var stub = await StubServer.StartAsync((context, n) => n == 1
            ? StubServer.Json(context, 500, "{}")
            : StubServer.Json(context, 200, """{"id":3,"status":"UP","mode":"accept"}"""));
        var logs = new TestLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        using var client = TestClients.Create(stub.ApiUrl, loggerFactory: loggerFactory);

        var node = await client.NodeBalancers.GetNodeAsync(1, 2, 3);

        Assert.Equal(NodeStatus.Up, node.Status);
        var lines = logs.WithEvent(1).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal(LogLevel.Debug, l.Level));
        Assert.Equal([500, 200], lines.Select(l => l.Get<int>("StatusCode")));
        Assert.Equal([1, 2], lines.Select(l => l.Get<int>("Attempt")));
        Assert.All(lines, l => Assert.Equal("/v4/nodebalancers/1/configs/2/nodes/3", l.Get<string>("Path")));
    }

    [Fact]
    public async Task Metrics_Calls_CountedByEndpointTemplateAndStatus()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
            StubServer.Json(context, 404, """{"errors":[{"reason":"Not found"}]}"""));
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        var measurements = new List<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
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
            lock (measurements)
            {
                measurements.Add((instrument.Name, value,
                    tags.ToArray().ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal)));
            }
        });
        listener.Start();
        using var client = LinodeClient.Create(TestClients.Options(stub.ApiUrl), meterFactory: meterFactory);

        await Assert.ThrowsAsync<LinodeNotFoundException>(() => client.Instances.GetAsync(123));
        await Assert.ThrowsAsync<LinodeNotFoundException>(() => client.Instances.GetAsync(456));

        lock (measurements)
        {
            var requests = measurements.Where(m => m.Instrument == "linode.client.requests").ToList();
            Assert.Equal(2, requests.Count);
            Assert.All(requests, m =>
            {
                Assert.Equal("GET /linode/instances/{linodeId}", m.Tags["endpoint"]);
                Assert.Equal("404", m.Tags["status"]);
            });
        }
    }

    [Fact]
    public async Task AddLinodeClient_FromConfiguration_ResolvesClientAndAreas()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
            StubServer.Json(context, 200, """{"data":[{"id":"us-east"}],"page":1,"pages":1,"results":1}"""));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Linode:BaseUrl"] = stub.ApiUrl + "/",
            ["Linode:Token"] = TestClients.Token,
            ["Linode:PageSize"] = "100",
            ["Linode:AttemptTimeout"] = "00:00:20",
        }).Build();
        var logs = new TestLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddLinodeClient(configuration.GetSection("Linode"));
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var client = provider.GetRequiredService<ILinodeClient>();
        var regions = provider.GetRequiredService<IRegionsApi>();
        var list = await regions.ListAsync().ToListAsync();

        Assert.IsType<LinodeClient>(client);
        Assert.Equal("us-east", Assert.Single(list).Id);
        Assert.Equal("?page=1&page_size=100", Assert.Single(stub.Requests).Query);
        Assert.Equal("Bearer " + TestClients.Token, stub.Requests[0].Header("Authorization"));
        Assert.Single(logs.WithEvent(1));
        Assert.DoesNotContain(TestClients.Token, logs.AllText(), StringComparison.Ordinal);
        Assert.NotNull(provider.GetRequiredService<IInstancesApi>());
        Assert.NotNull(provider.GetRequiredService<INodeBalancersApi>());
        Assert.NotNull(provider.GetRequiredService<IEventsApi>());
        Assert.NotNull(provider.GetRequiredService<ITagsApi>());
    }

    [Fact]
    public async Task AddLinodeClient_DiRetryPipeline_RetriesAndSharesGate()
    {
        await using var stub = await StubServer.StartAsync((context, n) => n == 1
            ? StubServer.Json(context, 503, "{}")
            : StubServer.Json(context, 200, """{"id":"g6-nanode-1","vcpus":1}"""));
        var services = new ServiceCollection();
        services.AddLinodeClient(o =>
        {
            o.BaseUrl = stub.ApiUrl;
            o.Token = TestClients.Token;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(20);
        });
        await using var provider = services.BuildServiceProvider();

        var type = await provider.GetRequiredService<ITypesApi>().GetAsync("g6-nanode-1");

        Assert.Equal(1, type.Vcpus);
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task AddLinodeClient_InvalidOptions_FailsWithEveryError()
    {
        var services = new ServiceCollection();
        services.AddLinodeClient(o =>
        {
            o.Token = "";
            o.PageSize = 7;
            o.BaseUrl = "gopher://x";
        });
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ILinodeClient>());

        Assert.Equal(3, ex.Failures.Count());
    }
}

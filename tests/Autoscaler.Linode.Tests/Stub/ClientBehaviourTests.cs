using System.Globalization;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Linode.Tests.Stub;

/// <summary>Client behaviour against a loopback stub, for answers the emulator does not give on demand.</summary>
public sealed class ClientBehaviourTests
{
    private const string EmptyPage = """{"data":[],"page":1,"pages":1,"results":0}""";
    private const string InstanceJson = """{"id":7,"label":"web-1","status":"running","type":"g6-nanode-1","region":"us-east","ipv4":["127.10.0.7"],"tags":[]}""";

    [Fact]
    public async Task ListAsync_WithFilter_SendsAuthUserAgentAcceptFilterAndPaging()
    {
        await using var stub = await StubServer.StartAsync((context, _) => StubServer.Json(context, 200, EmptyPage));
        using var client = TestClients.Create(stub.ApiUrl);

        var items = await client.Instances.ListAsync(Filter.Tag("pool:web") & Filter.Eq("region", "us-east"))
            .ToListAsync();

        Assert.Empty(items);
        var request = Assert.Single(stub.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/v4/linode/instances", request.Path);
        Assert.Equal("?page=1&page_size=500", request.Query);
        Assert.Equal("Bearer " + TestClients.Token, request.Header("Authorization"));
        Assert.StartsWith("linode-autoscaler/", request.Header("User-Agent"), StringComparison.Ordinal);
        Assert.Equal("application/json", request.Header("Accept"));
        Assert.Equal("""{"tags":"pool:web","region":"us-east"}""", request.Header("X-Filter"));
    }

    [Fact]
    public async Task CreateAsync_Body_IsSnakeCaseJsonWithContentType()
    {
        await using var stub = await StubServer.StartAsync((context, _) => StubServer.Json(context, 200, InstanceJson));
        using var client = TestClients.Create(stub.ApiUrl);

        var created = await client.Instances.CreateAsync(new CreateInstanceRequest
        {
            Region = "us-east",
            Type = "g6-nanode-1",
            Booted = false,
            PrivateIp = true,
        });

        Assert.Equal(7, created.Id);
        var request = Assert.Single(stub.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("""{"region":"us-east","type":"g6-nanode-1","private_ip":true,"booted":false}""", request.Body);
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Null(request.Header("X-Filter"));
    }

    [Fact]
    public async Task GetAsync_ImageIdWithSlash_IsPathEscaped()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
            StubServer.Json(context, 200, """{"id":"linode/debian12","label":"Debian 12"}"""));
        using var client = TestClients.Create(stub.ApiUrl);

        var image = await client.Images.GetAsync("linode/debian12");

        Assert.Equal("linode/debian12", image.Id);
        Assert.Equal("/v4/images/linode%2Fdebian12", Assert.Single(stub.Requests).RawTarget);
    }

    [Fact]
    public async Task ListAsync_ThreePages_RequestsEachPageAndStopsAtPages()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            var page = int.Parse(context.Request.Query["page"]!, CultureInfo.InvariantCulture);
            return StubServer.Json(context, 200,
                $$"""{"data":[{"label":"t{{page}}a"},{"label":"t{{page}}b"}],"page":{{page}},"pages":3,"results":6}""");
        });
        using var client = TestClients.Create(stub.ApiUrl, o => o.PageSize = 25);

        var tags = await client.Tags.ListAsync().Select(t => t.Label).ToListAsync();

        Assert.Equal(["t1a", "t1b", "t2a", "t2b", "t3a", "t3b"], tags);
        Assert.Equal(["?page=1&page_size=25", "?page=2&page_size=25", "?page=3&page_size=25"],
            stub.Requests.Select(r => r.Query));
    }

    [Fact]
    public async Task ListAsync_StoppedEarly_FetchesNoFurtherPage()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
            StubServer.Json(context, 200, """{"data":[{"id":1,"action":"linode_boot","status":"finished"}],"page":1,"pages":50,"results":50}"""));
        using var client = TestClients.Create(stub.ApiUrl);

        var newest = await client.Events.ListAsync(Filter.All.OrderBy("created", SortOrder.Descending)).FirstAsync();

        Assert.Equal(1, newest.Id);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task GetAsync_403_ThrowsForbiddenWithReasonAndNotRetried()
    {
        await using var stub = await StubServer.StartAsync((context, _) => StubServer.Json(context, 403,
            """{"errors":[{"reason":"Your OAuth token is not authorized to use this endpoint."}]}"""));
        using var client = TestClients.Create(stub.ApiUrl);

        var ex = await Assert.ThrowsAsync<LinodeForbiddenException>(() => client.Instances.GetAsync(42));

        Assert.Equal(LinodeErrorKind.Forbidden, ex.Kind);
        Assert.Equal(403, (int)ex.StatusCode);
        Assert.Equal("GET", ex.Method);
        Assert.Equal("/v4/linode/instances/42", ex.Path);
        Assert.Equal("Your OAuth token is not authorized to use this endpoint.", Assert.Single(ex.Errors).Reason);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task BootAsync_BusyTwiceThenOk_RetriedAndSucceeds()
    {
        await using var stub = await StubServer.StartAsync((context, n) => n <= 2
            ? StubServer.Json(context, 400, """{"errors":[{"reason":"Linode busy."}]}""")
            : StubServer.Json(context, 200, "{}"));
        using var client = TestClients.Create(stub.ApiUrl);

        await client.Instances.BootAsync(7);

        Assert.Equal(3, stub.Requests.Count);
        Assert.All(stub.Requests, r => Assert.Equal("/v4/linode/instances/7/boot", r.Path));
    }

    [Fact]
    public async Task BootAsync_AlwaysBusy_ThrowsBusyAfterMaxRetries()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
            StubServer.Json(context, 400, """{"errors":[{"reason":"Linode busy."}]}"""));
        using var client = TestClients.Create(stub.ApiUrl, o => o.MaxRetries = 2);

        var ex = await Assert.ThrowsAsync<LinodeBusyException>(() => client.Instances.BootAsync(7));

        Assert.Equal(LinodeErrorKind.Busy, ex.Kind);
        Assert.Equal(3, ex.Attempts);
        Assert.Equal(3, stub.Requests.Count);
    }

    [Fact]
    public async Task CreateAsync_Validation400_NotRetried()
    {
        await using var stub = await StubServer.StartAsync((context, _) => StubServer.Json(context, 400,
            """{"errors":[{"reason":"A Linode with that label already exists","field":"label"},{"reason":"type is not valid","field":"type"}]}"""));
        using var client = TestClients.Create(stub.ApiUrl);

        var ex = await Assert.ThrowsAsync<LinodeValidationException>(() =>
            client.Instances.CreateAsync(new CreateInstanceRequest { Region = "us-east", Type = "nope", Label = "web-1" }));

        Assert.Equal(["label", "type"], ex.Errors.Select(e => e.Field));
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task CreateAsync_500_NotRetriedBecauseItMayHaveActed()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
            StubServer.Json(context, 500, """{"errors":[{"reason":"Internal server error"}]}"""));
        using var client = TestClients.Create(stub.ApiUrl);

        var ex = await Assert.ThrowsAsync<LinodeServerException>(() =>
            client.Instances.CreateAsync(new CreateInstanceRequest { Region = "us-east", Type = "g6-nanode-1" }));

        Assert.Equal(1, ex.Attempts);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task CreateAsync_408_RetriedBecauseNothingWasRead()
    {
        await using var stub = await StubServer.StartAsync((context, n) => n == 1
            ? StubServer.Json(context, 408, """{"errors":[{"reason":"Request timeout"}]}""")
            : StubServer.Json(context, 200, InstanceJson));
        using var client = TestClients.Create(stub.ApiUrl);

        await client.Instances.CreateAsync(new CreateInstanceRequest { Region = "us-east", Type = "g6-nanode-1" });

        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task GetAsync_503Maintenance_NotRetried()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            context.Response.Headers["X-Maintenance-Mode"] = "true";
            return StubServer.Json(context, 503, """{"errors":[{"reason":"Maintenance"}]}""");
        });
        using var client = TestClients.Create(stub.ApiUrl);

        var ex = await Assert.ThrowsAsync<LinodeServerException>(() => client.Regions.GetAsync("us-east"));

        Assert.True(ex.IsMaintenance);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task GetAsync_HtmlErrorBody_ThrowsServerExceptionDescribingIt()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = 502;
            context.Response.ContentType = "text/html";
            return context.Response.WriteAsync("<html><h1>502 Bad Gateway</h1></html>");
        });
        using var client = TestClients.Create(stub.ApiUrl, o => o.MaxRetries = 0);

        var ex = await Assert.ThrowsAsync<LinodeServerException>(() => client.Types.GetAsync("g6-nanode-1"));

        var error = Assert.Single(ex.Errors);
        Assert.Contains("502 Bad Gateway", error.Reason, StringComparison.Ordinal);
        Assert.Contains("text/html", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_SuccessWithGarbage_ThrowsInvalidResponse()
    {
        await using var stub = await StubServer.StartAsync((context, _) => StubServer.Json(context, 200, "[not json"));
        using var client = TestClients.Create(stub.ApiUrl);

        var ex = await Assert.ThrowsAsync<LinodeInvalidResponseException>(() => client.Regions.GetAsync("us-east"));

        Assert.Equal(LinodeErrorKind.InvalidResponse, ex.Kind);
    }

    [Fact]
    public async Task GetAsync_429WithoutRetryAfter_RetriedWithBackoff()
    {
        await using var stub = await StubServer.StartAsync((context, n) => n == 1
            ? StubServer.Json(context, 429, """{"errors":[{"reason":"Too many requests"}]}""")
            : StubServer.Json(context, 200, """{"id":"us-east","label":"Newark, NJ"}"""));
        using var client = TestClients.Create(stub.ApiUrl);

        var region = await client.Regions.GetAsync("us-east");

        Assert.Equal("Newark, NJ", region.Label);
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task NextRequest_AfterRemainingZero_WaitsForResetAtTheGate()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var reset = time.GetUtcNow().AddSeconds(3).ToUnixTimeSeconds();
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            context.Response.Headers["X-RateLimit-Limit"] = "2";
            context.Response.Headers["X-RateLimit-Remaining"] = "0";
            context.Response.Headers["X-RateLimit-Reset"] = reset.ToString(CultureInfo.InvariantCulture);
            return StubServer.Json(context, 200, """{"id":"us-east"}""");
        });
        var logs = new TestLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        using var client = TestClients.Create(stub.ApiUrl, time: time, loggerFactory: loggerFactory);

        await client.Regions.GetAsync("us-east");
        var second = client.Regions.GetAsync("us-east");
        await TestClients.WaitUntilAsync(() => logs.WithEvent(4).Any(), "the gate to hold the second request");

        Assert.Single(stub.Requests);
        Assert.False(second.IsCompleted);
        Assert.Equal(3000, logs.WithEvent(4).Single().Get<double>("DelayMs"), precision: 0);
        // Fake time moves in steps until the held call completes, at most 10 s: enough to pass the reset, and
        // short of the 30 s attempt timeout, so no step can turn into a timeout and a retry.
        for (var i = 0; i < 10 && !second.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(second, Task.Delay(200));
        }

        await second;
        Assert.Equal(2, stub.Requests.Count);
    }
}

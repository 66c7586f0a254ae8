using System.Net;
using System.Net.Sockets;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Autoscaler.Linode.Tests.Stub;

public sealed class TimeoutCancellationTests
{
    // The stub never answers on its own; it ends when the client gives up (RequestAborted) or the test's deadline hits.
    private static async Task Hang(HttpContext context)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(60), context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Fact]
    public async Task GetAsync_EveryAttemptTimesOut_RetriesThenThrowsTimeout()
    {
        await using var stub = await StubServer.StartAsync((context, _) => Hang(context));
        using var client = TestClients.Create(stub.ApiUrl, o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(300);
            o.MaxRetries = 2;
        });

        var ex = await Assert.ThrowsAsync<LinodeTimeoutException>(() => client.Instances.GetAsync(1));

        Assert.Equal(LinodeErrorKind.Timeout, ex.Kind);
        Assert.Equal(3, ex.Attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(300), ex.Timeout);
        // On a loaded machine an attempt can time out before the stub has even read it.
        Assert.InRange(stub.Requests.Count, 1, 3);
    }

    [Fact]
    public async Task GetAsync_BodyStallsAfterHeaders_AttemptTimeoutCoversIt()
    {
        await using var stub = await StubServer.StartAsync(async (context, _) =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = 1000;
            await context.Response.WriteAsync("""{"id":"us-""", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Hang(context);
        });
        using var client = TestClients.Create(stub.ApiUrl, o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(300);
            o.MaxRetries = 1;
        });

        var ex = await Assert.ThrowsAsync<LinodeTimeoutException>(() => client.Regions.GetAsync("us-east"));

        Assert.Equal(2, ex.Attempts);
    }

    [Fact]
    public async Task CreateAsync_AttemptTimesOut_NotRetried()
    {
        await using var stub = await StubServer.StartAsync((context, _) => Hang(context));
        using var client = TestClients.Create(stub.ApiUrl, o => o.AttemptTimeout = TimeSpan.FromMilliseconds(300));

        var ex = await Assert.ThrowsAsync<LinodeTimeoutException>(() =>
            client.Instances.CreateAsync(new CreateInstanceRequest { Region = "us-east", Type = "g6-nanode-1" }));

        Assert.Equal(1, ex.Attempts);
        Assert.InRange(stub.Requests.Count, 0, 1);
    }

    [Fact]
    public async Task GetAsync_TotalTimeoutShorterThanRetries_ThrowsTimeoutWithTotal()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
            StubServer.Json(context, 429, """{"errors":[{"reason":"Too many requests"}]}"""));
        using var client = TestClients.Create(stub.ApiUrl, o =>
        {
            o.MaxRetries = 100;
            o.TotalTimeout = TimeSpan.FromMilliseconds(700);
            o.AttemptTimeout = TimeSpan.FromMilliseconds(500);
        });

        var ex = await Assert.ThrowsAsync<LinodeTimeoutException>(() => client.Regions.GetAsync("us-east"));

        Assert.Equal(TimeSpan.FromMilliseconds(700), ex.Timeout);
    }

    [Fact]
    public async Task GetAsync_CanceledWhileWaitingForAnswer_ThrowsOperationCanceled()
    {
        await using var stub = await StubServer.StartAsync((context, _) => Hang(context));
        using var client = TestClients.Create(stub.ApiUrl);
        using var cts = new CancellationTokenSource();

        var call = client.Instances.GetAsync(1, cts.Token);
        await TestClients.WaitUntilAsync(() => stub.Requests.Count == 1, "the request to arrive");
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(cts.Token, ex.CancellationToken);
    }

    [Fact]
    public async Task GetAsync_CanceledDuringRetryAfterWait_ThrowsOperationCanceled()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            context.Response.Headers.RetryAfter = "30";
            return StubServer.Json(context, 429, """{"errors":[{"reason":"Too many requests"}]}""");
        });
        using var client = TestClients.Create(stub.ApiUrl, o => o.MaxRetryAfter = TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource();

        var call = client.Regions.GetAsync("us-east", cts.Token);
        await TestClients.WaitUntilAsync(() => stub.Requests.Count == 1, "the first attempt");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task ListAsync_CanceledBetweenPages_StopsPaging()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
            StubServer.Json(context, 200, """{"data":[{"label":"a"}],"page":1,"pages":9,"results":9}"""));
        using var client = TestClients.Create(stub.ApiUrl);
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.Tags.ListAsync(cancellationToken: cts.Token))
            {
                await cts.CancelAsync();
            }
        });
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task Calls_ConnectionRefused_RetriedEvenForCreateThenTransportError()
    {
        // A port that was free a moment ago and has nobody listening: connecting is refused, nothing is sent.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var logs = new TestLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        using var client = TestClients.Create($"http://127.0.0.1:{port}/v4", o => o.MaxRetries = 2,
            loggerFactory: loggerFactory);

        var get = await Assert.ThrowsAsync<LinodeTransportException>(() => client.Instances.GetAsync(1));
        var create = await Assert.ThrowsAsync<LinodeTransportException>(() =>
            client.Instances.CreateAsync(new CreateInstanceRequest { Region = "us-east", Type = "g6-nanode-1" }));

        Assert.Equal(3, get.Attempts);
        Assert.Equal(3, create.Attempts);
        Assert.Equal(LinodeErrorKind.Transport, create.Kind);
        Assert.IsType<HttpRequestException>(create.InnerException);
        Assert.Equal(4, logs.WithEvent(3).Count());
    }
}

using System.Net;
using Autoscaler.Core.Signals;
using Autoscaler.Service.Signals;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Autoscaler.Service.Tests;

/// <summary>The metric source against a tiny loopback stub answering <c>/api/v1/query</c> with the documented shapes.</summary>
public sealed class PrometheusMetricSourceTests : IAsyncLifetime
{
    private readonly Dictionary<string, (int Status, string Body)> _answers = new(StringComparer.Ordinal)
    {
        ["scalar"] = (200, """{"status":"success","data":{"resultType":"scalar","result":[1700000000.123,"42.5"]}}"""),
        ["vector"] = (200, """{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pool":"web"},"value":[1700000000.123,"63.25"]}]}}"""),
        ["empty"] = (200, """{"status":"success","data":{"resultType":"vector","result":[]}}"""),
        ["nan"] = (200, """{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"NaN"]}]}}"""),
        ["inf"] = (200, """{"status":"success","data":{"resultType":"scalar","result":[1700000000,"+Inf"]}}"""),
        ["two"] = (200, """{"status":"success","data":{"resultType":"vector","result":[{"metric":{"i":"a"},"value":[1,"1"]},{"metric":{"i":"b"},"value":[1,"2"]}]}}"""),
        ["matrix"] = (200, """{"status":"success","data":{"resultType":"matrix","result":[]}}"""),
        ["bad"] = (400, """{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error"}"""),
        ["down"] = (503, "Service Unavailable"),
    };

    private readonly List<string> _missing = [];
    private WebApplication? _app;
    private Uri? _base;
    private HttpClient? _http;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        _app = builder.Build();
        _app.MapGet("/prom/api/v1/query", async (HttpContext c) =>
        {
            var q = c.Request.Query["query"].ToString();
            if (q == "slow")
            {
                await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted);
            }

            var (status, body) = _answers[q];
            c.Response.StatusCode = status;
            c.Response.ContentType = "application/json";
            await c.Response.WriteAsync(body);
        });
        await _app.StartAsync();
        _base = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/prom");
        _http = new HttpClient();
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private Task<MetricReading> ReadAsync(string query, TimeSpan? timeout = null, Uri? prometheus = null) =>
        new PrometheusMetricSource(_http!, timeout, r => _missing.Add(r)).ReadAsync(new MetricQuery("web", prometheus ?? _base!, query), default).AsTask();

    [Theory]
    [InlineData("scalar", 42.5)]
    [InlineData("vector", 63.25)]
    public async Task Read_OneNumber_Value(string query, double expected)
    {
        var reading = await ReadAsync(query);
        Assert.False(reading.IsMissing, reading.MissingReason);
        Assert.Equal(expected, reading.Value);
        Assert.Empty(_missing);
    }

    [Theory]
    [InlineData("empty", "the query returned no series", "empty")]
    [InlineData("nan", "NaN", "nan")]
    [InlineData("inf", "Infinity", "nan")]
    [InlineData("two", "the query returned 2 series", "multiple_series")]
    [InlineData("matrix", "the query returned a matrix", "unsupported_result")]
    [InlineData("bad", "HTTP 400 bad_data: invalid parameter", "query_error")]
    [InlineData("down", "Prometheus answered HTTP 503", "http_error")]
    public async Task Read_NoUsableNumber_MissingWithReason(string query, string reason, string key)
    {
        var reading = await ReadAsync(query);
        Assert.True(reading.IsMissing);
        Assert.Contains(reason, reading.MissingReason, StringComparison.Ordinal);
        Assert.Equal([key], _missing);
    }

    [Fact]
    public async Task Read_NoAnswerInTime_MissingTimeout()
    {
        var reading = await ReadAsync("slow", TimeSpan.FromMilliseconds(200));
        Assert.True(reading.IsMissing);
        Assert.Contains("did not answer within 0.2 s", reading.MissingReason, StringComparison.Ordinal);
        Assert.Equal(["timeout"], _missing);
    }

    [Fact]
    public async Task Read_NothingListening_MissingUnreachable()
    {
        // A port that was free a moment ago: connection refused on loopback.
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var reading = await ReadAsync("scalar", prometheus: new Uri($"http://127.0.0.1:{port}"));
        Assert.True(reading.IsMissing);
        Assert.Contains("cannot be reached", reading.MissingReason, StringComparison.Ordinal);
        Assert.Equal(["unreachable"], _missing);
    }

    [Fact]
    public async Task Read_CallerCancels_Throws()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var source = new PrometheusMetricSource(_http!, TimeSpan.FromSeconds(20));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => source.ReadAsync(new MetricQuery("web", _base!, "slow"), cts.Token).AsTask());
    }
}

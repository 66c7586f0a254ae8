using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>A loopback stand-in for Prometheus' <c>/api/v1/query</c> whose answer the test switches: a value, NaN, an
/// empty vector, an HTTP error. Counts the queries it answered.</summary>
public sealed class PrometheusStub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile string _answer = "empty";
    private int _queries;

    private PrometheusStub(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public int Queries => Volatile.Read(ref _queries);

    /// <summary><c>value:N</c>, <c>nan</c>, <c>empty</c> or <c>http_503</c>.</summary>
    public string Answer
    {
        get => _answer;
        set => _answer = value;
    }

    public static async Task<PrometheusStub> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var url = new Uri("http://127.0.0.1/");
        PrometheusStub? stub = null;
        app.MapGet("/api/v1/query", async (HttpContext c) =>
        {
            Interlocked.Increment(ref stub!._queries);
            var answer = stub._answer;
            c.Response.ContentType = "application/json";
            if (answer == "http_503")
            {
                c.Response.StatusCode = 503;
                await c.Response.WriteAsync("Service Unavailable");
                return;
            }

            var result = answer switch
            {
                "empty" => "[]",
                "nan" => """[{"metric":{"pool":"web"},"value":[1767225600,"NaN"]}]""",
                _ => $$"""[{"metric":{"pool":"web"},"value":[1767225600,"{{double.Parse(answer["value:".Length..], CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)}}"]}]""",
            };
            await c.Response.WriteAsync("""{"status":"success","data":{"resultType":"vector","result":""" + result + "}}");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub = new PrometheusStub(app, new Uri(address.TrimEnd('/') + "/"));
        return stub;
    }

    /// <summary>A loopback URL nothing listens on (a port that was free a moment ago): connection refused.</summary>
    public static Uri Closed()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

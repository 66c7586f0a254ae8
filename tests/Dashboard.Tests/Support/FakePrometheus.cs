using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Tests.Support;

/// <summary>Prometheus' instant-query API on a free loopback port: each query answers the value that
/// <see cref="Values"/> gives for it (by a fragment of its text), as a one-sample vector; an unknown query gets an
/// empty vector, as a real Prometheus does for a series that does not exist.</summary>
public sealed class FakePrometheus : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakePrometheus(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>Query fragment → value.</summary>
    public ConcurrentDictionary<string, double> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Queries received.</summary>
    public ConcurrentQueue<string> Queries { get; } = new();

    public static async Task<FakePrometheus> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        FakePrometheus? self = null;
        app.UseRouting();
        app.MapGet("/api/v1/query", (HttpContext context) =>
        {
            var query = context.Request.Query["query"].ToString();
            self!.Queries.Enqueue(query);
            var match = self.Values.FirstOrDefault(kv => query.Contains(kv.Key, StringComparison.Ordinal));
            var result = match.Key is null
                ? "[]"
                : "[{\"metric\":{},\"value\":[" + (TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0).ToString(CultureInfo.InvariantCulture)
                    + ",\"" + match.Value.ToString("R", CultureInfo.InvariantCulture) + "\"]}]";
            return Results.Text("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":" + result + "}}", "application/json");
        });
        // Range queries (a forecast's history) answer a daily sine around 40 for every step asked.
        app.MapGet("/api/v1/query_range", (HttpContext context) =>
        {
            var q = context.Request.Query;
            self!.Queries.Enqueue("range: " + q["query"]);
            var start = double.Parse(q["start"].ToString(), CultureInfo.InvariantCulture);
            var end = double.Parse(q["end"].ToString(), CultureInfo.InvariantCulture);
            var step = double.Parse(q["step"].ToString(), CultureInfo.InvariantCulture);
            var values = new List<string>();
            for (var t = start; t <= end + 1e-6; t += step)
            {
                var v = 40 + (20 * Math.Sin(2 * Math.PI * t / 86400));
                values.Add("[" + t.ToString("0.###", CultureInfo.InvariantCulture) + ",\"" + v.ToString("R", CultureInfo.InvariantCulture) + "\"]");
            }

            return Results.Text("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[" + string.Join(",", values) + "]}]}}", "application/json");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakePrometheus(app, new Uri(address.TrimEnd('/') + "/"));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

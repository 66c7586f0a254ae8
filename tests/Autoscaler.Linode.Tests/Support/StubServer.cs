using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Tests.Support;

/// <summary>What the stub saw of one request.</summary>
public sealed record RecordedRequest(string Method, string RawTarget, string Path, string Query,
    IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>A tiny loopback HTTP server for the cases the emulator cannot produce on demand (403, "Linode busy.",
/// odd bodies, exhausted rate-limit windows, slow answers). Each test gives it a handler; it records requests.</summary>
public sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private StubServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The API root a client should use (<c>…/v4</c>).</summary>
    public string ApiUrl => new Uri(BaseAddress, "v4").ToString();

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<StubServer> StartAsync(Func<HttpContext, int, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var stub = new StubServer(app);
        var count = 0;
        app.Run(async context =>
        {
            var feature = context.Features.Get<IHttpRequestFeature>();
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(),
                StringComparer.OrdinalIgnoreCase);
            stub._requests.Enqueue(new RecordedRequest(context.Request.Method, feature?.RawTarget ?? "",
                context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", headers, body));
            await handler(context, Interlocked.Increment(ref count));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return stub;
    }

    /// <summary>Writes a JSON body with a status.</summary>
    public static Task Json(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

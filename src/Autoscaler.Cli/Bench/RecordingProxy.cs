using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Cli.Bench;

/// <summary>
/// A reverse proxy (YARP's forwarder) between the service under test and the emulator that notes when each request
/// arrives. The service runs in its own process, so this is where "the first Linode API call after an alert" can be
/// seen without changing the service; the hop adds a loopback round trip to every call, not to the measured interval
/// (the clock stops when the request reaches the proxy).
/// </summary>
internal sealed class RecordingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private TaskCompletionSource<long>? _next;
    private long _lastRequest;
    private long _requests;

    private RecordingProxy(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the service should send its Linode calls (without <c>/v4</c>).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Requests forwarded so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Stopwatch timestamp of the latest request.</summary>
    public long LastRequestTimestamp => Interlocked.Read(ref _lastRequest);

    public static async Task<RecordingProxy> StartAsync(Uri target, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        RecordingProxy? self = null;
        app.Use((context, next) =>
        {
            self!.Note();
            return next(context);
        });
        app.MapForwarder("/{**catch-all}", target.ToString().TrimEnd('/'));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new RecordingProxy(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
        return self;
    }

    /// <summary>Completes with the Stopwatch timestamp of the next request to arrive.</summary>
    public Task<long> NextRequest()
    {
        var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _next, tcs);
        return tcs.Task;
    }

    /// <summary>Waits until no request has arrived for <paramref name="quiet"/>, so the next measurement starts from an
    /// idle service.</summary>
    public async Task WaitQuietAsync(TimeSpan quiet, CancellationToken cancellationToken)
    {
        while (Stopwatch.GetElapsedTime(LastRequestTimestamp) < quiet)
        {
            await Task.Delay(quiet / 4, cancellationToken);
        }
    }

    private void Note()
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref _lastRequest, now);
        Interlocked.Increment(ref _requests);
        Interlocked.Exchange(ref _next, null)?.TrySetResult(now);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Autoscaler.Sandbox;

/// <summary>One Linode API call as the wire saw it, between the autoscaler and the emulator.</summary>
public sealed class Exchange
{
    public required long Seq { get; init; }

    public required string Method { get; init; }

    /// <summary>Path and query, e.g. <c>/v4/linode/instances?page=1</c>.</summary>
    public required string Target { get; init; }

    public required string Body { get; init; }

    /// <summary>The X-Filter header (list calls differ by it alone).</summary>
    public required string Filter { get; init; }

    /// <summary>When the request arrived (<see cref="SandboxClock"/> seconds).</summary>
    public required double ReceivedAt { get; init; }

    /// <summary>When the request arrived, on the proxy's <see cref="TimeProvider"/>.</summary>
    public required DateTimeOffset ReceivedUtc { get; init; }

    /// <summary>When the answer was handed back (<see cref="SandboxClock"/> seconds); NaN if none was.</summary>
    public double RespondedAt { get; set; } = double.NaN;

    /// <summary>0 when the call was dropped (the autoscaler was killed on it).</summary>
    public int Status { get; set; }

    /// <summary>The answer's Retry-After, in seconds.</summary>
    public int? RetryAfter { get; set; }

    /// <summary>Method and path without the API version and query, as the Linode client names its calls: e.g.
    /// <c>GET /linode/instances</c> for <c>GET /v4/linode/instances?page=1</c>.</summary>
    public string Endpoint
    {
        get
        {
            var path = Target.Split('?', 2)[0];
            return Method + " " + (path.StartsWith("/v4/", StringComparison.Ordinal) ? path[3..] : path);
        }
    }

    /// <summary>The same call again (a retry): same method, target and body.</summary>
    public string Key => Method + " " + Target + " " + Filter + " " + Body;

    public override string ToString() => $"#{Seq} {Method} {Target} → {(Status == 0 ? "dropped" : Status.ToString(CultureInfo.InvariantCulture))}";
}

/// <summary>What the proxy does with a call before forwarding it.</summary>
public enum ProxyVerdict
{
    Forward,

    /// <summary>Never forwarded: the connection is dropped (the caller was killed).</summary>
    Drop,
}

/// <summary>
/// A loopback reverse proxy the autoscaler talks to instead of the emulator: it logs every call with its timing, status
/// and Retry-After (so a test can see when a retry came; the demo and the bench, when the first call after an alert
/// arrived), and lets a test act at an exact call (kill the autoscaler before the N-th call reaches the API, or after
/// the API acted on it but before the answer gets back). The service needs no change to be observed this way, in
/// process or as a separate <c>serve</c>; the hop adds a loopback round trip to each call, not to the time until it
/// arrives here.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host", "Content-Length",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly ConcurrentQueue<Exchange> _done = new();
    private readonly TimeProvider _time;
    private TaskCompletionSource<double>? _next;
    private long _seq;
    private long _lastArrival = BitConverter.DoubleToInt64Bits(double.NegativeInfinity);

    private RecordingProxy(WebApplication app, HttpClient upstream, Uri baseAddress, TimeProvider time)
    {
        _app = app;
        _upstream = upstream;
        BaseAddress = baseAddress;
        _time = time;
    }

    /// <summary>Where the caller sends its Linode calls (add <c>v4</c>).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Called on arrival; may kill the caller and drop the call.</summary>
    public Func<Exchange, Task<ProxyVerdict>>? BeforeForward { get; set; }

    /// <summary>Called once the API answered, before the answer is passed on; true drops the answer.</summary>
    public Func<Exchange, Task<bool>>? AfterForward { get; set; }

    /// <summary>Calls seen so far (the next call gets this number + 1).</summary>
    public long Count => Interlocked.Read(ref _seq);

    /// <summary>Finished calls in arrival order.</summary>
    public IReadOnlyList<Exchange> Exchanges => [.. _done.OrderBy(e => e.Seq)];

    /// <summary>Completes with the <see cref="SandboxClock"/> time at which the next call arrives.</summary>
    public Task<double> NextRequest()
    {
        var tcs = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _next, tcs);
        return tcs.Task;
    }

    /// <summary>Waits until no call has arrived for <paramref name="quiet"/>, so that a measurement starts from an idle
    /// caller.</summary>
    public async Task WaitQuietAsync(TimeSpan quiet, CancellationToken cancellationToken)
    {
        while (SandboxClock.Now - BitConverter.Int64BitsToDouble(Interlocked.Read(ref _lastArrival)) < quiet.TotalSeconds)
        {
            await Task.Delay(quiet / 4, cancellationToken);
        }
    }

    /// <param name="upstream">The emulator's base address (without <c>v4</c>).</param>
    /// <param name="time">The clock of <see cref="Exchange.ReceivedUtc"/>; default the system's.</param>
    public static async Task<RecordingProxy> StartAsync(Uri upstream, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
#pragma warning disable CA2000 // Owned by the HttpClient, which the proxy disposes.
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, UseProxy = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = upstream,
            Timeout = TimeSpan.FromMinutes(5),
        };
#pragma warning restore CA2000
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0);
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        RecordingProxy? proxy = null;
        app.Run(context => proxy!.HandleAsync(context));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy = new RecordingProxy(app, http, new Uri(address.TrimEnd('/') + "/"), time ?? TimeProvider.System);
        return proxy;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var arrived = SandboxClock.Now;
        var arrivedUtc = _time.GetUtcNow();
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var exchange = new Exchange
        {
            Seq = Interlocked.Increment(ref _seq),
            Method = request.Method,
            Target = request.Path + request.QueryString,
            Body = System.Text.Encoding.UTF8.GetString(body),
            Filter = request.Headers["X-Filter"].ToString(),
            ReceivedAt = arrived,
            ReceivedUtc = arrivedUtc,
        };
        Interlocked.Exchange(ref _lastArrival, BitConverter.DoubleToInt64Bits(exchange.ReceivedAt));
        Interlocked.Exchange(ref _next, null)?.TrySetResult(exchange.ReceivedAt);

        try
        {
            if (BeforeForward is { } before && await before(exchange) == ProxyVerdict.Drop)
            {
                context.Abort();
                return;
            }

            using var upstream = new HttpRequestMessage(new HttpMethod(request.Method), exchange.Target.TrimStart('/'));
            if (body.Length > 0 || request.ContentType is not null)
            {
                upstream.Content = new ByteArrayContent(body);
            }

            foreach (var (name, values) in request.Headers)
            {
                if (HopByHop.Contains(name))
                {
                    continue;
                }

                if (!upstream.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                {
                    upstream.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                }
            }

            using var response = await _upstream.SendAsync(upstream, HttpCompletionOption.ResponseContentRead, CancellationToken.None);
            var payload = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            exchange.Status = (int)response.StatusCode;
            if (response.Headers.RetryAfter?.Delta is { } delta)
            {
                exchange.RetryAfter = (int)delta.TotalSeconds;
            }

            if (AfterForward is { } after && await after(exchange))
            {
                exchange.Status = 0;
                context.Abort();
                return;
            }

            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            exchange.RespondedAt = SandboxClock.Now;
            await context.Response.Body.WriteAsync(payload, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException)
        {
            // The caller went away (killed) or the emulator is stopping.
            context.Abort();
        }
        finally
        {
            _done.Enqueue(exchange);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}

using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Linode.Emulator.Runtime;

/// <summary>
/// One NodeBalancer config: a Kestrel listener on (address, port) that picks a backend by algorithm, stickiness, mode
/// and health, and forwards to it with YARP (HTTP) or byte for byte (TCP); plus the config's active health checks.
/// </summary>
/// <remarks>
/// Semantics, chosen to match what a real NodeBalancer shows:
/// <list type="bullet">
/// <item>A node is <c>Unknown</c> until a check decides; it turns <c>UP</c> at the first successful check and
/// <c>DOWN</c> after <c>check_attempts</c> consecutive failures (active, or passive when <c>check_passive</c>).</item>
/// <item>Traffic only goes to <c>UP</c> nodes; with none, the answer is HAProxy's 503 page.</item>
/// <item><c>check: none</c>: nothing probes the backends, so every check round counts as a success: nodes are
/// <c>UP</c> at once, and a node that passive checks took <c>DOWN</c> comes back after <c>check_interval</c>.</item>
/// <item><c>http</c> passes on a 2xx/3xx answer, <c>http_body</c> when the start of the body matches the regex
/// (HAProxy's <c>http-check expect rstring</c>), <c>connection</c> when a TCP connect succeeds; each within
/// <c>check_timeout</c>.</item>
/// <item>A request whose connection to the backend fails is retried once on another node when it has no body (HAProxy's
/// redispatch); the failure counts as a passive one.</item>
/// </list>
/// </remarks>
internal sealed partial class BalancerListener : IAsyncDisposable
{
    internal const string CookieName = "NB_SRVID";

    private const string NoServerPage =
        "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";

    private const int StickyTableLimit = 100_000;
    private const int CheckBodyBytes = 16 * 1024;
    private static readonly object CookieItem = new();

    // Long enough for a slow backend under load; a real NodeBalancer's idle timeout is in the same range.
    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromSeconds(60) };

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _invoker;
    private readonly HttpClient _checkClient;
    private readonly BalancerTransformer _transformer = new();
    private readonly Dictionary<IPAddress, long> _stickyTable = [];
    private BalancerNodeState[] _nodes = [];
    private BalancerConfigSpec _spec;
    private Regex? _checkBody;
    private WebApplication? _app;
    private CancellationTokenSource? _checksStop;
    private Task _checks = Task.CompletedTask;
    private long _rounds;
    private long _rr;

    public BalancerListener(
        BalancerConfigSpec spec,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IHttpForwarder forwarder,
        HttpMessageInvoker invoker,
        HttpClient checkClient)
    {
        _spec = spec;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<YarpLoadBalancerRuntime>();
        _forwarder = forwarder;
        _invoker = invoker;
        _checkClient = checkClient;
        SetNodes(spec, []);
    }

    public BalancerConfigSpec Spec => Volatile.Read(ref _spec);

    public IPEndPoint Endpoint => new(Spec.ListenAddress, Spec.Port);

    /// <summary>Check rounds begun; bumped once the next round's timer is armed (tests driving a fake clock wait
    /// for it before advancing).</summary>
    internal long CheckRounds => Interlocked.Read(ref _rounds);

    /// <summary>Binds the listener and starts the checks. Throws when the address/port cannot be bound.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var spec = Spec;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(spec.ListenAddress, spec.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (string.Equals(spec.Protocol, "tcp", StringComparison.OrdinalIgnoreCase))
                {
                    listen.Run(ForwardTcpAsync);
                }
            });
        });
        var app = builder.Build();
        app.Run(ForwardHttpAsync);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        _app = app;
        RestartChecks();
    }

    /// <summary>Takes a new spec for the same address and port: nodes (keeping known health), algorithm, checks.</summary>
    public void Update(BalancerConfigSpec spec)
    {
        BalancerNodeState[] previous;
        lock (_gate)
        {
            previous = _nodes;
        }

        SetNodes(spec, previous);
        RestartChecks();
    }

    /// <summary>Moves the state (nodes and their health) of a listener being replaced (rebinding).</summary>
    public void AdoptState(BalancerListener from)
    {
        lock (from._gate)
        {
            SetNodes(Spec, from._nodes);
        }
    }

    public string GetNodeStatus(long nodeId) =>
        Array.Find(Volatile.Read(ref _nodes), n => n.NodeId == nodeId)?.Status ?? NodeStatus.Unknown;

    internal NodeCounters? GetNodeCounters(long nodeId) =>
        Array.Find(Volatile.Read(ref _nodes), n => n.NodeId == nodeId)?.Counters();

    public async ValueTask DisposeAsync()
    {
        await StopChecksAsync();
        if (_app is { } app)
        {
            _app = null;
            try
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await app.StopAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
            }

            await app.DisposeAsync();
        }
    }

    private void SetNodes(BalancerConfigSpec spec, BalancerNodeState[] previous)
    {
        Regex? body = null;
        if (string.Equals(spec.Check, "http_body", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                body = new Regex(spec.CheckBody, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                LogBadCheckBody(_logger, spec.NodeBalancerId, spec.ConfigId);
            }
        }

        var nodes = spec.Nodes.Select(n =>
        {
            var kept = Array.Find(previous, p => p.NodeId == n.NodeId && p.Backend.Equals(n.Backend));
            if (kept is null)
            {
                return new BalancerNodeState(n);
            }

            kept.Mode = n.Mode.ToLowerInvariant();
            kept.Weight = Math.Clamp(n.Weight, 1, 255);
            return kept;
        }).ToArray();

        lock (_gate)
        {
            Volatile.Write(ref _spec, spec);
            _checkBody = body;
            Volatile.Write(ref _nodes, nodes);
            var ids = nodes.Select(n => n.NodeId).ToHashSet();
            foreach (var stale in _stickyTable.Where(e => !ids.Contains(e.Value)).Select(e => e.Key).ToList())
            {
                _stickyTable.Remove(stale);
            }
        }
    }

    // ---- selection -------------------------------------------------------------------------------------------

    /// <summary>Picks the backend for a new request (or connection) and reserves an in-flight slot on it.</summary>
    private BalancerNodeState? Choose(IPAddress? client, long? cookieNode, HashSet<long>? exclude, out bool newSticky)
    {
        newSticky = false;
        var spec = Spec;
        var stickiness = spec.Stickiness.ToLowerInvariant();
        lock (_gate)
        {
            var nodes = _nodes;
            var anyAcceptUp = nodes.Any(n => n.Mode == NodeMode.Accept && n.Status == NodeStatus.Up);

            long? stickyId = stickiness switch
            {
                "table" when client is not null && _stickyTable.TryGetValue(client, out var id) => id,
                "http_cookie" => cookieNode,
                _ => null,
            };
            if (stickyId is { } sticky
                && Array.Find(nodes, n => n.NodeId == sticky) is { } remembered
                && exclude?.Contains(remembered.NodeId) != true
                && StickyUsable(remembered, anyAcceptUp))
            {
                remembered.Begin();
                return remembered;
            }

            var pool = nodes.Where(n => n.Mode == NodeMode.Accept && n.Status == NodeStatus.Up
                                        && exclude?.Contains(n.NodeId) != true).ToList();
            if (pool.Count == 0)
            {
                // Backups serve only while no accept node is UP at all (not merely excluded by a retry).
                pool = anyAcceptUp
                    ? []
                    : nodes.Where(n => n.Mode == NodeMode.Backup && n.Status == NodeStatus.Up
                                       && exclude?.Contains(n.NodeId) != true).ToList();
            }

            if (pool.Count == 0)
            {
                return null;
            }

            var chosen = spec.Algorithm.ToLowerInvariant() switch
            {
                "leastconn" => LeastConnections(pool),
                "source" when client is not null => SourceHash(pool, client),
                _ => WeightedRoundRobin(pool),
            };

            if (stickiness == "table" && client is not null)
            {
                if (_stickyTable.Count >= StickyTableLimit)
                {
                    _stickyTable.Clear();
                }

                _stickyTable[client] = chosen.NodeId;
            }

            newSticky = stickiness == "http_cookie" && cookieNode != chosen.NodeId;
            chosen.Begin();
            return chosen;
        }
    }

    // Sticky clients keep a draining node; a backup only while it is in service (no accept node UP).
    private static bool StickyUsable(BalancerNodeState node, bool anyAcceptUp) =>
        node.Status == NodeStatus.Up && node.Mode switch
        {
            NodeMode.Accept or NodeMode.Drain => true,
            NodeMode.Backup => !anyAcceptUp,
            _ => false,
        };

    // nginx's smooth weighted round robin: exact proportions, interleaved (3:1 gives a a b a, not a a a b).
    private static BalancerNodeState WeightedRoundRobin(List<BalancerNodeState> pool)
    {
        long total = 0;
        BalancerNodeState? best = null;
        foreach (var node in pool)
        {
            node.CurrentWeight += node.Weight;
            total += node.Weight;
            if (best is null || node.CurrentWeight > best.CurrentWeight)
            {
                best = node;
            }
        }

        best!.CurrentWeight -= total;
        return best;
    }

    private BalancerNodeState LeastConnections(List<BalancerNodeState> pool)
    {
        var fewest = pool.Min(n => n.InFlight);
        var tied = pool.Where(n => n.InFlight == fewest).ToList();
        var heaviest = tied.Max(n => n.Weight);
        tied = tied.Where(n => n.Weight == heaviest).ToList();
        return tied[(int)(_rr++ % tied.Count)];
    }

    // Weighted rendezvous hashing: a client keeps its node while that node stays in the pool, and only the clients
    // of a node that leaves are moved.
    private static BalancerNodeState SourceHash(List<BalancerNodeState> pool, IPAddress client)
    {
        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        BalancerNodeState? best = null;
        var bestScore = double.NegativeInfinity;
        foreach (var node in pool)
        {
            var hash = Mix(Fnv1a(bytes[..length], node.NodeId));
            var unit = ((hash >> 11) + 0.5) / (1UL << 53);
            var score = node.Weight / -Math.Log(unit);
            if (score > bestScore)
            {
                (best, bestScore) = (node, score);
            }
        }

        return best!;
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> data, long salt)
    {
        var hash = 14695981039346656037UL;
        Span<byte> saltBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(saltBytes, salt);
        foreach (var b in data)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        foreach (var b in saltBytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }

    // ---- HTTP forwarding -------------------------------------------------------------------------------------

    private async Task ForwardHttpAsync(HttpContext context)
    {
        var client = context.Connection.RemoteIpAddress;
        long? cookieNode = context.Request.Cookies.TryGetValue(CookieName, out var cookie)
                           && long.TryParse(cookie, out var parsed) ? parsed : null;
        var retriable = context.Request.ContentLength is null or 0
                        && !context.Request.Headers.ContainsKey("Transfer-Encoding")
                        && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method));
        HashSet<long>? tried = null;
        while (true)
        {
            var node = Choose(client, cookieNode, tried, out var newSticky);
            if (node is null)
            {
                await WriteNoServerAsync(context);
                return;
            }

            context.Items[CookieItem] = newSticky ? node.NodeId : null;
            ForwarderError error;
            try
            {
                error = await _forwarder.SendAsync(context, node.DestinationPrefix, _invoker, RequestConfig,
                    _transformer);
            }
            finally
            {
                node.End();
            }

            var failed = error is not ForwarderError.None and not ForwarderError.RequestCanceled
                             and not ForwarderError.RequestBodyClient and not ForwarderError.ResponseBodyClient
                             and not ForwarderError.RequestBodyCanceled and not ForwarderError.ResponseBodyCanceled
                         || (error == ForwarderError.None && context.Response.StatusCode >= 500);
            RecordPassive(node, failed);

            // Nothing reached the backend and nothing went to the client yet: try another node once.
            if (error == ForwarderError.Request && retriable && !context.Response.HasStarted && tried is null)
            {
                tried = [node.NodeId];
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.Headers.Clear();
                continue;
            }

            return;
        }
    }

    private static async Task WriteNoServerAsync(HttpContext context)
    {
        var body = Encoding.ASCII.GetBytes(NoServerPage);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/html";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.Connection = "close";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private void RecordPassive(BalancerNodeState node, bool failed)
    {
        var spec = Spec;
        if (!spec.CheckPassive)
        {
            return;
        }

        if (failed)
        {
            node.CountPassiveFailure();
            ApplyResult(node, false, "passive check: request failed");
        }
        else if (Volatile.Read(ref node.Failures) != 0)
        {
            lock (_gate)
            {
                node.Failures = 0;
            }
        }
    }

    /// <summary>Adds X-Forwarded-For/Proto, keeps the client's Host, and sets the stickiness cookie.</summary>
    private sealed class BalancerTransformer : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(
            HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
            CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            var client = httpContext.Connection.RemoteIpAddress;
            if (client is not null)
            {
                var address = (client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client).ToString();
                var existing = httpContext.Request.Headers["X-Forwarded-For"].ToString();
                proxyRequest.Headers.Remove("X-Forwarded-For");
                proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For",
                    existing.Length == 0 ? address : $"{existing}, {address}");
            }

            proxyRequest.Headers.Remove("X-Forwarded-Proto");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            proxyRequest.Headers.Host = httpContext.Request.Host.HasValue ? httpContext.Request.Host.Value : null;
        }

        public override async ValueTask<bool> TransformResponseAsync(
            HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            if (proxyResponse is not null && httpContext.Items[CookieItem] is long nodeId)
            {
                httpContext.Response.Headers.Append("Set-Cookie", $"{CookieName}={nodeId}; path=/");
            }

            return proceed;
        }
    }

    // ---- TCP forwarding --------------------------------------------------------------------------------------

    private async Task ForwardTcpAsync(ConnectionContext connection)
    {
        var client = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        HashSet<long>? tried = null;
        while (true)
        {
            var node = Choose(client, null, tried, out _);
            if (node is null)
            {
                return;
            }

            using var backend = new Socket(node.Backend.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                try
                {
                    using var connect = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
                    connect.CancelAfter(TimeSpan.FromSeconds(5));
                    await backend.ConnectAsync(node.Backend, connect.Token);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    RecordPassive(node, true);
                    if (tried is null)
                    {
                        tried = [node.NodeId];
                        continue;
                    }

                    return;
                }

                RecordPassive(node, false);
                await using var stream = new NetworkStream(backend, ownsSocket: false);
                var up = PumpAsync(connection.Transport.Input, stream, backend);
                var down = stream.CopyToAsync(connection.Transport.Output.AsStream(leaveOpen: true));
                if (await Task.WhenAny(up, down) == down)
                {
                    // The backend closed: stop reading the client so the connection can close too. (When the client
                    // closes first, its half-close went on to the backend and the response still flows back.)
                    connection.Transport.Input.CancelPendingRead();
                }

                await Quiet(up);
                await Quiet(down);
            }
            finally
            {
                node.End();
            }

            return;
        }
    }

    private static async Task PumpAsync(PipeReader input, NetworkStream stream, Socket backend)
    {
        await input.CopyToAsync(stream);
        backend.Shutdown(SocketShutdown.Send);
    }

    private static async Task Quiet(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException
                                      or OperationCanceledException or ConnectionResetException)
        {
        }
    }

    // ---- active health checks --------------------------------------------------------------------------------

    private void RestartChecks()
    {
        var previous = _checksStop;
        var previousTask = _checks;
        previous?.Cancel();
        var stop = new CancellationTokenSource();
        _checksStop = stop;
        _checks = Task.Run(async () =>
        {
            // One loop at a time: the old one is cancelled and finishes before the new one checks.
            await Quiet(previousTask);
            previous?.Dispose();
            await CheckLoopAsync(stop.Token);
        });
    }

    private async Task StopChecksAsync()
    {
        var stop = _checksStop;
        _checksStop = null;
        stop?.Cancel();
        await Quiet(_checks);
        stop?.Dispose();
    }

    private async Task CheckLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await CheckRoundAsync(cancellationToken);
                var interval = TimeSpan.FromSeconds(Math.Max(1, Spec.CheckIntervalSeconds));
                var wait = Task.Delay(interval, _time, cancellationToken);
                Interlocked.Increment(ref _rounds);
                await wait;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task CheckRoundAsync(CancellationToken cancellationToken)
    {
        var spec = Spec;
        var nodes = Volatile.Read(ref _nodes);
        var check = spec.Check.ToLowerInvariant();
        var results = await Task.WhenAll(nodes.Select(n => CheckAsync(n, spec, check, cancellationToken)));
        cancellationToken.ThrowIfCancellationRequested();
        for (var i = 0; i < nodes.Length; i++)
        {
            ApplyResult(nodes[i], results[i].Ok, results[i].Reason);
        }
    }

    private async Task<(bool Ok, string Reason)> CheckAsync(
        BalancerNodeState node, BalancerConfigSpec spec, string check, CancellationToken cancellationToken)
    {
        if (check is not ("connection" or "http" or "http_body"))
        {
            return (true, "no active check");
        }

        var timeout = TimeSpan.FromSeconds(Math.Max(1, spec.CheckTimeoutSeconds));
        using var clock = new CancellationTokenSource(timeout, _time);

        // check_timeout runs on the injected clock; this real-time net only keeps a check from hanging forever when
        // that clock is a test's and nobody advances it.
        using var wall = new CancellationTokenSource(timeout + TimeSpan.FromSeconds(30));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, clock.Token, wall.Token);
        try
        {
            if (check == "connection")
            {
                using var socket = new Socket(node.Backend.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(node.Backend, linked.Token);
                return (true, "connected");
            }

            var path = string.IsNullOrEmpty(spec.CheckPath) ? "/" : spec.CheckPath;
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{node.Backend}{(path.StartsWith('/') ? path : "/" + path)}"));
            request.Headers.ConnectionClose = true;
            using var response = await _checkClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            if (check == "http")
            {
                return status is >= 200 and < 400 ? (true, $"HTTP {status}") : (false, $"HTTP {status}");
            }

            var body = await ReadStartAsync(response, linked.Token);
            Regex? regex;
            lock (_gate)
            {
                regex = _checkBody;
            }

            return regex is not null && regex.IsMatch(body)
                ? (true, "body matches")
                : (false, $"HTTP {status}, body does not match");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, "timed out");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or RegexMatchTimeoutException)
        {
            return (false, e.Message);
        }
    }

    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[CheckBodyBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private void ApplyResult(BalancerNodeState node, bool ok, string reason)
    {
        string? changedTo = null;
        var spec = Spec;
        lock (_gate)
        {
            if (ok)
            {
                node.Failures = 0;
                if (node.Status != NodeStatus.Up)
                {
                    node.Status = changedTo = NodeStatus.Up;
                }
            }
            else
            {
                node.Failures++;
                if (node.Failures >= Math.Max(1, spec.CheckAttempts) && node.Status != NodeStatus.Down)
                {
                    node.Status = changedTo = NodeStatus.Down;
                }
            }
        }

        if (changedTo is not null)
        {
            LogNodeStatus(_logger, spec.NodeBalancerId, spec.ConfigId, spec.Port, node.NodeId,
                node.Backend.ToString(), changedTo, reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "NodeBalancer {NodeBalancerId} config {ConfigId} (port {Port}): node {NodeId} ({Backend}) is {Status}: {Reason}")]
    private static partial void LogNodeStatus(ILogger logger, long nodeBalancerId, long configId, int port,
        long nodeId, string backend, string status, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "NodeBalancer {NodeBalancerId} config {ConfigId}: check_body is not a valid regular expression; http_body checks fail")]
    private static partial void LogBadCheckBody(ILogger logger, long nodeBalancerId, long configId);
}

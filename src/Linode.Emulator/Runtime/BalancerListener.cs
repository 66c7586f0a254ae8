using System.Net;
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
            kept.Blocked = n.Blocked;
            return kept;
        }).ToArray();

        // Linode stops health-checking a node in reject mode and shows it DOWN (backends guide); it comes back
        // through the checks once it leaves reject mode.
        foreach (var rejected in nodes.Where(n => n.Mode == NodeMode.Reject))
        {
            rejected.Status = NodeStatus.Down;
            rejected.Failures = 0;
        }

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
}

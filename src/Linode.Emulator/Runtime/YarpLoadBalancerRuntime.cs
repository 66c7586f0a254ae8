using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Linode.Emulator.Runtime;

/// <summary>
/// Runs NodeBalancer configs as YARP listeners with active health checks: one Kestrel listener per config on the
/// NodeBalancer's loopback address and the config's port. See <see cref="BalancerListener"/> for the health and
/// routing semantics.
/// </summary>
public sealed class YarpLoadBalancerRuntime : ILoadBalancerRuntime
{
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ServiceProvider _services;
    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _invoker;
    private readonly HttpClient _checkClient;
    private readonly ConcurrentDictionary<long, BalancerListener> _listeners = new();
    private readonly SemaphoreSlim _changes = new(1, 1);
    private int _disposed;

    public YarpLoadBalancerRuntime(TimeProvider time, ILoggerFactory loggerFactory)
    {
        _time = time;
        _loggerFactory = loggerFactory;
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddHttpForwarder();
        _services = services.BuildServiceProvider();
        _forwarder = _services.GetRequiredService<IHttpForwarder>();

        // Backends are loopback addresses: never a proxy, never cookies of our own, no decompression; the client's
        // own headers pass through untouched.
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
        });
        _checkClient = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.Zero,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public async Task ApplyAsync(BalancerConfigSpec spec, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (_listeners.TryGetValue(spec.ConfigId, out var current))
            {
                if (current.Spec.ListenAddress.Equals(spec.ListenAddress) && current.Spec.Port == spec.Port)
                {
                    current.Update(spec);
                    return;
                }

                // Bind the new endpoint first, so a failure leaves the old listener serving.
                var moved = NewListener(spec);
                moved.AdoptState(current);
                await StartOrDisposeAsync(moved, cancellationToken);
                _listeners[spec.ConfigId] = moved;
                await current.DisposeAsync();
                return;
            }

            var listener = NewListener(spec);
            await StartOrDisposeAsync(listener, cancellationToken);
            _listeners[spec.ConfigId] = listener;
        }
        finally
        {
            _changes.Release();
        }
    }

    public async Task RemoveAsync(long configId, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (_listeners.TryRemove(configId, out var listener))
            {
                await listener.DisposeAsync();
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    public string GetNodeStatus(long configId, long nodeId) =>
        _listeners.TryGetValue(configId, out var listener) ? listener.GetNodeStatus(nodeId) : NodeStatus.Unknown;

    /// <summary>Traffic and health counters of one node (null when the config or node is unknown).</summary>
    internal NodeCounters? GetNodeCounters(long configId, long nodeId) =>
        _listeners.TryGetValue(configId, out var listener) ? listener.GetNodeCounters(nodeId) : null;

    /// <summary>Health-check rounds the config has begun (see <see cref="BalancerListener.CheckRounds"/>).</summary>
    internal long CheckRounds(long configId) =>
        _listeners.TryGetValue(configId, out var listener) ? listener.CheckRounds : 0;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _changes.WaitAsync();
        try
        {
            await Task.WhenAll(_listeners.Values.Select(l => l.DisposeAsync().AsTask()));
            _listeners.Clear();
        }
        finally
        {
            _changes.Release();
        }

        _invoker.Dispose();
        _checkClient.Dispose();
        await _services.DisposeAsync();
        _changes.Dispose();
    }

    private BalancerListener NewListener(BalancerConfigSpec spec) =>
        new(spec, _time, _loggerFactory, _forwarder, _invoker, _checkClient);

    private static async Task StartOrDisposeAsync(BalancerListener listener, CancellationToken cancellationToken)
    {
        try
        {
            await listener.StartAsync(cancellationToken);
        }
        catch
        {
            await listener.DisposeAsync();
            throw;
        }
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workload;

namespace Linode.Emulator.Runtime;

/// <summary>
/// Runs each emulated instance inside the emulator process: the Workload's app (<c>/</c>, <c>/health</c> on 8080) and
/// node_exporter-style metrics (9100) listening on the instance's public loopback address and on the one standing
/// for its private IPv4, served by the Workload's own model (<see cref="WorkloadHandler"/>: virtual CPUs, CPU seconds
/// per vCPU, queue and 503), so Prometheus' rules and the NodeBalancer see the same instance as with processes.
/// </summary>
/// <remarks>
/// Why one Kestrel server fed by raw listening sockets (measured on the 2-core machine: 1,000 instances, each on two
/// addresses and two ports, so 4,000 listening sockets, start in 4.6 s and add 34 MiB, 36 threads in the whole
/// process; docs/emulator-api.md). The alternatives, not measured: a Kestrel server per instance (the Workload's own
/// host, in process) carries a DI container, hosting, logging and timers per instance and tens of milliseconds of
/// start-up CPU, which a fleet's boots would queue behind; a hand-written HTTP parser on raw sockets would be smaller
/// still but a second HTTP implementation to get right (keep-alive, pipelining, HEAD, bodies). One Kestrel server
/// cannot add listen addresses while it runs, so the runtime owns the listening sockets (one pending accept each: no
/// thread per instance) and hands accepted connections to the server through
/// <see cref="InstanceConnectionListener"/>: Kestrel's HTTP for every instance, four sockets and a small model each.
/// </remarks>
public sealed partial class LightweightInstanceRuntime : IInstanceRuntime
{
    /// <summary>Where an instance's app listens, as the Workload does.</summary>
    public const int AppPort = 8080;

    /// <summary>Where an instance's node_exporter-style metrics listen.</summary>
    public const int MetricsPort = 9100;

    // What a Workload process holds beyond the machine's base (its working set): the figure the virtual machine
    // reports as the app's memory, since an in-process instance has no working set of its own.
    private const long AppBytes = 40L * 1024 * 1024;

    private readonly InstanceRuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, LightInstance> _instances = new();
    // Both of an instance's addresses → the instance: the handler tells instances apart by the local address.
    private readonly ConcurrentDictionary<IPAddress, LightInstance> _byAddress = new();
    private readonly InstanceConnectionListener _listener = new();
    private readonly SemaphoreSlim _serverStart = new(1, 1);
    private SocketConnectionContextFactory? _connections;
    private WebApplication? _server;
    private int _disposed;

    public LightweightInstanceRuntime(InstanceRuntimeOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<LightweightInstanceRuntime>();
    }

    public event Action<long>? ProcessExited;

    /// <summary>Instances serving now.</summary>
    public int Count => _instances.Count;

    public async Task StartAsync(InstanceProcessSpec spec, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_instances.ContainsKey(spec.LinodeId))
        {
            throw new InvalidOperationException($"instance {spec.LinodeId} already runs");
        }

        await EnsureServerAsync(cancellationToken);
        var memoryMb = spec.Environment.TryGetValue("LINODE_RAM", out var ram)
            && int.TryParse(ram, NumberStyles.None, CultureInfo.InvariantCulture, out var mb) && mb > 0
                ? mb
                : 2048 * Math.Max(1, spec.Vcpus);
        var handler = new WorkloadHandler(Math.Max(1, spec.Vcpus), _options.Queue, CpuMode.Virtual, _options.WorkMs,
            (long)memoryMb * 1024 * 1024, spec.Label, _time, static () => AppBytes);
        var instance = new LightInstance(spec, handler);
        var addresses = spec.PrivateAddress is { } p && !p.Equals(spec.Address) ? new[] { spec.Address, p } : [spec.Address];
        try
        {
            foreach (var address in addresses)
            {
                foreach (var port in new[] { AppPort, MetricsPort })
                {
                    instance.Sockets.Add(Bind(new IPEndPoint(address, port)));
                }
            }
        }
        catch (SocketException e)
        {
            instance.Close();
            throw new InstanceBootException(
                $"instance {spec.LinodeId} ({spec.Label}): cannot listen on {spec.Address}: {e.Message}", e);
        }

        _instances[spec.LinodeId] = instance;
        foreach (var address in addresses)
        {
            _byAddress[address] = instance;
        }

        foreach (var socket in instance.Sockets)
        {
            _ = AcceptLoopAsync(instance, socket);
        }

        LogStarted(_logger, spec.LinodeId, spec.Label, spec.Address.ToString());
    }

    public Task StopAsync(long linodeId, CancellationToken cancellationToken)
    {
        if (Remove(linodeId) is { } instance)
        {
            LogStopped(_logger, linodeId, instance.Spec.Label);
        }

        return Task.CompletedTask;
    }

    public bool IsRunning(long linodeId) => _instances.ContainsKey(linodeId);

    public bool Kill(long linodeId)
    {
        if (Remove(linodeId) is null)
        {
            return false;
        }

        // As a killed process's exit is: reported later, on another thread, never inside the caller's own locks.
        _ = Task.Run(() =>
        {
            LogKilled(_logger, linodeId);
            try
            {
                ProcessExited?.Invoke(linodeId);
            }
            catch (Exception e)
            {
                LogSubscriberFailed(_logger, linodeId, e);
            }
        });
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var id in _instances.Keys.ToList())
        {
            Remove(id);
        }

        if (_server is { } server)
        {
            try
            {
                await server.StopAsync(CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
            }

            await server.DisposeAsync();
        }

        await _listener.DisposeAsync();
        _connections?.Dispose();
        _serverStart.Dispose();
    }

    private LightInstance? Remove(long linodeId)
    {
        if (!_instances.TryRemove(linodeId, out var instance))
        {
            return null;
        }

        _byAddress.TryRemove(new KeyValuePair<IPAddress, LightInstance>(instance.Spec.Address, instance));
        if (instance.Spec.PrivateAddress is { } p)
        {
            _byAddress.TryRemove(new KeyValuePair<IPAddress, LightInstance>(p, instance));
        }

        instance.Close();
        return instance;
    }

    private static Socket Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // An instance rebooted (or an address reused) must bind again at once, past connections in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(512);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(LightInstance instance, Socket listening)
    {
        while (!instance.Closed.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listening.AcceptAsync(instance.Closed.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            accepted.NoDelay = true;
            var connection = _connections!.Create(accepted);
            if (!instance.Track(connection) || !_listener.Offer(connection))
            {
                // Stopped in between: the connection dies as one to a stopped machine would.
                await connection.DisposeAsync();
            }
        }
    }

    private async Task EnsureServerAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _server) is not null)
        {
            return;
        }

        await _serverStart.WaitAsync(cancellationToken);
        try
        {
            if (_server is not null)
            {
                return;
            }

            _connections = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(),
                _loggerFactory.CreateLogger<SocketConnectionContextFactory>());
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(LightweightInstanceRuntime).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Services.AddSingleton<IConnectionListenerFactory>(_listener);
            builder.Services.AddSingleton(_loggerFactory);
            builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            // A request on a virtual CPU finishes its work even when its connection is cut (as a real handler would);
            // at disposal every instance is already gone, so the server does not wait long for such stragglers.
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Listen(_listener.EndPoint);
            });
            var app = builder.Build();
            app.Run(HandleAsync);
            await app.StartAsync(cancellationToken);
            Volatile.Write(ref _server, app);
        }
        finally
        {
            _serverStart.Release();
        }
    }

    private Task HandleAsync(HttpContext context)
    {
        if (context.Connection.LocalIpAddress is not { } local
            || !_byAddress.TryGetValue(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local, out var instance))
        {
            // The instance stopped while this connection was open.
            context.Abort();
            return Task.CompletedTask;
        }

        return context.Connection.LocalPort == MetricsPort
            ? instance.Handler.HandleMetricsAsync(context)
            : instance.Handler.HandleAppAsync(context);
    }

    /// <summary>One instance: its listening sockets, the connections they accepted, and its Workload model.</summary>
    private sealed class LightInstance(InstanceProcessSpec spec, WorkloadHandler handler)
    {
        private readonly HashSet<ConnectionContext> _open = [];
        private bool _closed;

        public InstanceProcessSpec Spec { get; } = spec;

        public WorkloadHandler Handler { get; } = handler;

        public List<Socket> Sockets { get; } = [];

        public CancellationTokenSource Closed { get; } = new();

        /// <summary>Remembers an open connection, so a stop can cut it; false when the instance is already stopped.</summary>
        public bool Track(ConnectionContext connection)
        {
            lock (_open)
            {
                if (_closed)
                {
                    return false;
                }

                _open.Add(connection);
            }

            connection.ConnectionClosed.Register(() =>
            {
                lock (_open)
                {
                    _open.Remove(connection);
                }
            });
            return true;
        }

        /// <summary>The machine is gone: nothing listens, open connections are reset, its model stops.</summary>
        public void Close()
        {
            List<ConnectionContext> open;
            lock (_open)
            {
                if (_closed)
                {
                    return;
                }

                _closed = true;
                open = [.. _open];
                _open.Clear();
            }

            Closed.Cancel();
            foreach (var socket in Sockets)
            {
                socket.Dispose();
            }

            foreach (var connection in open)
            {
                connection.Abort(new ConnectionAbortedException("the instance stopped"));
            }

            Handler.Dispose();
            Closed.Dispose();
        }
    }
}

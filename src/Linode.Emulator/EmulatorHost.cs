using Linode.Emulator.Api;
using Linode.Emulator.Catalog;
using Linode.Emulator.Faults;
using Linode.Emulator.Runtime;
using Linode.Emulator.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Linode.Emulator;

/// <summary>
/// The Linode API v4 emulator, in process: <c>await using var host = await EmulatorHost.StartAsync(options);</c>,
/// then talk to <c>host.BaseAddress + "v4/"</c>. Disposing stops the web host, then every instance process and every
/// load balancer listener, so nothing outlives it.
/// </summary>
public sealed partial class EmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly InstanceLifecycle _lifecycle;
    private readonly BalancerSync _balancers;
    private readonly IInstanceRuntime _instances;
    private readonly ILoadBalancerRuntime _loadBalancers;
    private readonly bool _ownsInstances;
    private readonly bool _ownsLoadBalancers;
    private readonly ILogger _logger;
    private int _disposed;

    private EmulatorHost(WebApplication app, Uri baseAddress, InstanceLifecycle lifecycle, BalancerSync balancers,
        IInstanceRuntime instances, bool ownsInstances, ILoadBalancerRuntime loadBalancers, bool ownsLoadBalancers, ILogger logger)
    {
        _app = app;
        BaseAddress = baseAddress;
        _lifecycle = lifecycle;
        _balancers = balancers;
        _instances = instances;
        _ownsInstances = ownsInstances;
        _loadBalancers = loadBalancers;
        _ownsLoadBalancers = ownsLoadBalancers;
        _logger = logger;
    }

    /// <summary><c>http://127.0.0.1:PORT/</c>; the API is at <c>BaseAddress + "v4/"</c> (and "v4beta/"), the
    /// emulator's controls at <c>BaseAddress + "admin/"</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Validates the options (throwing with every problem listed), then starts listening.</summary>
    public static async Task<EmulatorHost> StartAsync(EmulatorOptions options, EmulatorServices? services = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid emulator options:" + Environment.NewLine + string.Join(Environment.NewLine, errors),
                nameof(options));
        }
        if (!EmulatorOptions.TryParseListen(options.Listen, out var endpoint, out var listenError))
        {
            throw new ArgumentException("listen: " + listenError, nameof(options));
        }

        var time = services?.Time ?? TimeProvider.System;
        var loggerFactory = services?.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Linode.Emulator");
        var ownsInstances = services?.Instances is null;
        var instances = services?.Instances ?? (options.Runtime.Kind == InstanceRuntimeKind.Lightweight
            ? new LightweightInstanceRuntime(options.Runtime, time, loggerFactory)
            : new ProcessInstanceRuntime(options.Runtime, loggerFactory.CreateLogger<ProcessInstanceRuntime>()));
        var ownsLoadBalancers = services?.Balancers is null;
        var loadBalancers = services?.Balancers ?? new YarpLoadBalancerRuntime(time, loggerFactory);

        var state = new EmulatorState(new LinodeCatalog(options.PrivateImages, Json.Timestamp(time.GetUtcNow())), time, options);
        var faults = new FaultState(options.Faults);
        var lifecycle = new InstanceLifecycle(state, instances, options.Delays, faults, logger);
        var balancers = new BalancerSync(state, loadBalancers, logger, options.Delays);
        var api = new ApiContext
        {
            State = state,
            Lifecycle = lifecycle,
            Balancers = balancers,
            NodeBalancers = new NodeBalancerLifecycle(state, balancers),
            Faults = faults,
            Limiter = new RateLimiter(options.RateLimits, time),
            Instances = instances,
            Tokens = new TokenBook(options),
            Logger = logger,
        };

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(EmulatorHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endpoint!);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));

        var app = builder.Build();
        app.UseApi(api);
        app.MapCatalog(api);
        app.MapInstances(api);
        app.MapNodeBalancers(api);
        app.MapFirewalls(api);
        app.MapAccount(api);
        app.MapTools(api);
        app.MapAdmin(api);

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            await lifecycle.StopAllAsync();
            balancers.Dispose();
            if (ownsInstances)
            {
                await instances.DisposeAsync();
            }
            if (ownsLoadBalancers)
            {
                await loadBalancers.DisposeAsync();
            }
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        var baseAddress = new Uri(address.TrimEnd('/') + "/");
        LogListening(logger, baseAddress);
        return new EmulatorHost(app, baseAddress, lifecycle, balancers, instances, ownsInstances, loadBalancers, ownsLoadBalancers, logger);
    }

    /// <summary>Stops the API, then every instance process, then every load balancer listener.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _lifecycle.StopAllAsync();
        await _balancers.RemoveAllAsync();
        _balancers.Dispose();
        foreach (var (owned, runtime) in new (bool, IAsyncDisposable)[] { (_ownsInstances, _instances), (_ownsLoadBalancers, _loadBalancers) })
        {
            if (!owned)
            {
                continue;
            }
            try
            {
                await runtime.DisposeAsync();
            }
            catch (Exception e)
            {
                LogDisposeFailed(_logger, e);
            }
        }
        // Another emulator of this process may now use these loopback addresses.
        lock (_lifecycle.State.Gate)
        {
            _lifecycle.State.InstancePool.ReleaseAll();
            _lifecycle.State.NodeBalancerPool.ReleaseAll();
            _lifecycle.State.PrivateLoopbackPool.ReleaseAll();
        }
    }
}

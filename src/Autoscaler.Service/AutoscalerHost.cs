using System.Diagnostics.Metrics;
using System.Net;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Providers;
using Autoscaler.Service.Api;
using Autoscaler.Service.Commands;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Dashboard;
using Autoscaler.Service.Engine;
using Autoscaler.Service.Ha;
using Autoscaler.Service.Logging;
using Autoscaler.Service.Metrics;
using Autoscaler.Service.Security;
using Autoscaler.Service.Signals;
using Autoscaler.Service.Storage;
using Autoscaler.Service.Webhook;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autoscaler.Service;

/// <summary>What the service runs on; anything left null gets the real one. Tests swap the clock, the provider, the
/// Prometheus transport and the Linode client's retry pacing here.</summary>
public sealed class AutoscalerServices
{
    /// <summary>The clock of the engine, the loop, the alert store and the journal.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>Where everything logs.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Builds each pool's instance pool instead of its provider (no provider is asked then).</summary>
    public Func<PoolConfig, IInstancePool>? InstancePools { get; init; }

    /// <summary>The providers that build the pools, found by the name in each pool's settings. Default
    /// <see cref="ServiceSchema.DefaultProviders"/>; tests register a <see cref="Linode.Provider.LinodeProvider"/> with
    /// their own handler and retry pacing here.</summary>
    public ProviderKinds? Providers { get; init; }

    /// <summary>Transport of the Prometheus metric source (default: a SocketsHttpHandler).</summary>
    public HttpMessageHandler? PrometheusHandler { get; init; }

    /// <summary>Time allowed for one Prometheus query. Default 10 s.</summary>
    public TimeSpan? PrometheusTimeout { get; init; }

    /// <summary>Caps of the audit tables.</summary>
    public SqliteStoreOptions? Store { get; init; }
}

/// <summary>
/// The autoscaler service, in process: <c>await using var host = await AutoscalerHost.StartAsync(config);</c>. It
/// opens the SQLite journal, builds every pool's provider (resolving NodeBalancers), starts Kestrel on
/// <c>listen</c> with the webhook and the API, and runs the engine loop. Disposing stops the listener and the loop and
/// closes the journal; nothing it started outlives it. Cloud work in flight is cancelled and resumed by the next start
/// from the journal.
/// </summary>
public sealed partial class AutoscalerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<IDisposable> _owned;
    private readonly ILogger _logger;
    private readonly CommandDispatcher? _commands;
    private int _disposed;

    private AutoscalerHost(WebApplication app, Uri baseAddress, AutoscalerConfig config, ScalingEngine engine, EngineLoop loop,
        AlertStateStore alerts, IAutoscalerStore store, ServiceMetrics metrics, EngineNudger nudger, List<IDisposable> owned, ILogger logger,
        CommandDispatcher? commands)
    {
        _app = app;
        _logger = logger;
        _commands = commands;
        BaseAddress = baseAddress;
        Config = config;
        Engine = engine;
        Loop = loop;
        Alerts = alerts;
        Store = store;
        Metrics = metrics;
        Nudger = nudger;
        _owned = owned;
    }

    /// <summary><c>http://HOST:PORT/</c> as bound (the real port when <c>listen</c> asks for port 0).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The configuration it runs.</summary>
    public AutoscalerConfig Config { get; }

    /// <summary>The engine.</summary>
    public ScalingEngine Engine { get; }

    /// <summary>The evaluation loop.</summary>
    public EngineLoop Loop { get; }

    /// <summary>Alert state fed by the webhook.</summary>
    public AlertStateStore Alerts { get; }

    /// <summary>The journal and audit trail (SQLite, or PostgreSQL with <c>journal.url</c>).</summary>
    public IAutoscalerStore Store { get; }

    /// <summary>/metrics.</summary>
    public ServiceMetrics Metrics { get; }

    /// <summary>The leader election, with a PostgreSQL journal (null with SQLite: the replica always acts).</summary>
    public LeaderElector? Elector { get; private init; }

    /// <summary>Completes when this replica loses the leader lease it held (never with SQLite); <c>serve</c> exits
    /// then, so its supervisor restarts it as a standby.</summary>
    public Task Deposed => Elector?.Deposed ?? Task.Delay(Timeout.Infinite);

    /// <summary>Out-of-interval evaluation requests.</summary>
    public EngineNudger Nudger { get; }

    /// <summary>Completes when the host stops (e.g. on SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Builds everything and starts listening. Throws a <see cref="ProviderSetupException"/> listing every
    /// pool problem (missing NodeBalancer, unknown region…), <see cref="ArgumentException"/> for a bad listen address or TLS files
    /// that cannot be used (the message names the setting and the file).</summary>
    public static async Task<AutoscalerHost> StartAsync(AutoscalerConfig config, AutoscalerServices? services = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        services ??= new AutoscalerServices();
        var endpoint = ParseListen(config.Listen);
        var time = services.Time ?? TimeProvider.System;
        // Every value logged by the service and its providers has its control characters escaped: one event, one line.
        var loggerFactory = new EscapingLoggerFactory(services.LoggerFactory ?? NullLoggerFactory.Instance);
        var logger = loggerFactory.CreateLogger<AutoscalerHost>();
        if (config.Webhook.Auth is null && !IPAddress.IsLoopback(endpoint.Address))
        {
            throw new ArgumentException($"listen {config.Listen} is reachable from other machines and webhook.auth is not set: "
                + "set webhook.auth (and api.auth for writes), or listen on 127.0.0.1", nameof(config));
        }

        LogConfiguration(logger, new VerbatimLogText(config.Describe()));

        var owned = new List<IDisposable>();
        try
        {
            // First, so a bad TLS file stops the start before any cloud call (a NodeBalancer may be created below).
            var certificate = config.Tls is { } tlsConfig
                ? new TlsCertificateReloader(tlsConfig, time, loggerFactory.CreateLogger<TlsCertificateReloader>())
                : null;
            if (certificate is not null)
            {
                owned.Add(certificate);
            }

            var meterFactory = new ScopedMeterFactory();
            owned.Add(meterFactory);
            var metrics = new ServiceMetrics(meterFactory);
            owned.Add(metrics);
            metrics.InitialisePools(config.Pools);
            IAutoscalerStore store = config.Journal.Url is { } url
                ? await PostgresStore.OpenAsync(url.Reveal(), time, services.Store, cancellationToken).ConfigureAwait(false)
                : SqliteStore.Open(config.Journal.Path, time, services.Store);
            owned.Add(store);
            LogJournal(logger, store.Location);
            EngineLoop? loopRef = null;
            var elector = store is PostgresStore shared
                ? new LeaderElector(new LeaderLease(shared, LeaderLease.NewHolderId(), config.Journal.Lease), () => loopRef!, time, metrics.Registry,
                    loggerFactory.CreateLogger<LeaderElector>())
                : null;
            if (elector is not null)
            {
                // Journal writes under the lease: a deposed leader's write is refused by the database itself.
                ((PostgresStore)store).Fence = () => elector.Token;
            }

            IReadOnlyList<IInstancePool> pools;
            if (services.InstancePools is { } make)
            {
                pools = config.Pools.Select(make).ToArray();
            }
            else
            {
                var setup = new ProviderContext { Config = config, Time = time, LoggerFactory = loggerFactory, MeterFactory = meterFactory };
                try
                {
                    pools = await (services.Providers ?? ServiceSchema.DefaultProviders).CreatePoolsAsync(config, setup, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    owned.AddRange(setup.Owned);
                }
            }

            if (elector is not null)
            {
                pools = pools.Select(p => (IInstancePool)new FencedInstancePool(p, elector)).ToArray();
            }

            var alerts = new AlertStateStore(time, AlertStoreOptions.For(config));
#pragma warning disable CA2000 // Owned by the HttpClient, which is disposed with the host.
            var promHttp = new HttpClient(services.PrometheusHandler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: services.PrometheusHandler is null)
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
#pragma warning restore CA2000
            owned.Add(promHttp);
            var metricSource = new PrometheusMetricSource(promHttp, services.PrometheusTimeout, metrics.MetricMissing);
            var audit = new AuditTrail(store, metrics, loggerFactory.CreateLogger<AuditTrail>());
            var engine = new ScalingEngine(
                config.Pools.Zip(pools, (c, p) => new ScalingPool(c, p)),
                new EngineServices
                {
                    Time = time,
                    Journal = store,
                    DecisionLog = audit,
                    Alerts = alerts,
                    Metrics = metricSource,
                    History = new PrometheusLoadHistory(promHttp),
                    DryRun = config.Engine.DryRun,
                    LoggerFactory = loggerFactory,
                    // Deleted members' lifetimes in the journal's file, so the month's bill survives a restart.
                    BillingLedger = store,
                });
            var nudger = new EngineNudger();
            var loop = new EngineLoop(engine, nudger, time, config.Engine.EvaluationInterval, metrics, alerts, loggerFactory.CreateLogger<EngineLoop>())
            {
                MinNudgeInterval = config.Webhook.MinEvaluationInterval,
            };
            loopRef = loop;

            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(AutoscalerHost).Assembly.GetName().Name,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Listen(endpoint, listen =>
                {
                    if (certificate is not null)
                    {
                        // Asked per handshake, so a renewed certificate is served without a restart.
                        listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, _) => certificate.Current });
                    }
                });
            });
            if (config.Tls is not null)
            {
                builder.WebHost.UseKestrelHttpsConfiguration();
            }

            builder.Services.AddRoutingCore();
            builder.Services.AddSingleton(loggerFactory);
            builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
            builder.Services.Configure<HostOptions>(o =>
            {
                o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
                o.ShutdownTimeout = TimeSpan.FromSeconds(30);
            });
            // With a shared journal the elector starts the loop once this replica leads.
            if (elector is not null)
            {
                builder.Services.AddHostedService(_ => elector);
            }
            else
            {
                builder.Services.AddHostedService(_ => loop);
            }
            var history = new DashboardHistory(engine.Pools, config.Dashboard.Capacity);
            var restored = HistoryFromJournal.Restore(history, store, engine.Pools, time.GetUtcNow() - config.Dashboard.History, config.Dashboard.Capacity);
            if (restored > 0)
            {
                LogHistoryRestored(logger, restored);
            }

            var sampler = new DashboardSampler(config, engine, new PrometheusMetricSource(promHttp, services.PrometheusTimeout), history, time,
                loggerFactory.CreateLogger<DashboardSampler>());
            builder.Services.AddHostedService(_ => sampler);

            var app = builder.Build();
            StandbyGuard.Use(app, elector);
            var guard = new RequestGuard(config);
            app.Use(async (context, next) =>
            {
                if (guard.Screen(context) is { } refused)
                {
                    await refused.ExecuteAsync(context).ConfigureAwait(false);
                    return;
                }

                await next(context).ConfigureAwait(false);
            });
            LeaderReadProxy.Use(app, elector);
            app.UseRouting();
            metrics.Http.Use(app);
            CommandDispatcher? commands = null;
            if (config.Commands.Count > 0)
            {
                commands = new CommandDispatcher(config.Commands, metrics.Registry, time, loggerFactory.CreateLogger<CommandDispatcher>(),
                    jenkinsLogger: loggerFactory.CreateLogger<Jenkins.JenkinsClient>(), maxConcurrent: config.Service.CommandLimits.MaxConcurrent);
                owned.Add(commands);
            }

            new WebhookEndpoint(config, alerts, nudger, metrics, loggerFactory.CreateLogger<WebhookEndpoint>(), commands, time).Map(app);
            var billing = new BillingFigures(store, time);
            // The Linode pools share one client, so one API budget (status shows it per bucket).
            var apiBudget = pools.OfType<Autoscaler.Linode.Provider.LinodeInstancePool>().Select(p => p.View.Budget).FirstOrDefault(b => b is not null);
            new ApiEndpoints(config, engine, store, nudger, metrics, loggerFactory.CreateLogger<ApiEndpoints>(), alerts, billing,
                apiBudget is null ? null : apiBudget.Use).Map(app);
            new DashboardEndpoints(config, engine, alerts, history, nudger, loggerFactory.CreateLogger<DashboardEndpoints>()).Map(app);
            StandbyGuard.Map(app, elector);

            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var baseAddress = new Uri(address.TrimEnd('/') + "/");
            elector?.SetAddress(config.Journal.Advertise ?? baseAddress.ToString().TrimEnd('/'));
            LogListening(logger, baseAddress, string.Join(", ", WebhookEndpoint.Paths), config.Pools.Count,
                Autoscaler.Common.Durations.Format(config.Engine.EvaluationInterval), Autoscaler.Common.LogWords.OnOff(config.Engine.DryRun));
            LogAccess(logger, config.Webhook.Auth is null ? "open (loopback listener)" : "needs webhook.auth", guard.WritesDescription, guard.ReadsDescription);
            return new AutoscalerHost(app, baseAddress, config, engine, loop, alerts, store, metrics, nudger, owned, logger, commands) { Elector = elector };
        }
        catch
        {
            DisposeAll(owned);
            throw;
        }
    }

    /// <summary>Stops the listener and the engine loop (in-flight cloud calls are cancelled; the journal lets the next
    /// start resume them), then closes the journal and the clients.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // Said before anything stops, so a SIGTERM's log tells what the next start has to pick up.
        LogStopping(_logger, DescribeInFlight(Engine.Pools.Select(Engine.GetStatus), _commands?.Running ?? 0));
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            DisposeAll(_owned);
        }
    }

    private static void DisposeAll(List<IDisposable> owned)
    {
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }

        owned.Clear();
    }

    /// <summary>"web: 2 launches (web-3, web-4), 1 drain (web-1); 1 command running (stopped with it)", or "nothing in
    /// flight".</summary>
    internal static string DescribeInFlight(IEnumerable<PoolStatus> pools, int commandsRunning)
    {
        var parts = new List<string>();
        foreach (var status in pools)
        {
            var groups = status.Operations
                .Where(o => o.Phase is OperationPhase.Launching or OperationPhase.Draining or OperationPhase.Removing)
                .GroupBy(o => o.Phase)
                .OrderBy(g => g.Key)
                .Select(g => Count(g.Count(), g.Key switch
                {
                    OperationPhase.Launching => "launch",
                    OperationPhase.Draining => "drain",
                    _ => "removal",
                }) + Members(g))
                .ToArray();
            if (groups.Length > 0)
            {
                parts.Add($"{status.Pool}: {string.Join(", ", groups)}");
            }
        }

        var text = parts.Count == 0 ? "no launch, drain or removal in flight" : string.Join("; ", parts) + " in flight (the next start resumes them from the journal)";
        return commandsRunning == 0 ? text : text + $"; {Count(commandsRunning, "command")} running (stopped now)";

        static string Count(int n, string what) => n == 1 ? $"1 {what}" : what.EndsWith('h') ? $"{n} {what}es" : $"{n} {what}s";

        static string Members(IEnumerable<OperationRecord> ops)
        {
            var labels = ops.Select(o => o.Label ?? o.MemberId).Where(l => !string.IsNullOrEmpty(l)).ToArray();
            return labels.Length == 0 ? "" : " (" + string.Join(", ", labels) + ")";
        }
    }

    /// <summary>host:port → endpoint; <c>localhost</c> is loopback, <c>0.0.0.0</c>/<c>[::]</c> every interface.</summary>
    internal static IPEndPoint ParseListen(string listen)
    {
        var colon = listen.LastIndexOf(':');
        if (colon > 0 && int.TryParse(listen.AsSpan(colon + 1), out var port) && port is >= 0 and <= 65535)
        {
            var host = listen[..colon].Trim('[', ']');
            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                return new IPEndPoint(IPAddress.Loopback, port);
            }

            if (IPAddress.TryParse(host, out var ip))
            {
                return new IPEndPoint(ip, port);
            }
        }

        throw new ArgumentException($"listen must be IP:port or localhost:port (got '{listen}')", nameof(listen));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "configuration (secrets redacted):\n{Configuration}")]
    private static partial void LogConfiguration(ILogger logger, VerbatimLogText configuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "access: webhook {Webhook}; {Writes}; {Reads}")]
    private static partial void LogAccess(ILogger logger, string webhook, string writes, string reads);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopping: {InFlight}")]
    private static partial void LogStopping(ILogger logger, string inFlight);

    [LoggerMessage(Level = LogLevel.Information, Message = "journal: {Location}")]
    private static partial void LogJournal(ILogger logger, string location);

    [LoggerMessage(Level = LogLevel.Information, Message = "dashboard: restored {Samples} samples of the pools' sizes from the journal")]
    private static partial void LogHistoryRestored(ILogger logger, int samples);

    [LoggerMessage(Level = LogLevel.Information, Message = "listening on {Address} (webhook: {Paths}); {Pools} pool(s), evaluation every {Interval}, dry run {DryRun}")]
    private static partial void LogListening(ILogger logger, Uri address, string paths, int pools, string interval, string dryRun);

    /// <summary>A meter factory of the service's own, so its /metrics exports only its own Linode client's meter.</summary>
    private sealed class ScopedMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];
        private readonly Lock _lock = new();

        public Meter Create(MeterOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            var meter = new Meter(options.Name, options.Version, options.Tags, this);
            lock (_lock)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public void Dispose()
        {
            lock (_lock)
            {
                foreach (var m in _meters)
                {
                    m.Dispose();
                }

                _meters.Clear();
            }
        }
    }
}

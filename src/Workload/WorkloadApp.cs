using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Workload;

/// <summary>
/// The Workload: <c>/</c> costs CPU on a small scheduler (virtual or real), <c>/health</c> is cheap and never queued,
/// and a second listener serves node_exporter-style <c>/metrics</c>. Startable in-process (tests) or as a program.
/// </summary>
public sealed partial class WorkloadApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly WorkloadHandler _handler;
    private readonly ILogger _logger;
    private ListenOptions? _appListen;
    private ListenOptions? _metricsListen;
    private ParentWatcher? _parent;
    private int _metricsPort;
    private int _disposed;

    private WorkloadApp(WorkloadOptions options, TimeProvider time, Action<ILoggingBuilder>? configureLogging)
    {
        Options = options;
        _time = time;
        _metricsPort = options.MetricsPort;
        var instance = Environment.GetEnvironmentVariable("LINODE_LABEL") is { Length: > 0 } label
            ? label
            : Environment.MachineName;
        _handler = new WorkloadHandler(options.Vcpus, options.Queue, options.Mode, options.WorkMs, options.MemoryBytes,
            instance, time);

        // No args: the host's own command-line configuration would read our flags as configuration keys.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Workload", LogLevel.Information);
        if (configureLogging is null)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }
        else
        {
            configureLogging(builder.Logging);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The first bound address is the one reported; the others (the private address) take the same ports.
            var first = true;
            foreach (var address in options.BindAddresses)
            {
                if (first)
                {
                    kestrel.Listen(address, options.Port, listen => _appListen = listen);
                    kestrel.Listen(address, options.MetricsPort, listen => _metricsListen = listen);
                    first = false;
                    continue;
                }

                kestrel.Listen(address, options.Port);
                kestrel.Listen(address, options.MetricsPort);
            }
        });

        _app = builder.Build();
        _logger = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Workload");
        _app.Run(HandleAsync);
    }

    public WorkloadOptions Options { get; }

    internal CpuScheduler Cpu => _handler.Cpu;

    internal WorkloadMetrics Metrics => _handler.Metrics;

    /// <summary>The app listener's bound endpoint (known after <see cref="StartAsync"/>).</summary>
    public IPEndPoint AppEndpoint => _appListen?.IPEndPoint ?? throw new InvalidOperationException("Not started.");

    /// <summary>The metrics listener's bound endpoint (known after <see cref="StartAsync"/>).</summary>
    public IPEndPoint MetricsEndpoint =>
        _metricsListen?.IPEndPoint ?? throw new InvalidOperationException("Not started.");

    public Uri AppUri => new($"http://{Host(AppEndpoint)}/");

    public Uri MetricsUri => new($"http://{Host(MetricsEndpoint)}/metrics");

    /// <summary>Completes when the app has stopped (SIGTERM, parent gone, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) =>
        _app.WaitForShutdownAsync(cancellationToken);

    public static WorkloadApp Build(
        WorkloadOptions options,
        TimeProvider? time = null,
        Action<ILoggingBuilder>? configureLogging = null) =>
        new(options, time ?? TimeProvider.System, configureLogging);

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _app.StartAsync(cancellationToken);
        _metricsPort = MetricsEndpoint.Port;
        if (Options.ParentPid is { } pid)
        {
            var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
            _parent = new ParentWatcher(pid, () =>
            {
                LogParentGone(_logger, pid);
                lifetime.StopApplication();
            }, _time);
        }

        LogListening(_logger, AppUri, MetricsUri, Options.Vcpus,
            Options.Mode == CpuMode.Virtual ? "virtual" : "real", Options.WorkMs, Options.Queue);
    }

    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _parent?.Dispose();
        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
        _handler.Dispose();
    }

    /// <summary>The program: parse, run until SIGTERM/SIGINT or the parent's death.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Any(a => a is "--help" or "-h"))
        {
            await Console.Out.WriteLineAsync(WorkloadOptions.Usage);
            return 0;
        }

        if (!WorkloadOptions.TryParse(args, Environment.GetEnvironmentVariable, out var options, out var errors))
        {
            foreach (var error in errors)
            {
                await Console.Error.WriteLineAsync($"workload: {error}");
            }

            await Console.Error.WriteLineAsync("workload: --help lists the options");
            return 2;
        }

        await using var app = Build(options);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"workload: cannot listen: {e.Message}");
            return 1;
        }

        await app.WaitForShutdownAsync();
        return 0;
    }

    private Task HandleAsync(HttpContext context) =>
        context.Connection.LocalPort == _metricsPort ? _handler.HandleMetricsAsync(context) : _handler.HandleAppAsync(context);

    private static string Host(IPEndPoint endpoint) =>
        endpoint.Address.Equals(IPAddress.Any) ? $"127.0.0.1:{endpoint.Port}"
        : endpoint.Address.Equals(IPAddress.IPv6Any) ? $"[::1]:{endpoint.Port}"
        : endpoint.ToString();
}

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
    private const string TextPlain = "text/plain; charset=utf-8";
    private const string Exposition = "text/plain; version=0.0.4; charset=utf-8";

    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly IMachine _machine;
    private readonly string _instance;
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
        Cpu = new CpuScheduler(options.Vcpus, options.Queue, options.Mode, time);
        Metrics = new WorkloadMetrics();
        var virtualMachine = new VirtualMachine(Cpu, Metrics, options.MemoryBytes, time);
        _machine = options.Mode == CpuMode.Real ? new RealMachine(virtualMachine) : virtualMachine;
        _instance = Environment.GetEnvironmentVariable("LINODE_LABEL") is { Length: > 0 } label
            ? label
            : Environment.MachineName;

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

    internal CpuScheduler Cpu { get; }

    internal WorkloadMetrics Metrics { get; }

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
        _machine.Dispose();
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

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Connection.LocalPort == _metricsPort)
        {
            await HandleMetricsAsync(context);
            return;
        }

        var started = _time.GetTimestamp();
        var path = context.Request.Path.Value ?? "/";
        var handler = path switch
        {
            "/" => "/",
            "/health" => "/health",
            _ => "other",
        };

        Metrics.RequestStarted();
        long sent = 0;
        try
        {
            sent = handler switch
            {
                "/" => await WorkAsync(context),
                "/health" => await WriteAsync(context, StatusCodes.Status200OK, "ok\n"),
                _ => await WriteAsync(context, StatusCodes.Status404NotFound, "not found\n"),
            };
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client gave up while its request waited for a CPU; 499 as nginx records it.
            context.Response.StatusCode = 499;
        }
        finally
        {
            Metrics.RequestFinished(handler, context.Response.StatusCode, _time.GetElapsedTime(started),
                RequestBytes(context.Request), ResponseHeaderBytes(context.Response) + sent);
        }
    }

    private async Task<long> WorkAsync(HttpContext context)
    {
        var work = Options.WorkMs;
        if (context.Request.Query.TryGetValue("work_ms", out var values))
        {
            if (!int.TryParse(values.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out work)
                || work > WorkloadOptions.MaxWorkMs)
            {
                return await WriteAsync(context, StatusCodes.Status400BadRequest,
                    $"work_ms must be an integer from 0 to {WorkloadOptions.MaxWorkMs}\n");
            }
        }

        var (outcome, queued) = await Cpu.RunAsync(TimeSpan.FromMilliseconds(work), context.RequestAborted);
        if (outcome == CpuOutcome.Rejected)
        {
            context.Response.Headers.RetryAfter = "1";
            return await WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "busy: queue full\n");
        }

        context.Response.Headers["X-Instance"] = _instance;
        return await WriteAsync(context, StatusCodes.Status200OK,
            string.Create(CultureInfo.InvariantCulture,
                $"ok instance={_instance} work_ms={work} queued_ms={queued.TotalMilliseconds:0}\n"));
    }

    private async Task HandleMetricsAsync(HttpContext context)
    {
        var request = RequestBytes(context.Request);
        long sent;
        if (context.Request.Path == "/metrics")
        {
            var text = Metrics.Render(_machine.Snapshot(), Cpu, Options.WorkMs, Options.Mode);
            sent = await WriteAsync(context, StatusCodes.Status200OK, text, Exposition);
        }
        else
        {
            sent = await WriteAsync(context, StatusCodes.Status404NotFound, "metrics are at /metrics\n");
        }

        Metrics.CountTraffic(request, ResponseHeaderBytes(context.Response) + sent);
    }

    private static async Task<long> WriteAsync(HttpContext context, int status, string body, string type = TextPlain)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = type;
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }

        return bytes.Length;
    }

    // Bytes on the wire, estimated from the parsed request: request line, headers, body.
    private static long RequestBytes(HttpRequest request)
    {
        long bytes = request.Method.Length + (request.Path.Value?.Length ?? 1) + request.QueryString.Value!.Length + 12;
        foreach (var (name, value) in request.Headers)
        {
            bytes += name.Length + value.ToString().Length + 4;
        }

        return bytes + 2 + (request.ContentLength ?? 0);
    }

    private static long ResponseHeaderBytes(HttpResponse response)
    {
        long bytes = 17;
        foreach (var (name, value) in response.Headers)
        {
            bytes += name.Length + value.ToString().Length + 4;
        }

        return bytes + 2;
    }

    private static string Host(IPEndPoint endpoint) =>
        endpoint.Address.Equals(IPAddress.Any) ? $"127.0.0.1:{endpoint.Port}"
        : endpoint.Address.Equals(IPAddress.IPv6Any) ? $"[::1]:{endpoint.Port}"
        : endpoint.ToString();
}

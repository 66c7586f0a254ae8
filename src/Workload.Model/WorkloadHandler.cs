using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Workload;

/// <summary>
/// What one instance of the Workload answers, whoever hosts it: <c>/</c> costs CPU on the instance's scheduler,
/// <c>/health</c> is cheap and never queued, and the metrics port serves node_exporter-style <c>/metrics</c>. The
/// Workload program hosts one in its own Kestrel; the emulator's lightweight runtime hosts many in one server.
/// </summary>
internal sealed class WorkloadHandler : IDisposable
{
    private const string TextPlain = "text/plain; charset=utf-8";
    private const string Exposition = "text/plain; version=0.0.4; charset=utf-8";

    private readonly TimeProvider _time;
    private readonly IMachine _machine;
    private readonly string _instance;
    private readonly int _workMs;
    private readonly CpuMode _mode;

    /// <param name="appBytes">Memory the app holds for the virtual machine's figures; null: this process's working
    /// set.</param>
    public WorkloadHandler(int vcpus, int queue, CpuMode mode, int workMs, long memoryBytes, string instance,
        TimeProvider time, Func<long>? appBytes = null)
    {
        _time = time;
        _instance = instance;
        _workMs = workMs;
        _mode = mode;
        Cpu = new CpuScheduler(vcpus, queue, mode, time);
        Metrics = new WorkloadMetrics();
        var virtualMachine = new VirtualMachine(Cpu, Metrics, memoryBytes, time, appBytes);
        _machine = mode == CpuMode.Real ? new RealMachine(virtualMachine) : virtualMachine;
    }

    /// <summary>Largest <c>?work_ms=</c> a request may ask for.</summary>
    public const int MaxWorkMs = 60_000;

    public CpuScheduler Cpu { get; }

    public WorkloadMetrics Metrics { get; }

    /// <summary>Answers a request that arrived on the app port.</summary>
    public async Task HandleAppAsync(HttpContext context)
    {
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

    /// <summary>Answers a request that arrived on the metrics port.</summary>
    public async Task HandleMetricsAsync(HttpContext context)
    {
        var request = RequestBytes(context.Request);
        long sent;
        if (context.Request.Path == "/metrics")
        {
            var text = Metrics.Render(_machine.Snapshot(), Cpu, _workMs, _mode);
            sent = await WriteAsync(context, StatusCodes.Status200OK, text, Exposition);
        }
        else
        {
            sent = await WriteAsync(context, StatusCodes.Status404NotFound, "metrics are at /metrics\n");
        }

        Metrics.CountTraffic(request, ResponseHeaderBytes(context.Response) + sent);
    }

    public void Dispose() => _machine.Dispose();

    private async Task<long> WorkAsync(HttpContext context)
    {
        var work = _workMs;
        if (context.Request.Query.TryGetValue("work_ms", out var values))
        {
            if (!int.TryParse(values.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out work)
                || work > MaxWorkMs)
            {
                return await WriteAsync(context, StatusCodes.Status400BadRequest,
                    $"work_ms must be an integer from 0 to {MaxWorkMs}\n");
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
}

using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Autoscaler.Cli.Commands;
using Microsoft.Extensions.Logging;
using Workload;

namespace Autoscaler.Cli.Tests;

/// <summary>The real Workload in-process on its own loopback address, and the loadgen command run in-process.</summary>
internal static class LoadHarness
{
    private static int _next;

    /// <summary>A loopback address no other test in this run uses (any 127.x.y.z binds on Linux).</summary>
    public static IPAddress UniqueLoopback()
    {
        var n = Interlocked.Increment(ref _next);
        return IPAddress.Parse($"127.{90 + (Environment.ProcessId % 60)}.{n / 250 % 250 + 1}.{n % 250 + 1}");
    }

    /// <param name="time">The Workload's clock: a FakeTimeProvider that is never advanced makes a server whose
    /// <c>/</c> never answers (its CPU work never ends) while <c>/health</c> still does.</param>
    public static async Task<WorkloadApp> StartWorkloadAsync(TimeProvider time, int vcpus = 1, int workMs = 50, int queue = 1000)
    {
        var app = WorkloadApp.Build(
            new WorkloadOptions
            {
                Address = UniqueLoopback(),
                Port = 0,
                MetricsPort = 0,
                Vcpus = vcpus,
                WorkMs = workMs,
                Queue = queue,
                Mode = CpuMode.Virtual,
            },
            time,
            logging => logging.ClearProviders());
        await app.StartAsync();
        return app;
    }

    /// <summary>A loopback endpoint where nothing listens: connecting is refused at once.</summary>
    public static Uri RefusingEndpoint()
    {
        var address = UniqueLoopback();
        using var listener = new TcpListener(address, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://{address}:{port}/");
    }

    public static Task<(int ExitCode, string Output, string Error)> LoadgenAsync(params string[] args) =>
        LoadgenAsync(CancellationToken.None, args);

    /// <param name="cancellationToken">Stands for Ctrl-C / SIGTERM, which cancel the action's token.</param>
    public static async Task<(int ExitCode, string Output, string Error)> LoadgenAsync(CancellationToken cancellationToken, params string[] args)
    {
        var root = new RootCommand { LoadgenCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(["loadgen", .. args]).InvokeAsync(
            new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null }, cancellationToken);
        return (exit, output.ToString(), error.ToString());
    }
}

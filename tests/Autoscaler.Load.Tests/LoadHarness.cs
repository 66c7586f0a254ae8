using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Workload;

namespace Autoscaler.Load.Tests;

/// <summary>The real Workload in-process on its own loopback address (shared with the loadgen command's tests).</summary>
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
}

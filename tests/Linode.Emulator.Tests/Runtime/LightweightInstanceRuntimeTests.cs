using System.Globalization;
using System.Net;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Linode.Emulator.Tests.Runtime;

/// <summary>Lightweight instances over real HTTP on loopback: the Workload's answers on both addresses, CPU seconds
/// per vCPU, a kill seen as a crash, a stop that leaves nothing listening.</summary>
public sealed class LightweightInstanceRuntimeTests
{
    internal static readonly HttpClient Web = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    internal static LightweightInstanceRuntime NewRuntime(int workMs = 50) =>
        new(new InstanceRuntimeOptions { Kind = InstanceRuntimeKind.Lightweight, WorkMs = workMs }, TimeProvider.System,
            NullLoggerFactory.Instance);

    internal static InstanceProcessSpec Spec(long id, IPAddress address, IPAddress? privateAddress, int vcpus = 1) =>
        new(id, $"web-{id}", address, "linode/debian12", vcpus, null,
            new Dictionary<string, string> { ["LINODE_RAM"] = "1024" }, privateAddress);

    [Fact]
    public async Task StartAsync_Instance_ServesAppHealthAndMetricsOnBothAddresses()
    {
        await using var runtime = NewRuntime();
        var (address, privateAddress) = (Loopback.Next(), Loopback.Next());
        await runtime.StartAsync(Spec(31, address, privateAddress, vcpus: 2), CancellationToken.None);

        Assert.True(runtime.IsRunning(31));
        Assert.Equal("ok\n", await Web.GetStringAsync(new Uri($"http://{address}:8080/health")));
        Assert.Equal("ok\n", await Web.GetStringAsync(new Uri($"http://{privateAddress}:8080/health")));
        using var work = await Web.GetAsync(new Uri($"http://{privateAddress}:8080/?work_ms=200"));
        Assert.Equal(HttpStatusCode.OK, work.StatusCode);
        Assert.Equal("web-31", work.Headers.GetValues("X-Instance").Single());

        var metrics = await Web.GetStringAsync(new Uri($"http://{address}:9100/metrics"));
        Assert.Contains("node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("node_memory_MemTotal_bytes 1073741824", metrics, StringComparison.Ordinal);
        // The 200 ms of work were counted on one of the two virtual CPUs, as the Workload process counts them.
        var user = metrics.Split('\n').Where(l => l.StartsWith("node_cpu_seconds_total{", StringComparison.Ordinal) && l.Contains("mode=\"user\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        Assert.InRange(user, 0.19, 2.0);
        Assert.Equal(HttpStatusCode.NotFound, (await Web.GetAsync(new Uri($"http://{address}:9100/other"))).StatusCode);
    }

    [Fact]
    public async Task Kill_RunningInstance_ReportsExitAndStopsListening()
    {
        await using var runtime = NewRuntime();
        var exited = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        runtime.ProcessExited += id => exited.TrySetResult(id);
        var (address, privateAddress) = (Loopback.Next(), Loopback.Next());
        await runtime.StartAsync(Spec(32, address, privateAddress), CancellationToken.None);

        Assert.True(runtime.Kill(32));

        Assert.Equal(32, await exited.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(runtime.IsRunning(32));
        Assert.False(await Loopback.IsListeningAsync(new IPEndPoint(privateAddress, 8080)));
        Assert.False(runtime.Kill(32));
    }

    [Fact]
    public async Task StopAsync_ThenStartAgain_NoExitReportedAndServesAgain()
    {
        await using var runtime = NewRuntime();
        var exits = 0;
        runtime.ProcessExited += _ => Interlocked.Increment(ref exits);
        var address = Loopback.Next();
        await runtime.StartAsync(Spec(33, address, null), CancellationToken.None);
        // A request left waiting on the CPU when the machine stops is cut, as on a powered-off machine.
        var pending = Web.GetAsync(new Uri($"http://{address}:8080/?work_ms=30000"));
        await Wait.UntilAsync(() => Loopback.IsListeningAsync(new IPEndPoint(address, 8080)), "the app");

        await runtime.StopAsync(33, CancellationToken.None);

        await Assert.ThrowsAsync<HttpRequestException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(await Loopback.IsListeningAsync(new IPEndPoint(address, 9100)));
        await runtime.StartAsync(Spec(33, address, null), CancellationToken.None);
        Assert.Equal("ok\n", await Web.GetStringAsync(new Uri($"http://{address}:8080/health")));
        Assert.Equal(0, Volatile.Read(ref exits));
    }

    [Fact]
    public async Task StartAsync_AddressTaken_InstanceBootException()
    {
        await using var runtime = NewRuntime();
        var address = Loopback.Next();
        using var squatter = new System.Net.Sockets.TcpListener(address, 9100);
        squatter.Start();

        await Assert.ThrowsAsync<InstanceBootException>(() => runtime.StartAsync(Spec(34, address, null), CancellationToken.None));

        Assert.False(runtime.IsRunning(34));
        Assert.False(await Loopback.IsListeningAsync(new IPEndPoint(address, 8080)));
    }

    [Fact]
    public void Load_RuntimeKindLightweight_Read()
    {
        var path = Path.Combine(Path.GetTempPath(), $"emulator-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "runtime: { kind: lightweight, work_ms: 20, queue: 8 }\n");
        try
        {
            var options = EmulatorOptions.Load(path);
            Assert.Empty(options.Validate());
            Assert.Equal(InstanceRuntimeKind.Lightweight, options.Runtime.Kind);
            Assert.Equal(20, options.Runtime.WorkMs);
            Assert.Equal(8, options.Runtime.Queue);
            Assert.Equal(InstanceRuntimeKind.Process, new EmulatorOptions().Runtime.Kind);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Validate_BadRuntimeKindAndFigures_EveryFieldNamed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"emulator-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "runtime: { kind: featherweight, work_ms: -1, queue: -2 }\n");
        try
        {
            var errors = EmulatorOptions.Load(path).Validate();
            Assert.Contains(errors, e => e.StartsWith("runtime.kind: 'featherweight' is not 'process' or 'lightweight'", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.StartsWith("runtime.work_ms:", StringComparison.Ordinal));
            Assert.Contains(errors, e => e.StartsWith("runtime.queue:", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Autoscaler.Sandbox;
using Autoscaler.Sandbox.Demo;
using Xunit.Abstractions;

namespace Autoscaler.EndToEnd.Tests;

/// <summary>
/// The whole reference pipeline with the real Debian binaries: the emulator's Workload instances behind a
/// NodeBalancer, the autoscaler service, Prometheus scraping /http_sd and evaluating the alert rules, Alertmanager
/// calling the webhook. A load spike must scale the pool out through that alert path and its end scale it back in.
/// Timeouts are generous and nothing is asserted about how long anything took.
/// </summary>
public sealed class DemoPipelineTests(ITestOutputHelper output)
{
    // Shorter than the three-minute demo, long enough for the alert path on a busy 2-core machine.
    private static DemoSettings ShortRun(string workDir) => new()
    {
        Duration = TimeSpan.FromSeconds(110),
        WorkDirectory = workDir,
        SettleTimeout = TimeSpan.FromMinutes(4),
        StartTimeout = TimeSpan.FromMinutes(3),
        Seed = 20240601,
    };

    [Fact]
    public async Task RunAsync_LoadSpike_ScalesOutThroughPoolCpuHighAndBackInToMin()
    {
        RequireBinaries();
        var workDir = Directory.CreateTempSubdirectory("autoscaler-e2e-").FullName;
        var reporter = new TestReporter(output);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
            var result = await DemoRunner.RunAsync(ShortRun(workDir) with { SummaryPath = Path.Combine(workDir, "summary.json") },
                reporter, TimeProvider.System, timeout.Token);
            var s = result.Summary;

            // Scale-out through the real alert path: the audit trail has a scale-up whose reason names the alert
            // that Prometheus raised and Alertmanager delivered, and launches that succeeded.
            var ups = result.Decisions.Where(d => d.Action == DecisionAction.ScaleUp && d.Reason.Contains("PoolCpuHigh", StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(ups);
            Assert.Contains(result.Events, e => e.Kind == "alert" && e.Text.Contains("PoolCpuHigh firing", StringComparison.Ordinal));
            Assert.Contains(result.Operations, o => o.Kind == OperationKind.Launch && o.Type == OperationEventType.Succeeded);
            Assert.True(s.ScaleUps >= 1, $"scaleUps {s.ScaleUps}");
            Assert.True(s.PeakInstances > s.MinInstances, $"the pool never grew: peak {s.PeakInstances}, min {s.MinInstances}");
            Assert.NotNull(s.AlertToFirstApiCallMs);
            Assert.NotNull(s.SpikeToServingSeconds);

            // Scale-in after the load: a scale-down on PoolCpuLow, removals that succeeded, back to the minimum.
            var downs = result.Decisions.Where(d => d.Action == DecisionAction.ScaleDown && d.Reason.Contains("PoolCpuLow", StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(downs);
            Assert.True(downs.Max(d => d.At) > ups.Min(d => d.At), "the scale-down came before the scale-up");
            Assert.Contains(result.Operations, o => o.Kind == OperationKind.Remove && o.Type == OperationEventType.Succeeded);
            Assert.True(s.ScaleDowns >= 1, $"scaleDowns {s.ScaleDowns}");
            Assert.Equal(s.MinInstances, s.FinalInstances);

            // Billing-aware scale-in with the period shortened to 30 s on both sides: surplus members kept to the end
            // of their paid period, and the autoscaler's month-to-date bill equal to the emulator's balance_uninvoiced.
            Assert.Contains(result.Events, e => e.Kind == "billing" && e.Text.Contains("kept: paid until", StringComparison.Ordinal));
            Assert.NotNull(s.BilledUsd);
            Assert.True(s.BilledUsd > 0, "nothing billed");
            Assert.Equal(s.BalanceUninvoicedUsd, s.BilledUsd);

            Assert.Equal(0, s.LeakedInstances);
            Assert.Empty(result.Leftovers);
            Assert.True(File.Exists(result.SummaryPath), "no summary file");
            Assert.Contains("\"scaleUps\"", await File.ReadAllTextAsync(result.SummaryPath!), StringComparison.Ordinal);
            Assert.True(result.PlotPath is not null && new FileInfo(result.PlotPath).Length > 10_000, "no plot");

            await AssertNothingRunningAsync(reporter);
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_CancelledWhileLoaded_StopsEverythingItStarted()
    {
        RequireBinaries();
        var workDir = Directory.CreateTempSubdirectory("autoscaler-e2e-").FullName;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var reporter = new TestReporter(output) { OnFirstSample = () => cancel.CancelAfter(TimeSpan.FromSeconds(3)) };
        try
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => DemoRunner.RunAsync(ShortRun(workDir), reporter, TimeProvider.System, cancel.Token));

            Assert.Contains(reporter.Parts, p => p.Name == "prometheus" && p.ProcessId is not null);
            Assert.Contains(reporter.Parts, p => p.Name.StartsWith("web-", StringComparison.Ordinal));
            await AssertNothingRunningAsync(reporter);
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_PrometheusMissing_FailsNamingItBeforeStartingAnything()
    {
        var reporter = new TestReporter(output);
        var settings = ShortRun(Path.Combine(Path.GetTempPath(), "autoscaler-e2e-unused")) with { PrometheusPath = "/nonexistent/prometheus" };

        var e = await Assert.ThrowsAsync<SandboxSetupException>(() => DemoRunner.RunAsync(settings, reporter, TimeProvider.System));

        Assert.Contains("prometheus not found at '/nonexistent/prometheus'", e.Message, StringComparison.Ordinal);
        Assert.Empty(reporter.Parts);
    }

    private static void RequireBinaries()
    {
        // CI installs both (Debian's prometheus and prometheus-alertmanager); a missing one is a failure, not a skip.
        try
        {
            MonitoringStack.Programs(new DemoSettings().Monitoring());
        }
        catch (SandboxSetupException e)
        {
            Assert.Fail("the end-to-end tests need the real binaries: " + e.Message);
        }
    }

    private static async Task AssertNothingRunningAsync(TestReporter reporter)
    {
        foreach (var part in reporter.Parts)
        {
            if (part.ProcessId is { } pid)
            {
                Assert.False(IsAlive(pid), $"{part.Name} (pid {pid}) is still running");
            }

            Assert.False(await IsListeningAsync(part.Endpoint), $"{part.Name} still listens on {part.Endpoint.Authority}");
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> IsListeningAsync(Uri endpoint)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(endpoint.Host), endpoint.Port).WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    private sealed record Part(string Name, Uri Endpoint, int? ProcessId);

    /// <summary>Writes the run to the test output and remembers every part that listened.</summary>
    private sealed class TestReporter(ITestOutputHelper output) : IDemoReporter
    {
        private readonly ConcurrentQueue<Part> _parts = new();
        private int _samples;

        public Action? OnFirstSample { get; init; }

        public IReadOnlyCollection<Part> Parts => _parts;

        public void OnStep(string text) => Write("step: " + text);

        public void OnSample(DemoSample sample)
        {
            if (Interlocked.Increment(ref _samples) == 1)
            {
                OnFirstSample?.Invoke();
            }

            Write($"{sample.Seconds,6:0.0}s {sample.Phase,-6} load {sample.OfferedRps,4:0} cpu {sample.CpuPercent,4:0}% inst {sample.Instances} "
                + $"(up {sample.Serving}, boot {sample.Booting}, drain {sample.Draining}) p95 {sample.P95Ms:0} err {sample.Errors}");
        }

        public void OnEvent(DemoEvent demoEvent) => Write($"{demoEvent.Seconds,6:0.0}s {demoEvent.Kind}: {demoEvent.Text}");

        public void OnPart(string name, Uri endpoint, int? processId) => _parts.Enqueue(new Part(name, endpoint, processId));

        private void Write(string line)
        {
            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test has already ended (cancellation clean-up).
            }
        }
    }
}

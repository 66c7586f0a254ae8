using System.Globalization;
using System.Text;
using Autoscaler.Service.Commands;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Service.Tests.Commands;

/// <summary>The dedupe window's expiry (pruned by when each entry ends, not by a scan of every entry per
/// notification): a repeat inside its window is skipped, one after it runs again, each key on its own clock.</summary>
public sealed class DedupeWindowTests
{
    private static async Task<double> MetricAsync(Prometheus.CollectorRegistry registry, string series)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        var line = Encoding.UTF8.GetString(stream.ToArray()).Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static byte[] Body(string fingerprint) => Encoding.UTF8.GetBytes(TestConfig.Notification("PoolCpuHigh", fingerprint: fingerprint));

    [Fact]
    public async Task Dispatch_RepeatsAroundTheirOwnWindows_SkippedInsideRunAgainAfter()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
        CommandConfig[] commands = [new() { Cmd = "/bin/true", Label = "t", Max = 0, DedupeWindow = TimeSpan.FromSeconds(10) }];
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var dispatcher = new CommandDispatcher(commands, registry, time, NullLogger<CommandDispatcher>.Instance);
        const string Runs = "autoscaler_command_runs_total{command=\"t\",result=\"succeeded\"}";
        const string Duplicates = "autoscaler_command_skips_total{command=\"t\",reason=\"duplicate\"}";

        Assert.True(dispatcher.Enqueue(Body("a")));
        Assert.True(dispatcher.Enqueue(Body("a")));
        await Wait.UntilAsync(async () => await MetricAsync(registry, Runs) == 1 && await MetricAsync(registry, Duplicates) == 1, "a once, then its repeat skipped");

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(dispatcher.Enqueue(Body("b")));
        await Wait.UntilAsync(async () => await MetricAsync(registry, Runs) == 2, "b");

        // 11 s after a, 6 s after b: a's window is over, b's is not.
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(dispatcher.Enqueue(Body("b")));
        Assert.True(dispatcher.Enqueue(Body("a")));
        await Wait.UntilAsync(async () => await MetricAsync(registry, Runs) == 3 && await MetricAsync(registry, Duplicates) == 2, "a again, b skipped");

        // a's new window started at its second run: a repeat now is inside it.
        Assert.True(dispatcher.Enqueue(Body("a")));
        await Wait.UntilAsync(async () => await MetricAsync(registry, Duplicates) == 3, "a's repeat inside its new window skipped");
        await Wait.UntilAsync(() => dispatcher.Running == 0, "the runs to end");
        Assert.Equal(3, await MetricAsync(registry, Runs));
    }
}

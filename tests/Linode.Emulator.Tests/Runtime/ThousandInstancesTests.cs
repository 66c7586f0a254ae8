using System.Diagnostics;
using System.Globalization;
using System.Net;
using Xunit.Abstractions;
using static Linode.Emulator.Tests.Runtime.LightweightInstanceRuntimeTests;

namespace Linode.Emulator.Tests.Runtime;

/// <summary>Runs alone: a thousand instances' start-up and scrapes take the machine's cores for a while, which
/// would slow the timing-sensitive tests running beside it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "alone";
}

/// <summary>A thousand lightweight instances in one process: each answers, and the process stays small.</summary>
[Collection(RunsAlone.Name)]
public sealed class ThousandInstancesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task StartAsync_ThousandInstances_FitInOneProcess()
    {
        const int count = 1000;
        var before = ProcStatus("VmRSS:");
        await using var runtime = NewRuntime();
        var watch = Stopwatch.StartNew();
        var addresses = new List<IPAddress>(count);
        for (var i = 0; i < count; i++)
        {
            var address = Loopback.Next();
            addresses.Add(address);
            await runtime.StartAsync(Spec(10_000 + i, address, Loopback.Next()), CancellationToken.None);
        }

        var started = watch.Elapsed;
        // Every instance answers; a scrape of each, as Prometheus would.
        var answered = 0;
        foreach (var chunk in addresses.Chunk(50))
        {
            var texts = await Task.WhenAll(chunk.Select(a => Web.GetStringAsync(new Uri($"http://{a}:9100/metrics"))));
            answered += texts.Count(t => t.Contains("node_cpu_seconds_total", StringComparison.Ordinal));
        }

        GC.Collect();
        var rss = ProcStatus("VmRSS:");
        var threads = ProcStatus("Threads:", kib: false);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} lightweight instances: started in {started.TotalSeconds:0.0} s, RSS {before} -> {rss} MiB, {threads} threads"));

        Assert.Equal(count, answered);
        Assert.Equal(count, runtime.Count);
        // Measured 34 MiB and 36 threads in all for a thousand (4,000 listening sockets); a process per instance
        // would need some 40 GiB. Generous bounds: the test process hosts other tests at the same time.
        Assert.InRange(rss - before, -512, 400);
        Assert.InRange(threads, 1, 200);
    }

    private static long ProcStatus(string field, bool kib = true)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var value = long.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                return kib ? value / 1024 : value;
            }
        }

        return 0;
    }
}

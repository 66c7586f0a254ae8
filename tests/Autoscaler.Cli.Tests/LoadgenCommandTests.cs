using System.Text.Json;
using Autoscaler.Load;
using static Autoscaler.Cli.Tests.LoadgenHarness;
using static Autoscaler.Load.Tests.LoadHarness;

namespace Autoscaler.Cli.Tests;

public class LoadgenCommandTests
{
    [Theory]
    [InlineData("http://10.1.2.3/")]
    [InlineData("http://192.168.1.10:8080/")]
    [InlineData("http://example.com/")]
    [InlineData("http://[::1]:8080/")]
    public async Task Loadgen_NonLoopbackTarget_RefusesWithoutAllowRemote(string target)
    {
        var (exit, output, error) = await LoadgenAsync(target, "--rate", "1", "--duration", "1s");

        Assert.Equal(2, exit);
        Assert.Contains($"loadgen: target '{target}' is not a loopback address in 127.0.0.0/8", error, StringComparison.Ordinal);
        Assert.Contains("--allow-remote", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("http://127.0.0.1/", false, true)]
    [InlineData("http://127.200.3.4:80/?work_ms=5", false, true)]
    [InlineData("http://localhost:8080/", false, true)]
    [InlineData("http://[::ffff:127.0.0.1]/", false, true)]
    [InlineData("http://128.0.0.1/", false, false)]
    [InlineData("http://10.1.2.3/", true, true)]
    [InlineData("ftp://127.0.0.1/", true, false)]
    public void Check_Target_AllowsOnlyLoopbackUnlessRemoteAllowed(string target, bool allowRemote, bool allowed)
    {
        Assert.Equal(allowed, LoadTargets.Check(new Uri(target), allowRemote) is null);
    }

    [Fact]
    public async Task Loadgen_BadArguments_ReportsEveryProblem()
    {
        var (exit, _, error) = await LoadgenAsync("not-a-url", "--profile", "10s@x,5q@3", "--timeout", "soon", "--work-ms", "-1");

        Assert.Equal(2, exit);
        Assert.Contains("loadgen: target 'not-a-url' is not an http:// or https:// URL", error, StringComparison.Ordinal);
        Assert.Contains("loadgen: profile segment 1 ('10s@x'): rate 'x'", error, StringComparison.Ordinal);
        Assert.Contains("loadgen: profile segment 2 ('5q@3'): duration '5q'", error, StringComparison.Ordinal);
        Assert.Contains("loadgen: --timeout 'soon'", error, StringComparison.Ordinal);
        Assert.Contains("loadgen: --work-ms must be from 0 to 60000", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "http://127.0.0.1/" }, "say what load to send")]
    [InlineData(new[] { "http://127.0.0.1/", "--rate", "5" }, "--rate and --duration go together")]
    [InlineData(new[] { "http://127.0.0.1/", "--rate", "5", "--duration", "1s", "--profile", "1s@1" }, "use only one of")]
    [InlineData(new[] { "http://127.0.0.1/", "--profile", "1s@1", "--speedup", "60" }, "--speedup only apply to --profile-file")]
    [InlineData(new[] { "http://127.0.0.1/", "--rate", "0", "--duration", "1s" }, "--rate must be greater than 0")]
    [InlineData(new[] { "http://127.0.0.1/", "--profile-file", "/nonexistent/trace.csv" }, "trace file '/nonexistent/trace.csv' does not exist")]
    public async Task Loadgen_UnclearLoad_SaysWhatIsMissing(string[] args, string expected)
    {
        var (exit, _, error) = await LoadgenAsync(args);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loadgen_JsonOption_WritesSecondsTotalsAndRequestSummary()
    {
        await using var app = await StartWorkloadAsync(TimeProvider.System, workMs: 1);
        var file = Path.Combine(Path.GetTempPath(), $"loadgen-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, output, error) = await LoadgenAsync(app.AppUri.ToString(), "--rate", "20", "--duration", "2s",
                "--arrivals", "Uniform", "--work-ms", "5", "--json", file);

            Assert.Equal(0, exit);
            Assert.Equal("", error);
            Assert.Contains("p95", output, StringComparison.Ordinal);
            Assert.Contains("loadgen: done after", output, StringComparison.Ordinal);

            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            var root = json.RootElement;
            var requests = root.GetProperty("requests");
            Assert.Equal(40, requests.GetProperty("total").GetInt64());
            Assert.Equal(0, requests.GetProperty("errors").GetInt64());
            Assert.True(requests.GetProperty("p95Ms").GetDouble() >= 5);
            Assert.EndsWith("/?work_ms=5", root.GetProperty("targets")[0].GetString(), StringComparison.Ordinal);
            Assert.Equal("uniform", root.GetProperty("arrivals").GetString());

            var totals = root.GetProperty("totals");
            Assert.Equal(40, totals.GetProperty("sent").GetInt64());
            Assert.Equal(40, totals.GetProperty("statusCodes").GetProperty("200").GetInt64());
            Assert.Equal(0, totals.GetProperty("errorsByKind").GetProperty("timeout").GetInt64());
            Assert.Equal(20, totals.GetProperty("targetRate").GetDouble(), 3);

            var seconds = root.GetProperty("seconds").EnumerateArray().ToList();
            Assert.InRange(seconds.Count, 2, 4);
            Assert.Equal(Enumerable.Range(0, seconds.Count), seconds.Select(s => s.GetProperty("t").GetInt32()));
            Assert.Equal(40, seconds.Sum(s => s.GetProperty("sent").GetInt64()));
            Assert.Equal(40, seconds.Sum(s => s.GetProperty("ok").GetInt64()));
            foreach (var name in new[] { "at", "lengthSeconds", "targetRate", "sentRate", "answered", "errors", "dropped", "errorsByKind", "inFlight", "p50Ms", "p95Ms", "p99Ms", "maxMs", "maxLagMs" })
            {
                Assert.True(seconds[0].TryGetProperty(name, out _), $"seconds[0] has no '{name}'");
            }

            Assert.Equal(20, seconds[0].GetProperty("targetRate").GetDouble(), 3);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Loadgen_Interrupted_StillPrintsTheSummaryAndWritesTheReport()
    {
        await using var app = await StartWorkloadAsync(TimeProvider.System, workMs: 1);
        var file = Path.Combine(Path.GetTempPath(), $"loadgen-{Guid.NewGuid():N}.json");
        using var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var (exit, output, _) = await LoadgenAsync(interrupt.Token, app.AppUri.ToString(), "--rate", "10", "--duration", "10m", "--json", file);

            Assert.Equal(130, exit);
            Assert.Contains("loadgen: stopped after", output, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            Assert.True(json.RootElement.GetProperty("cancelled").GetBoolean());
            Assert.True(json.RootElement.GetProperty("totals").GetProperty("scheduleSeconds").GetDouble() < 600);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Loadgen_ProfileFile_ReplaysTheTraceScaledAndSpedUp()
    {
        await using var app = await StartWorkloadAsync(TimeProvider.System);
        var trace = Path.Combine(Path.GetTempPath(), $"trace-{Guid.NewGuid():N}.csv");
        var report = Path.ChangeExtension(trace, ".json");
        try
        {
            await File.WriteAllTextAsync(trace, "t_seconds,requests_per_second\n0,0.5\n60,1.5\n");

            var (exit, output, error) = await LoadgenAsync(new Uri(app.AppUri, "/health").ToString(), "--profile-file", trace,
                "--scale", "20", "--speedup", "120", "--arrivals", "uniform", "--json", report, "--quiet");

            Assert.Equal(0, exit);
            Assert.Equal("", error);
            Assert.DoesNotContain("inflight", output, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
            // Half a second at 10/s, then half a second at 30/s.
            Assert.Equal(20, json.RootElement.GetProperty("requests").GetProperty("total").GetInt64());
            Assert.Contains("×20 at 120× speed", json.RootElement.GetProperty("profile").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(trace);
            File.Delete(report);
        }
    }
}

using System.Globalization;
using System.Text.Json;
using static Autoscaler.Cli.Tests.SimulateHarness;

namespace Autoscaler.Cli.Tests;

public sealed class SimulateCommandTests
{
    [Fact]
    public async Task Simulate_NoArguments_ReportsEveryMissingPiece()
    {
        var (exit, output, error) = await SimulateAsync();

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("simulate: say how to scale the trace: --scale K (multiply its rates) or --peak-instances N", error, StringComparison.Ordinal);
        Assert.Contains("simulate: --report DIR is required", error, StringComparison.Ordinal);
        Assert.Contains("simulate: --config FILE is required", error, StringComparison.Ordinal);
        Assert.Contains("simulate: say what load to replay: --trace FILE.csv, or --prometheus URL --query PROMQL --from TIME --to TIME", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--scale", "2", "--peak-instances", "3" }, "use only one of --scale and --peak-instances")]
    [InlineData(new[] { "--scale", "2", "--prometheus", "http://127.0.0.1:9/" }, "use only one of --trace and --prometheus")]
    [InlineData(new[] { "--scale", "2", "--query", "up" }, "--query only apply to --prometheus")]
    [InlineData(new[] { "--scale", "2", "--boot-time", "soon" }, "--boot-time 'soon' is not a duration like 60s")]
    [InlineData(new[] { "--scale", "2", "--trace-length", "0" }, "--trace-length '0' is not a positive duration")]
    [InlineData(new[] { "--scale", "2", "--clock-start", "yesterday" }, "--clock-start 'yesterday' is not a date")]
    [InlineData(new[] { "--scale", "-1" }, "--scale must be a positive number (got -1)")]
    [InlineData(new[] { "--peak-instances", "0" }, "--peak-instances must be at least 1 (got 0)")]
    [InlineData(new[] { "--scale", "2", "--pool", "api" }, "--pool: the configuration has no pool 'api' (pools: web)")]
    [InlineData(new[] { "--scale", "2", "--capacity", "0" }, "--capacity must be a positive number of requests per second (got 0)")]
    [InlineData(new[] { "--scale", "2", "--target", "150" }, "--target must be a CPU percentage in (0, 100] (got 150)")]
    [InlineData(new[] { "--scale", "2", "--trace-start", "30d" }, "--trace-start 30d is past the end of the trace")]
    [InlineData(new[] { "--scale", "2", "--billing-period", "90s" }, "--billing-period (1m30s) must be a whole number of the trace's steps (1m)")]
    [InlineData(new[] { "--scale", "2", "--billing-period", "0" }, "--billing-period '0' is not a positive duration")]
    [InlineData(new[] { "--scale", "2", "--price", "-1" }, "--price must be a non-negative number of USD per instance-hour (got -1)")]
    [InlineData(new[] { "--scale", "2", "--monthly-price", "-5" }, "--monthly-price must be a non-negative number of USD per instance-month (got -5)")]
    public async Task Simulate_BadArgument_SaysWhatIsWrong(string[] args, string expected)
    {
        using var dir = new TempDir();
        var trace = Trace(dir, [1, 2, 3]);
        var config = SimulateHarness.Config(dir);

        var (exit, _, error) = await SimulateAsync(["--trace", trace, "--config", config, "--report", dir.Path, .. args]);

        Assert.Equal(2, exit);
        Assert.Contains("simulate: " + expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_MissingFilesAndInvalidConfig_ListsEveryError()
    {
        using var dir = new TempDir();
        var config = Path.Combine(dir.Path, "bad.yaml");
        await File.WriteAllTextAsync(config, "pools:\n  web:\n    region: us-east\n    min: 5\n    max: 3\n");

        var (exit, _, error) = await SimulateAsync("--trace", "/nonexistent/trace.csv", "--scale", "2", "--config", config, "--report", dir.Path);

        Assert.Equal(2, exit);
        Assert.Contains("simulate: --trace: '/nonexistent/trace.csv' does not exist", error, StringComparison.Ordinal);
        Assert.Contains($"simulate: --config: '{config}' is not valid:", error, StringComparison.Ordinal);
        Assert.Contains("pool 'web': min (5) is greater than max (3)", error, StringComparison.Ordinal);
        Assert.Contains("pool 'web': type is required", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_UnknownTypeWithoutCapacity_AsksForCapacity()
    {
        using var dir = new TempDir();
        var config = SimulateHarness.Config(dir, type: "g7-custom-3");

        var (exit, _, error) = await SimulateAsync("--trace", Trace(dir, [1, 2]), "--scale", "2", "--config", config, "--report", dir.Path);

        Assert.Equal(2, exit);
        Assert.Contains("simulate: pool 'web': type 'g7-custom-3' is not a known Linode plan", error, StringComparison.Ordinal);
        Assert.Contains("give the requests per second one instance serves with --capacity", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_TargetAsFraction_IsRefused()
    {
        using var dir = new TempDir();
        var config = SimulateHarness.Config(dir, signals: "      - target_tracking: { prometheus: http://127.0.0.1:9090, query: pool_cpu_ratio, target: 0.6 }");

        var (exit, _, error) = await SimulateAsync("--trace", Trace(dir, [1, 2]), "--scale", "2", "--config", config, "--report", dir.Path);

        Assert.Equal(2, exit);
        Assert.Contains("simulate: pool 'web': signals[0] target_tracking target 0.6 is not a CPU percentage from 1 to 100", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_SeveralPoolsWithoutPool_AsksWhichOne()
    {
        using var dir = new TempDir();
        var config = SimulateHarness.Config(dir, pools: """
              api:
                region: us-east
                type: g6-standard-2
                image: linode/debian12
                min: 1
                max: 3
                nodebalancer: { label: api-nb, port: 80 }
            """);

        var (exit, _, error) = await SimulateAsync("--trace", Trace(dir, [1, 2]), "--scale", "2", "--config", config, "--report", dir.Path);

        Assert.Equal(2, exit);
        Assert.Contains("simulate: the configuration has 2 pools (web, api); choose one with --pool NAME", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_SmallTrace_PrintsTableAndWritesReportAndPlot()
    {
        using var dir = new TempDir();
        // Two hours: quiet, a burst to five times the load for 20 minutes, quiet again.
        var rates = Enumerable.Range(0, 120).Select(m => m is >= 40 and < 60 ? 5.0 : 1.0).ToArray();
        var report = Path.Combine(dir.Path, "out");

        var (exit, output, error) = await SimulateAsync("--trace", Trace(dir, rates), "--peak-instances", "5", "--config", SimulateHarness.Config(dir),
            "--report", report, "--boot-time", "90s");

        Assert.True(exit == 0, error);
        Assert.Contains("capacity: 20 requests/s per instance at 100 % CPU (g6-standard-1: 1 vCPU × 1000 / 50 ms per request)", output, StringComparison.Ordinal);
        Assert.Contains("scale: rates × 12 so the peak (5 → 60 requests/s) needs 5 instances at 60 %", output, StringComparison.Ordinal);
        Assert.Contains("boot 1m30s + health check 10s", output, StringComparison.Ordinal);
        Assert.Contains("price: 0.018 USD per started hour, at most 12 USD per instance per calendar month (g6-standard-1 list price)", output, StringComparison.Ordinal);
        foreach (var column in new[] { "policy", "billed cost (USD)", "× oracle", "billed hours", "instance-hours", "paid-idle hours", "SLO-violation minutes", "actions (up/down)", "flaps" })
        {
            Assert.Contains(column, output, StringComparison.Ordinal);
        }

        var lines = output.Split('\n');
        foreach (var name in new[] { "target-tracking ", "target-tracking-unaware ", "seed-threshold ", "oracle-at-target " })
        {
            Assert.Contains(lines, l => l.TrimStart().StartsWith(name, StringComparison.Ordinal));
        }

        Assert.Contains(lines, l => l.TrimStart().StartsWith("oracle ", StringComparison.Ordinal) && l.Contains("1.000", StringComparison.Ordinal));

        using var json = ReadReport(report);
        Assert.Equal(120, json.RootElement.GetProperty("minutes").GetDouble());
        var oracle = Policy(json, "oracle");
        var tracking = Policy(json, "target-tracking");
        Assert.True(tracking.GetProperty("actions").GetInt32() >= 2, "the burst is tracked up and back down");
        Assert.True(tracking.GetProperty("ratioToOracle").GetDouble() >= 1);
        // g6-standard-1 at its list price: two hours never reach the monthly cap.
        Assert.Equal(oracle.GetProperty("billedHours").GetDecimal() * 0.018m, oracle.GetProperty("billedCost").GetDecimal());
        Assert.Equal((12m, 0.018m, 3600), (json.RootElement.GetProperty("billing").GetProperty("monthly").GetDecimal(),
            json.RootElement.GetProperty("billing").GetProperty("hourly").GetDecimal(), json.RootElement.GetProperty("billing").GetProperty("periodSeconds").GetInt32()));
        AssertBillsFromInstancesCsv(report);

        var png = await File.ReadAllBytesAsync(Path.Combine(report, "load-vs-capacity.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
    }

    [Fact]
    public async Task Simulate_TraceSegmentAndPrice_UsesOnlyThatPart()
    {
        using var dir = new TempDir();
        var rates = Enumerable.Range(0, 600).Select(m => m < 300 ? 1.0 : 3.0).ToArray();

        var (exit, output, error) = await SimulateAsync("--trace", Trace(dir, rates), "--scale", "5", "--config", SimulateHarness.Config(dir),
            "--report", dir.Path, "--trace-start", "300m", "--trace-length", "2h", "--price", "1");

        Assert.True(exit == 0, error);
        Assert.Contains("120 rows of 60s", output, StringComparison.Ordinal);
        Assert.Contains("price: 1 USD per instance-hour (--price), per started hour, no monthly cap", output, StringComparison.Ordinal);
        using var json = ReadReport(dir.Path);
        Assert.Equal(120, json.RootElement.GetProperty("minutes").GetDouble());
        // 15 requests/s needs 2 instances at 60 % of 20 the whole time, and 1 within the SLO (at most 90 % of 20).
        Assert.Equal(4, Policy(json, "oracle-at-target").GetProperty("instanceHours").GetDouble(), 6);
        Assert.Equal(4, Policy(json, "oracle-at-target").GetProperty("billedCost").GetDecimal());
        Assert.Equal(2, Policy(json, "oracle").GetProperty("billedCost").GetDecimal());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("billing").GetProperty("monthly").ValueKind);
        AssertBillsFromInstancesCsv(dir.Path);
    }

    [Fact]
    public async Task Simulate_BillingPeriodAndMonthlyPrice_BillEveryStartedPeriodCapped()
    {
        using var dir = new TempDir();
        // Ten hours of a burst every two hours; ten-minute periods at 0.5 each, at most 20 a month per instance.
        var rates = Enumerable.Range(0, 600).Select(m => m % 120 < 30 ? 4.0 : 1.0).ToArray();

        var (exit, output, error) = await SimulateAsync("--trace", Trace(dir, rates), "--peak-instances", "4", "--config", SimulateHarness.Config(dir),
            "--report", dir.Path, "--billing-period", "10m", "--price", "0.5", "--monthly-price", "20");

        Assert.True(exit == 0, error);
        Assert.Contains("price: 0.5 USD per instance-hour (--price), per started billing period of 10m, at most 20 USD per instance per calendar month (--monthly-price)", output, StringComparison.Ordinal);
        using var json = ReadReport(dir.Path);
        Assert.Equal(600, json.RootElement.GetProperty("billing").GetProperty("periodSeconds").GetDouble());
        Assert.Equal(20, json.RootElement.GetProperty("billing").GetProperty("monthly").GetDecimal());
        AssertBillsFromInstancesCsv(dir.Path);
        // Min 1 alive for all 60 periods would cost 30: the cap holds it to 20.
        Assert.True(Policy(json, "oracle").GetProperty("billedHours").GetDouble() >= 10);
    }

    [Theory]
    [InlineData("now", 0)]
    [InlineData("now-7d", -7 * 86400)]
    [InlineData("now-90m", -90 * 60)]
    public void Time_RelativeToNow(string text, int seconds)
    {
        var now = new DateTimeOffset(2025, 7, 1, 12, 0, 0, TimeSpan.Zero);

        Assert.Equal(now + TimeSpan.FromSeconds(seconds), Commands.SimulateCommand.Time(text, "--from", now, []));
    }

    [Theory]
    [InlineData("2025-07-01T00:00:00Z", "2025-07-01T00:00:00+00:00")]
    [InlineData("2025-07-01T02:00:00+02:00", "2025-07-01T00:00:00+00:00")]
    [InlineData("1751328000", "2025-07-01T00:00:00+00:00")]
    [InlineData("1751328000.5", "2025-07-01T00:00:00.5+00:00")]
    public void Time_AbsoluteForms(string text, string expected)
    {
        var parsed = Commands.SimulateCommand.Time(text, "--from", DateTimeOffset.UnixEpoch, []);

        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), parsed);
    }

    [Fact]
    public void Time_Garbage_IsAnError()
    {
        var errors = new List<string>();

        Assert.Null(Commands.SimulateCommand.Time("last tuesday", "--to", DateTimeOffset.UnixEpoch, errors));
        Assert.Equal(["--to 'last tuesday' is not a time (RFC 3339 like 2025-07-01T00:00:00Z, Unix seconds, now or now-7d)"], errors);
    }
}

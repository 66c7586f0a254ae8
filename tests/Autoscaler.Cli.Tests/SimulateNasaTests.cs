using static Autoscaler.Cli.Tests.SimulateHarness;

namespace Autoscaler.Cli.Tests;

/// <summary>The backtest the project promises: the NASA-HTTP trace of July 1–28 1995 (1-minute rows; SimulateData
/// holds them, from ../shared/traces/nasa_http_1995_1min.csv rows 0–39,691), scaled so its peak needs 12 instances,
/// on examples/simulate.yaml.</summary>
public sealed class SimulateNasaTests
{
    [Fact]
    public async Task Simulate_NasaJuly_TargetTrackingIsNearTheOracleAndBeatsTheSeed()
    {
        using var dir = new TempDir();

        var (exit, output, error) = await SimulateAsync("--trace", NasaJuly, "--peak-instances", "12", "--config", ExampleConfig, "--report", dir.Path);

        Assert.True(exit == 0, error);
        Assert.Contains("39692 rows of 60s (27.56 days", output, StringComparison.Ordinal);
        using var report = ReadReport(dir.Path);
        var minutes = report.RootElement.GetProperty("minutes").GetDouble();
        var (tracking, seed, oracle) = (Policy(report, "target-tracking"), Policy(report, "seed-threshold"), Policy(report, "oracle"));
        double Hours(System.Text.Json.JsonElement p) => p.GetProperty("instanceHours").GetDouble();
        double Violations(System.Text.Json.JsonElement p) => p.GetProperty("sloViolationMinutes").GetDouble();
        var summary = $"target-tracking {Hours(tracking)} h / {Violations(tracking)} min, seed {Hours(seed)} h / {Violations(seed)} min, oracle {Hours(oracle)} h";

        Assert.Equal(39692, minutes);
        Assert.True(Hours(tracking) <= 1.15 * Hours(oracle), "within 15 % of the oracle's instance-hours: " + summary);
        Assert.True(Violations(tracking) <= 0.01 * minutes, "at most 1 % SLO-violation minutes: " + summary);
        Assert.True(Hours(tracking) < Hours(seed), "fewer instance-hours than seed-threshold: " + summary);
        Assert.True(Violations(tracking) < Violations(seed), "fewer SLO-violation minutes than seed-threshold: " + summary);
        Assert.Equal(0, Violations(oracle));
    }
}

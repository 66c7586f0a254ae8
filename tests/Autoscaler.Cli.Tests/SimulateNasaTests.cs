using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;
using static Autoscaler.Cli.Tests.SimulateHarness;

namespace Autoscaler.Cli.Tests;

/// <summary>The backtest the project promises: the NASA-HTTP trace of July 1–28 1995 (1-minute rows; SimulateData
/// holds them, from ../shared/traces/nasa_http_1995_1min.csv rows 0–39,691), scaled so its peak needs 12 instances,
/// on examples/simulate.yaml.</summary>
public sealed class SimulateNasaTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Simulate_NasaJuly_OracleBillsLeastAndTargetTrackingBeatsTheSeedOnTheSlo()
    {
        using var dir = new TempDir();

        var (exit, output, error) = await SimulateAsync("--trace", NasaJuly, "--peak-instances", "12", "--config", ExampleConfig, "--report", dir.Path);

        Assert.True(exit == 0, error);
        Assert.Contains("39692 rows of 60s (27.56 days", output, StringComparison.Ordinal);
        using var report = ReadReport(dir.Path);
        var minutes = report.RootElement.GetProperty("minutes").GetDouble();
        var (tracking, unaware, seed, oracle) = (Policy(report, "target-tracking"), Policy(report, "target-tracking-unaware"), Policy(report, "seed-threshold"), Policy(report, "oracle"));
        static decimal Cost(JsonElement p) => p.GetProperty("billedCost").GetDecimal();
        static double Violations(JsonElement p) => p.GetProperty("sloViolationMinutes").GetDouble();
        foreach (var p in AllPolicies(report))
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p.GetProperty("name").GetString(),-24} billed ${Cost(p),8} ({p.GetProperty("ratioToOracle").GetDouble():0.000} × oracle), "
                + $"{p.GetProperty("billedHours").GetDouble(),6} billed h, {p.GetProperty("instanceHours").GetDouble(),8} instance-h, "
                + $"{p.GetProperty("paidIdleHours").GetDouble(),8} paid-idle h, {Violations(p),4} SLO min, {p.GetProperty("actions").GetInt32(),5} actions, {p.GetProperty("flaps").GetInt32(),5} flaps"));
        }

        var summary = $"target-tracking ${Cost(tracking)} / {Violations(tracking)} min, unaware ${Cost(unaware)}, seed ${Cost(seed)} / {Violations(seed)} min, oracle ${Cost(oracle)}";
        Assert.Equal(39692, minutes);
        AssertBillsFromInstancesCsv(dir.Path); // the oracle bills no more than any policy, and misses no minute
        Assert.Equal(0, oracle.GetProperty("uncoveredSteps").GetInt32());
        Assert.Equal(0, oracle.GetProperty("stepsOverMax").GetInt32());
        Assert.Equal(0, Violations(oracle));
        Assert.True(Violations(tracking) <= 0.01 * minutes, "at most 1 % SLO-violation minutes: " + summary);
        Assert.True(Violations(tracking) < Violations(seed), "fewer SLO-violation minutes than seed-threshold: " + summary);
        Assert.True(Cost(unaware) >= Cost(tracking), "billing awareness never bills more: " + summary);
        Assert.True(Cost(tracking) <= 0.85m * Cost(unaware), "billing awareness saves at least 15 %: " + summary);
        Assert.True(Violations(tracking) <= Violations(seed), "billing awareness costs no SLO minute over the seed's: " + summary);
    }
}

using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;
using static Autoscaler.Cli.Tests.SimulateHarness;

namespace Autoscaler.Cli.Tests;

/// <summary>Issue 17's backtest: the forecast on the NASA-HTTP trace of July 1–28 1995 (SimulateData), scaled so its
/// peak needs 12 instances, on examples/simulate.yaml: <c>target-tracking-forecast</c> against <c>target-tracking</c>.</summary>
public sealed class SimulateForecastNasaTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Simulate_NasaJulyWithForecast_FewerViolationsAtMostFivePercentDearerNotInTheRises()
    {
        using var dir = new TempDir();

        var (exit, _, error) = await SimulateAsync("--trace", NasaJuly, "--clock-start", "1995-07-01T00:00:00-04:00", "--peak-instances", "12",
            "--config", ExampleConfig, "--report", dir.Path);

        Assert.True(exit == 0, error);
        using var report = ReadReport(dir.Path);
        var (tracking, forecast) = (Policy(report, "target-tracking"), Policy(report, "target-tracking-forecast"));
        static decimal Cost(JsonElement p) => p.GetProperty("billedCost").GetDecimal();
        static double Violations(JsonElement p) => p.GetProperty("sloViolationMinutes").GetDouble();
        static double AfterRise(JsonElement p) => p.GetProperty("violationMinutesAfterRise").GetDouble();
        static double Bursts(JsonElement p) => p.GetProperty("violationBurstMinutes").GetDouble();
        foreach (var p in new[] { tracking, forecast })
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p.GetProperty("name").GetString(),-26} billed ${Cost(p),8}, {Violations(p),4} SLO min ({AfterRise(p)} in the hour after a daily rise, {Bursts(p)} one-minute bursts)"));
        }

        var days = report.RootElement.GetProperty("forecast").GetProperty("days").EnumerateArray().ToList();
        foreach (var day in days)
        {
            log.WriteLine($"{day.GetProperty("day").GetString()}: MAPE {day.GetProperty("mape")}");
        }

        var summary = $"target-tracking ${Cost(tracking)} / {Violations(tracking)} min, forecast ${Cost(forecast)} / {Violations(forecast)} min ({AfterRise(forecast)} after rises)";
        AssertBillsFromInstancesCsv(dir.Path);
        Assert.True(Violations(forecast) < Violations(tracking), "fewer SLO-violation minutes than target-tracking: " + summary);
        Assert.True(Cost(forecast) <= 1.05m * Cost(tracking), "billed at most 5 % more than target-tracking: " + summary);
        Assert.True(AfterRise(forecast) <= 0.5 * Violations(forecast), "at most half the violation minutes in the hour after a daily rise: " + summary);
        // No forecast on the first day (less than a day of history); every later day forecast within 25 % (hourly MAPE).
        Assert.Equal(JsonValueKind.Null, days[0].GetProperty("mape").ValueKind);
        Assert.All(days.Skip(1), d => Assert.InRange(d.GetProperty("mape").GetDouble(), 0, 0.25));
    }
}

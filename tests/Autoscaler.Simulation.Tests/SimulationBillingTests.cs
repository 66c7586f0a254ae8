using Autoscaler.Core.Providers.Virtual;
using Autoscaler.Core.Billing;
using Autoscaler.Simulation;

namespace Autoscaler.Simulation.Tests;

/// <summary>What the backtest bills: recorded lives, the billed measures, the exact oracle and instances.csv.</summary>
public sealed class SimulationBillingTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset July = new(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);

    private static SimulationOptions Options(decimal? hourly = 0.018m, decimal? monthly = 12m, double boot = 60, double health = 10) => new()
    {
        InstanceCapacity = 20,
        TargetUtilization = 0.6,
        Price = hourly is { } h ? new InstancePrice(h, monthly) : null,
        BootTime = TimeSpan.FromSeconds(boot),
        HealthCheckDelay = TimeSpan.FromSeconds(health),
    };

    private static double[] Runs(params (double Load, int Minutes)[] runs) => runs.SelectMany(r => Enumerable.Repeat(r.Load, r.Minutes)).ToArray();

    [Fact]
    public void Oracle_DemandOneTwoOne_BillsTwoCrossingHoursNotThreeLevels()
    {
        // One instance serves 18 requests/s within the SLO: 10 needs 1, 30 needs 2. Covering level by level would bill
        // 100 minutes + 20 minutes = 3 hours; [0, 60) and [40, 100) bill 2.
        var load = new LoadTrace(July, Minute, Runs((10, 40), (30, 20), (10, 40)));

        var (oracle, coverage) = Simulator.Oracle(load, min: 1, max: 4, Options(boot: 0, health: 0));

        Assert.Equal(2 * 0.018m, oracle.BilledCost);
        Assert.Equal(2, oracle.BilledHours);
        Assert.Equal(0, oracle.SloViolationMinutes);
        Assert.Empty(coverage.UncoveredSteps);
        Assert.Empty(coverage.StepsOverMax);
        Assert.Equal(
            [new InstanceLife("1", July, July, null, July + (60 * Minute)), new InstanceLife("2", July + (40 * Minute), July + (40 * Minute), null, July + (100 * Minute))],
            oracle.Lives);
        Assert.Equal([20, 40, 40, 20], new[] { 39, 40, 59, 60 }.Select(k => oracle.ServingCapacity[k]));
    }

    [Fact]
    public void Oracle_BootAndHealthCheck_LaunchesWholeRowsAheadAndNeverMissesTheSlo()
    {
        // 70 s from create to serving: 2 rows ahead. A noisy day: the plan still serves every row within the SLO.
        var rates = Enumerable.Range(0, 1440).Select(m => 40 + (35 * Math.Sin(m / 90.0)) + (m % 13 * 2.5)).ToArray();
        var load = new LoadTrace(July, Minute, rates);
        var options = Options();

        var (oracle, coverage) = Simulator.Oracle(load, min: 2, max: 16, options);

        Assert.Equal(0, oracle.SloViolationMinutes);
        Assert.Empty(coverage.UncoveredSteps);
        Assert.All(oracle.Lives, l => Assert.Equal(l.Created == July ? TimeSpan.Zero : 2 * Minute, l.Serving!.Value - l.Created));
        Assert.All(Enumerable.Range(0, 1440), k => Assert.True(oracle.ServingCapacity[k] / 20 >= Simulator.SloNeed(rates[k], options)));
        var billing = new HourlyBilling(options.Price!, TimeSpan.FromHours(1));
        Assert.Equal(oracle.BilledCost, oracle.Lives.Sum(l => billing.Cost(l.Created, l.Deleted ?? load.End)));
        Assert.Equal(1.0, oracle.RatioToOracle ?? 1.0);
    }

    [Fact]
    public void Oracle_DemandAboveMax_ServesMaxAndReportsTheRows()
    {
        var load = new LoadTrace(July, Minute, Runs((10, 30), (50, 5), (10, 25)));

        var (oracle, coverage) = Simulator.Oracle(load, min: 1, max: 2, Options(boot: 0, health: 0));

        Assert.Equal(Enumerable.Range(30, 5), coverage.UncoveredSteps);
        Assert.Equal(5, oracle.SloViolationMinutes); // 50 > 0.9 × 40
        Assert.Equal(2, oracle.BilledHours);
    }

    [Fact]
    public void Oracle_NoPrice_BillsInPeriodsOnly()
    {
        var load = new LoadTrace(July, Minute, Runs((10, 90)));

        var (oracle, _) = Simulator.Oracle(load, min: 1, max: 2, Options(hourly: null));

        Assert.Null(oracle.BilledCost);
        Assert.Equal(2, oracle.BilledPeriods);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(18, 1)]
    [InlineData(18.000001, 2)]
    [InlineData(36, 2)]
    [InlineData(161.9, 9)]
    public void SloNeed_IsTheFewestInstancesTheSloCheckAccepts(double load, int expected)
    {
        Assert.Equal(expected, Simulator.SloNeed(load, Options()));
    }

    [Fact]
    public void SloNeed_NeverCountedAsAViolation()
    {
        var options = Options();
        for (var load = 0.01; load < 400; load += 0.37)
        {
            var n = Simulator.SloNeed(load, options);
            Assert.False(Simulator.Violates(load, n * options.InstanceCapacity, options), $"load {load}, {n} instances");
            Assert.True(n == 0 || Simulator.Violates(load, (n - 1) * options.InstanceCapacity, options), $"load {load}, {n} instances");
        }
    }

    [Fact]
    public async Task RunPolicy_FixedPool_BillsTheWarmStartFromTheTraceStartUpToItsEnd()
    {
        // Two instances for 90 minutes: alive at the end, each billed 2 started hours.
        var pool = Pools.Web(min: 2, max: 2, Pools.Tracking());
        var request = Request(Runs((20, 90)), pool, Options());

        var result = await Simulator.RunPolicyAsync(request, new SimulationPolicy("fixed", pool), CancellationToken.None);

        Assert.Equal([new InstanceLife("1", July, July, null, null), new InstanceLife("2", July, July, null, null)], result.Lives);
        Assert.Equal(4 * 0.018m, result.BilledCost);
        Assert.Equal(4, result.BilledHours);
        Assert.Equal(3, result.InstanceHours, 9);
        Assert.Equal(1, result.PaidIdleHours, 9);
        Assert.Empty(result.RemovalEvents);
    }

    [Fact]
    public async Task RunPolicy_BurstTrackedUpAndDown_RecordsCreatedServingReleasedDeleted()
    {
        var rates = Runs((24, 10), (72, 20), (24, 40));
        var pool = Pools.Web(min: 1, max: 10, Pools.Tracking(target: 60, downWindowSeconds: 300));
        var request = Request(rates, pool, Options());

        var result = await Simulator.RunPolicyAsync(request, new SimulationPolicy("tt", pool), CancellationToken.None);

        var launched = result.Lives.Where(l => l.Created > July).ToList();
        Assert.NotEmpty(launched);
        Assert.All(launched, l => Assert.Equal(TimeSpan.FromSeconds(70), l.Serving!.Value - l.Created)); // boot 60 s + health 10 s, joined at once
        var removed = result.Lives.Where(l => l.Deleted is not null).ToList();
        Assert.NotEmpty(removed);
        Assert.All(removed, l => Assert.True(l.Released <= l.Deleted && l.Serving < l.Released, l.ToString()));
        Assert.Equal(removed.Count, result.RemovalEvents.Count(e => e.Kind == RemovalEventKind.Release));
        Assert.Equal(result.Lives.Count(l => l.Deleted is null), result.Instances[^1], 6);
        // Every life started inside the trace was billed at least one hour.
        Assert.True(result.BilledHours >= result.Lives.Count);
    }

    [Fact]
    public async Task RunAsync_PolicySharingAnEarlierPool_RunsOnceAndReportsBoth()
    {
        var rates = Enumerable.Range(0, 240).Select(m => 30 + (25 * Math.Sin(m / 20.0))).ToArray();
        var pool = Pools.Web(min: 1, max: 10, Pools.Tracking(target: 60));
        var request = Request(rates, pool, Options()) with
        {
            Policies = [new SimulationPolicy("a", pool), new SimulationPolicy("b", pool), new SimulationPolicy("c", pool with { Max = 9 })],
        };

        var report = await Simulator.RunAsync(request, CancellationToken.None);

        Assert.Equal(["a", "b", "c"], report.Policies.Select(p => p.Name));
        Assert.Equal(report.Policies[0] with { Name = "b" }, report.Policies[1]);
        Assert.All(report.All, p => Assert.True(p.BilledCost >= report.Oracle.BilledCost, p.Name));
        Assert.All(report.All, p => Assert.Equal((double)(p.BilledCost!.Value / report.Oracle.BilledCost!.Value), p.RatioToOracle!.Value, 9));
    }

    [Fact]
    public async Task RunAsync_ShorterBillingPeriod_BillsMorePeriodsOfTheSamePrice()
    {
        var rates = Runs((10, 30), (60, 20), (10, 70));
        var pool = Pools.Web(min: 1, max: 10, Pools.Tracking(target: 60));
        var hourly = await Simulator.RunAsync(Request(rates, pool, Options(monthly: null)), CancellationToken.None);
        var tenMinutes = await Simulator.RunAsync(Request(rates, pool, Options(monthly: null) with { BillingPeriod = TimeSpan.FromMinutes(10) }), CancellationToken.None);

        Assert.True(tenMinutes.Oracle.BilledPeriods > hourly.Oracle.BilledPeriods);
        Assert.Equal(tenMinutes.Oracle.BilledPeriods * 0.018m, tenMinutes.Oracle.BilledCost);
        Assert.True(tenMinutes.Oracle.BilledHours < hourly.Oracle.BilledHours, "shorter periods waste less");
        Assert.Equal(TimeSpan.FromMinutes(10), tenMinutes.BillingPeriod);
    }

    [Fact]
    public async Task RunAsync_PeriodNotAWholeNumberOfRows_Throws()
    {
        var request = Request([10, 10], Pools.Web(min: 1, max: 2), Options() with { BillingPeriod = TimeSpan.FromSeconds(90) });

        await Assert.ThrowsAsync<ArgumentException>(() => Simulator.RunAsync(request, CancellationToken.None));
    }

    [Fact]
    public async Task WriteInstancesCsv_OneRowPerLifeOfEveryResult()
    {
        var rates = Runs((24, 10), (72, 20), (24, 40));
        var report = await Simulator.RunAsync(Request(rates, Pools.Web(min: 1, max: 10, Pools.Tracking(target: 60)), Options()), CancellationToken.None);
        using var writer = new StringWriter();

        report.WriteInstancesCsv(writer);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("policy,id,created_s,serving_s,released_s,deleted_s", lines[0]);
        Assert.Equal(report.All.Sum(p => p.Lives.Count), lines.Length - 1);
        Assert.Contains(lines, l => l.StartsWith("target-tracking,1,0,0,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("oracle,1,0,0,", StringComparison.Ordinal));
        var launched = report.Policies[0].Lives.First(l => l.Created > July);
        var (created, serving) = ((long)(launched.Created - July).TotalSeconds, (long)(launched.Serving!.Value - July).TotalSeconds);
        Assert.Contains(lines, l => l.StartsWith(FormattableString.Invariant($"target-tracking,{launched.Id},{created},{serving},"), StringComparison.Ordinal));
    }

    [Fact]
    public void WriteInstancesCsv_FractionalSeconds_AreWrittenToTheMillisecond()
    {
        var report = Report(new InstanceLife("7", July + TimeSpan.FromMilliseconds(1500), July + TimeSpan.FromMilliseconds(61_020), July + TimeSpan.FromSeconds(120), null));
        using var writer = new StringWriter();

        report.WriteInstancesCsv(writer);

        Assert.Contains("p,7,1.5,61.02,120,\n", writer.ToString(), StringComparison.Ordinal);
    }

    private static SimulationRequest Request(double[] rates, Core.Configuration.PoolConfig pool, SimulationOptions options) => new()
    {
        Load = new LoadTrace(July, Minute, rates),
        Pool = pool,
        EvaluationInterval = TimeSpan.FromSeconds(15),
        Options = options,
    };

    private static SimulationReport Report(InstanceLife life)
    {
        var empty = new PolicyResult { Name = "none", InstanceHours = 0, SloViolationMinutes = 0, Actions = 0, Flaps = 0, ServingCapacity = [], Instances = [] };
        return new SimulationReport
        {
            Minutes = 10,
            Policies = [empty with { Name = "p", Lives = [life] }],
            Oracle = empty with { Name = "oracle" },
            OracleAtTarget = empty with { Name = "oracle-at-target" },
            Load = new LoadTrace(July, Minute, new double[10]),
            InstanceCapacity = 20,
            TargetUtilization = 0.6,
        };
    }
}

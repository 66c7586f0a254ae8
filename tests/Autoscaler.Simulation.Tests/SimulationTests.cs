using System.Text.Json;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Billing;
using Autoscaler.Core.Configuration;
using Autoscaler.Simulation;
using Autoscaler.Core.Signals.TargetTracking;

namespace Autoscaler.Simulation.Tests;

public sealed class SimulationTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static SimulationOptions Options(double target = 1.0, decimal? price = null) => new()
    {
        InstanceCapacity = 20,
        TargetUtilization = target,
        Price = price is { } p ? new InstancePrice(p) : null,
    };

    private static SimulationRequest Request(double[] rates, PoolConfig pool, SimulationOptions? options = null) => new()
    {
        Load = new LoadTrace(Pools.Epoch, Minute, rates),
        Pool = pool,
        EvaluationInterval = TimeSpan.FromSeconds(15),
        Options = options ?? Options(),
    };

    [Fact]
    public void OracleAtTarget_StepUpAndDown_LaunchesBootTimeAheadAndBillsEveryStartedHour()
    {
        // capacity × target = 10 requests/s per instance: need 1, 1, 3, 3, 1, 1.
        var load = new LoadTrace(Pools.Epoch, Minute, [10, 10, 30, 30, 10, 10]);
        var options = Options(target: 0.5, price: 0.5m) with { BootTime = TimeSpan.FromSeconds(50), HealthCheckDelay = TimeSpan.FromSeconds(10) };

        var oracle = Simulator.OracleAtTarget(load, min: 1, max: 10, options);

        // One instance for 6 minutes; two more from 60 s (a minute before they serve at 120 s) to 240 s.
        Assert.Equal((360 + (2 * 180)) / 3600.0, oracle.InstanceHours, 9);
        Assert.Equal(0, oracle.SloViolationMinutes);
        Assert.Equal([new ScalingAction(Pools.Epoch + Minute, true), new ScalingAction(Pools.Epoch + (4 * Minute), false)], oracle.ActionLog);
        Assert.Equal(2, oracle.Actions);
        Assert.Equal(1, oracle.Flaps); // down 3 minutes after up
        // Three instances, each billed one started hour.
        Assert.Equal(3 * 0.5m, oracle.BilledCost);
        Assert.Equal(3, oracle.BilledHours);
        Assert.Equal(3 - oracle.InstanceHours + (2 * 60 / 3600.0), oracle.PaidIdleHours, 9); // the two boot 60 s before they serve
        Assert.Equal([20, 20, 60, 60, 20, 20], oracle.ServingCapacity);
        Assert.Equal([1, 3, 3, 3, 1, 1], oracle.Instances);
    }

    [Fact]
    public void OracleAtTarget_GapShorterThanTheBootTime_KeepsTheInstanceInsteadOfRelaunching()
    {
        // Need 2, 1, 2: relaunching for the third minute would cost the 70 s lead; keeping it costs the 60 s gap.
        var load = new LoadTrace(Pools.Epoch, Minute, [20, 10, 20]);

        var oracle = Simulator.OracleAtTarget(load, min: 1, max: 10, Options(target: 0.5));

        Assert.Equal(2 * 180 / 3600.0, oracle.InstanceHours, 9);
        Assert.Equal(0, oracle.Actions);
        Assert.Equal([40, 20, 40], oracle.ServingCapacity);
    }

    [Fact]
    public void OracleAtTarget_NeedAboveMax_IsCappedAndCountsViolations()
    {
        var load = new LoadTrace(Pools.Epoch, Minute, [10, 50, 10]);

        var oracle = Simulator.OracleAtTarget(load, min: 1, max: 2, Options());

        // Two instances serve 40 requests/s: 50 > 0.9 × 40.
        Assert.Equal(1, oracle.SloViolationMinutes);
        Assert.Equal([20, 40, 20], oracle.ServingCapacity);
    }

    [Theory]
    [InlineData(0, 1, 5, 1)]
    [InlineData(12, 1, 5, 1)]
    [InlineData(12.01, 1, 5, 2)]
    [InlineData(59.9, 1, 5, 5)]
    [InlineData(0, 2, 5, 2)]
    public void TargetNeed_RoundsUpWithinBounds(double load, int min, int max, int expected)
    {
        Assert.Equal(expected, Simulator.TargetNeed(load, min, max, Options(target: 0.6)));
    }

    [Fact]
    public void CountFlaps_CountsReversalsWithinTheWindowOnly()
    {
        var t = Pools.Epoch;
        ScalingAction[] actions =
        [
            new(t, true),
            new(t + TimeSpan.FromMinutes(5), false),  // flap
            new(t + TimeSpan.FromMinutes(15), true),  // flap (exactly 10 min)
            new(t + TimeSpan.FromMinutes(16), true),  // same direction
            new(t + TimeSpan.FromMinutes(27), false), // 11 min later: not a flap
        ];

        Assert.Equal(2, Simulator.CountFlaps(actions, TimeSpan.FromMinutes(10)));
        Assert.Equal(0, Simulator.CountFlaps([], TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public void ScaleForPeakInstances_PeakNeedsExactlyNInstancesAtTarget()
    {
        var trace = new LoadTrace(Pools.Epoch, Minute, [1, 6, 3]);

        var k = Simulator.ScaleForPeakInstances(trace, 12, capacity: 20, targetUtilization: 0.6);

        Assert.Equal(24, k, 9);
        var scaled = trace.Scale(k);
        Assert.Equal(144, scaled.Peak, 9);
        Assert.Equal(12, Simulator.TargetNeed(scaled.Peak, 1, 20, Options(target: 0.6)));
    }

    [Fact]
    public async Task RunPolicy_FixedSize_CountsMinutesOverNinetyPercentOfCapacity()
    {
        // One instance serves 20 requests/s; the SLO breaks above 18.
        var request = Request([10, 19, 17, 25], Pools.Web(min: 1, max: 1, Pools.Tracking()));

        var result = await Simulator.RunPolicyAsync(request, new SimulationPolicy("fixed", request.Pool), CancellationToken.None);

        Assert.Equal(2, result.SloViolationMinutes);
        Assert.Equal(4 / 60.0, result.InstanceHours, 9);
        Assert.Equal([20, 20, 20, 20], result.ServingCapacity);
        Assert.Equal([1, 1, 1, 1], result.Instances);
        Assert.Equal(0, result.Actions);
    }

    [Fact]
    public async Task RunPolicy_SeedThreshold_ModelsScrapeRuleForGroupWaitBootAndHealthCheck()
    {
        // One instance at 95 % CPU. Scrapes and rule evaluations every 15 s from 0: the first rate needs two scrapes
        // (15 s), PoolCpuHigh is pending from 15 s and fires at 75 s (for: 1m), Alertmanager sends it after group_wait
        // (85 s), the engine's next cycle (90 s) steps up; the instance runs at 150 s, is joined by that cycle and
        // serves after the 10 s health check (160 s).
        var request = Request([19, 19, 19, 19, 19], Pools.Web(min: 1, max: 3), Options() with { BootTime = TimeSpan.FromSeconds(60) });
        var policy = SimulationPolicy.SeedThreshold(request.Pool, new CpuAlertRules());

        var result = await Simulator.RunPolicyAsync(request, policy, CancellationToken.None);

        Assert.Equal([new ScalingAction(Pools.Epoch + TimeSpan.FromSeconds(90), true)], result.ActionLog);
        Assert.Equal([20, 20, 26.666667, 40, 40], result.ServingCapacity.Select(c => Math.Round(c, 6))); // 40 s of one, 20 s of two
        Assert.Equal(2, result.SloViolationMinutes); // 19 > 18 until the second instance serves
        Assert.Equal((300 + 210) / 3600.0, result.InstanceHours, 9);
        Assert.Equal(0, result.Flaps);
    }

    [Fact]
    public void Defaults_BootTime_IsLinodesRecordedCreateToRunning()
    {
        // linode_create of a nanode about 65 s (SUBSET.md §13), as the emulator's realistic profile (41 s + 24 s).
        Assert.Equal(TimeSpan.FromSeconds(65), Options().BootTime);
        Assert.Equal(TimeSpan.FromSeconds(65), new SimulateSettings().BootTime);
    }

    [Fact]
    public async Task RunPolicy_TargetTracking_ScalesUpProportionallyAndBackDownAfterStabilization()
    {
        // 2 instances at 60 % (target); the load triples for 20 minutes: ceil(2 × 180/60) = 6, then back to 2.
        var rates = Enumerable.Repeat(24.0, 10).Concat(Enumerable.Repeat(72.0, 20)).Concat(Enumerable.Repeat(24.0, 30)).ToArray();
        // billing: none, so the capacity leaves when the stabilization allows, not at the end of its paid hour.
        var pool = SimulationPolicy.WithoutBilling(Pools.Web(min: 1, max: 10, Pools.Tracking(target: 60, downWindowSeconds: 300)));
        var request = Request(rates, pool, Options(target: 0.6));

        var result = await Simulator.RunPolicyAsync(request, new SimulationPolicy("tt", pool), CancellationToken.None);

        Assert.Equal(40, result.ServingCapacity[0]);
        Assert.Equal(120, result.ServingCapacity[25]); // 72 requests/s at 60 % of 20 per instance
        Assert.Equal(40, result.ServingCapacity[^1]);
        Assert.True(result.ScaleUps >= 1 && result.ScaleDowns >= 1, $"{result.ScaleUps} up, {result.ScaleDowns} down");
        Assert.InRange(result.SloViolationMinutes, 1, 3); // until the new capacity serves (about two minutes)
        Assert.True(result.ActionLog.All(a => a.At - Pools.Epoch >= TimeSpan.FromMinutes(10)));
        var firstDownAfterFall = result.ActionLog.First(a => !a.Up && a.At - Pools.Epoch >= TimeSpan.FromMinutes(30)).At - Pools.Epoch;
        Assert.True(firstDownAfterFall >= TimeSpan.FromMinutes(35), $"scale-down at {firstDownAfterFall}, within the 5 min stabilization after the load fell at 30 min");
    }

    [Fact]
    public async Task RunAsync_SameInputs_SameReport()
    {
        var rates = Enumerable.Range(0, 600).Select(m => 30 + (25 * Math.Sin(m / 40.0)) + (m % 7 * 3)).ToArray();
        var pool = Pools.Web(min: 1, max: 10, Pools.Tracking(target: 60));
        var request = Request(rates, pool, Options(target: 0.6, price: 0.018m));

        var first = await Simulator.RunAsync(request, CancellationToken.None);
        var second = await Simulator.RunAsync(request, CancellationToken.None);

        Assert.Equal(Json(first), Json(second));
        Assert.Equal(["target-tracking", "target-tracking-unaware", "seed-threshold", "target-tracking-forecast"], first.Policies.Select(p => p.Name));
        Assert.Equal(600, first.Minutes);
        Assert.All(first.All, p => Assert.True(p.BilledCost >= first.Oracle.BilledCost, $"{p.Name} bills {p.BilledCost}, below the oracle's {first.Oracle.BilledCost}"));
        Assert.Equal(0, first.Oracle.SloViolationMinutes);
    }

    [Fact]
    public async Task WriteJson_HasTheIssueShape()
    {
        var request = Request([10, 30, 10], Pools.Web(min: 1, max: 3, Pools.Tracking(target: 60)), Options(target: 0.6));
        var report = await Simulator.RunAsync(request, CancellationToken.None);

        using var doc = JsonDocument.Parse(Json(report));

        var root = doc.RootElement;
        Assert.Equal(["minutes", "traceStart", "billing", "policies", "oracle", "oracleAtTarget", "forecast"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, root.GetProperty("minutes").GetDouble());
        Assert.Equal("2026-03-02T12:00:00.000Z", root.GetProperty("traceStart").GetString());
        Assert.Equal(["periodSeconds", "hourly", "monthly"], root.GetProperty("billing").EnumerateObject().Select(p => p.Name));
        Assert.Equal(3600, root.GetProperty("billing").GetProperty("periodSeconds").GetDouble());
        string[] fields = ["name", "billedCost", "ratioToOracle", "billedHours", "instanceHours", "paidIdleHours", "sloViolationMinutes", "actions", "flaps"];
        Assert.All(root.GetProperty("policies").EnumerateArray(),
            p => Assert.Equal([.. fields, "violationMinutesAfterRise", "violationBurstMinutes"], p.EnumerateObject().Select(f => f.Name)));
        Assert.Equal(fields, root.GetProperty("oracleAtTarget").EnumerateObject().Select(f => f.Name));
        Assert.Equal([.. fields, "uncoveredSteps", "stepsOverMax"], root.GetProperty("oracle").EnumerateObject().Select(f => f.Name));
        Assert.Equal("oracle", root.GetProperty("oracle").GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("oracle").GetProperty("billedCost").ValueKind); // no price given
        Assert.Equal(JsonValueKind.Null, root.GetProperty("billing").GetProperty("hourly").ValueKind);
        Assert.Equal(1, root.GetProperty("oracle").GetProperty("ratioToOracle").GetDouble());
    }

    [Fact]
    public void Options_Validate_ReportsEveryProblem()
    {
        var options = new SimulationOptions
        {
            InstanceCapacity = 0,
            TargetUtilization = 1.5,
            Price = new InstancePrice(-1),
            BillingPeriod = TimeSpan.Zero,
            BootTime = TimeSpan.FromSeconds(-1),
            ScrapeInterval = TimeSpan.FromMinutes(1),
            AlertRules = new CpuAlertRules { HighPercent = 20, LowPercent = 30 },
        };

        var errors = options.Validate();

        Assert.Contains(errors, e => e.StartsWith("instance capacity", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("target utilisation", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("hourly price", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("billing period", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("boot time", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("the rate window", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("the low CPU threshold", StringComparison.Ordinal));
    }

    [Fact]
    public void Monitoring_FiringAlert_IsSentAfterGroupWaitRepeatedAndResolved()
    {
        var clock = new SimulationClock(Pools.Epoch);
        var store = new AlertStateStore(clock);
        var model = new MonitoringModel("web", new CpuAlertRules(), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), store, clock);
        var sent = new List<(int Second, AlertStatus Status)>();

        for (var s = 0; s <= 900; s += 5)
        {
            clock.Now = Pools.Epoch + TimeSpan.FromSeconds(s);
            var now = clock.Now.UtcTicks;
            if (s % 15 == 0)
            {
                model.Evaluate(now, s < 600 ? 90 : 50);
            }

            var before = model.Notifications;
            if (model.NextFlush <= now)
            {
                model.Flush(now);
            }

            if (model.Notifications > before)
            {
                sent.Add((s, store.Snapshot().Single().Status));
            }
        }

        // Pending at 0, firing at 60, first notification at 70, repeats on group_interval ticks once 5 min passed,
        // resolved at 600 and sent on the next tick.
        Assert.Equal([(70, AlertStatus.Firing), (370, AlertStatus.Firing), (610, AlertStatus.Resolved)], sent);
        var alert = store.Snapshot().Single();
        Assert.Equal(("PoolCpuHigh", "web"), (alert.AlertName, alert.Labels["pool"]));
        Assert.Equal(Pools.Epoch, alert.StartsAt);
    }

    [Fact]
    public async Task Monitoring_NoData_NeverFiresTheLowAlert()
    {
        var clock = new SimulationClock(Pools.Epoch);
        var store = new AlertStateStore(clock);
        var model = new MonitoringModel("web", new CpuAlertRules(), TimeSpan.Zero, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), store, clock);

        for (var s = 0; s <= 900; s += 15)
        {
            clock.Now = Pools.Epoch + TimeSpan.FromSeconds(s);
            model.Evaluate(clock.Now.UtcTicks, null);
            model.Flush(clock.Now.UtcTicks);
        }

        Assert.Equal(0, model.Notifications);
        Assert.True((await model.ReadAsync(new("web", new Uri("http://127.0.0.1:9090"), "q"), CancellationToken.None)).IsMissing);
    }

    private static string Json(SimulationReport report)
    {
        using var stream = new MemoryStream();
        report.WriteJson(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}

using Autoscaler.Core.Providers.Virtual;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;
using Autoscaler.Simulation;
using Autoscaler.Core.Signals.Alerts;
using Autoscaler.Core.Signals.Schedule;
using Autoscaler.Core.Signals.TargetTracking;

namespace Autoscaler.Core.Tests;

public sealed class EngineTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Cycle_NewPool_StartsAtMinAndServesIt()
    {
        var h = new Harness(Pools.Web(min: 2));

        await h.CycleAsync();
        var took = await h.RunUntilAsync(() => h.Serving == 2, TimeSpan.FromMinutes(5));

        Assert.Equal(2, h.Desired);
        Assert.Equal(2, h.Cloud!.Launches);
        Assert.True(took >= TimeSpan.FromSeconds(70), $"served after {took}");
    }

    [Fact]
    public async Task AlertUp_Firing_StepsOnceThenHoldsWhileBooting()
    {
        var h = new Harness(Pools.Web(min: 2, max: 10, Pools.Up()));
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 2, TimeSpan.FromMinutes(5));
        h.Fire("PoolCpuHigh");

        var first = await h.RunAsync(Step);
        var booting = await h.RunAsync(TimeSpan.FromSeconds(50));

        Assert.Equal((DecisionAction.ScaleUp, 3), (first[0].Action, first[0].Desired));
        Assert.Contains("PoolCpuHigh firing: 2 serving + 1 → 3", first[0].Reason, StringComparison.Ordinal);
        Assert.All(booting, d => Assert.Equal((DecisionAction.Hold, SkipReason.InFlight), (d.Action, d.Skip)));
        Assert.Equal(3, h.Cloud!.Launches);
    }

    [Fact]
    public async Task ScaleUpCooldown_StartsWhenNewCapacityServes_NotWhenLaunched()
    {
        var config = Pools.Web(min: 1, max: 10, Pools.Up());
        var h = new Harness(config with { Health = config.Health with { Grace = TimeSpan.FromMinutes(6) } }, cloud: new VirtualCloudOptions { BootTime = TimeSpan.FromMinutes(5) });
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 1, TimeSpan.FromMinutes(10));
        h.Fire("PoolCpuHigh");

        var decisions = await h.RunAsync(TimeSpan.FromMinutes(12));

        var ups = decisions.Where(d => d.Action == DecisionAction.ScaleUp).ToList();
        Assert.True(ups.Count >= 2);
        var launched = ups[0].At;
        var servedAt = launched + TimeSpan.FromSeconds(10 + 300 + 10); // provision + boot + health check after joining
        Assert.InRange(ups[1].At, servedAt + TimeSpan.FromSeconds(60), servedAt + TimeSpan.FromSeconds(70));
        var between = decisions.Where(d => d.At > launched && d.At < ups[1].At).ToList();
        Assert.Contains(between, d => d.Skip == SkipReason.InFlight);
        Assert.Contains(between, d => d.Skip == SkipReason.Cooldown);
        Assert.DoesNotContain(between, d => d.Skip == SkipReason.Cooldown && d.At < servedAt);
    }

    [Fact]
    public async Task ScaleDown_CooldownStartsWhenRemovalFinished()
    {
        var config = Pools.Web(min: 1, max: 10, Pools.Down());
        var h = new Harness(config with { Desired = 4 });
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 4, TimeSpan.FromMinutes(5));
        await h.RunAsync(TimeSpan.FromSeconds(300)); // let the cooldown after the initial fill pass
        h.Fire("PoolCpuLow");

        var decisions = await h.RunAsync(TimeSpan.FromMinutes(8));

        var downs = decisions.Where(d => d.Action == DecisionAction.ScaleDown).ToList();
        Assert.Equal(2, downs.Count);
        var removedAt = h.Log.Operations.First(e => e.Kind == OperationKind.Remove && e.Type == OperationEventType.Succeeded).At;
        Assert.InRange(removedAt, downs[0].At + TimeSpan.FromSeconds(30), downs[0].At + TimeSpan.FromSeconds(40));
        Assert.InRange(downs[1].At, removedAt + TimeSpan.FromSeconds(300), removedAt + TimeSpan.FromSeconds(310));
        Assert.Contains(decisions, d => d.Skip == SkipReason.InFlight && d.At < removedAt);
        Assert.Contains(decisions, d => d.Skip == SkipReason.Cooldown && d.At > removedAt);
        Assert.Equal(2, h.Desired);
    }

    [Fact]
    public async Task ScaleUp_RightAfterScaleDown_IsNotDelayedByTheDownCooldown()
    {
        var h = new Harness(Pools.Web(min: 1, max: 10, Pools.Up(), Pools.Down()) with { Desired = 3 });
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 3, TimeSpan.FromMinutes(5));
        await h.RunAsync(TimeSpan.FromSeconds(300));
        h.Fire("PoolCpuLow");
        await h.RunUntilAsync(() => h.Cloud!.Instances.Count == 2, TimeSpan.FromMinutes(2));
        h.Resolve("PoolCpuLow", Pools.Epoch);
        h.Fire("PoolCpuHigh");

        var next = await h.RunAsync(Step);

        Assert.Equal((DecisionAction.ScaleUp, 3), (next[0].Action, next[0].Desired));
    }

    [Fact]
    public async Task ScaleDown_RightAfterScaleUpServed_WaitsTheDownCooldown()
    {
        var h = new Harness(Pools.Web(min: 1, max: 10, Pools.Up(), Pools.Down()) with { Desired = 2 });
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 2, TimeSpan.FromMinutes(5));
        h.Fire("PoolCpuHigh");
        await h.RunUntilAsync(() => h.Serving == 3, TimeSpan.FromMinutes(5));
        var servedAt = h.Now;
        h.Resolve("PoolCpuHigh", Pools.Epoch);
        h.Fire("PoolCpuLow");

        var decisions = await h.RunAsync(TimeSpan.FromMinutes(6));

        var down = decisions.First(d => d.Action == DecisionAction.ScaleDown);
        Assert.InRange(down.At, servedAt + TimeSpan.FromSeconds(290), servedAt + TimeSpan.FromSeconds(310));
        Assert.Contains(decisions, d => d.Skip == SkipReason.Cooldown && d.Direction == Core.ScaleDirection.Down);
    }

    [Fact]
    public async Task AlertUp_AtMax_HoldsAtMax()
    {
        var h = new Harness(Pools.Web(min: 2, max: 2, Pools.Up()));
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 2, TimeSpan.FromMinutes(5));
        h.Fire("PoolCpuHigh");

        var d = (await h.RunAsync(Step))[0];

        Assert.Equal((DecisionAction.Hold, SkipReason.AtMax, 2), (d.Action, d.Skip, d.Desired));
        Assert.Equal(1, h.Engine.GetStatus("web").Counters.Skips[SkipReason.AtMax]);
    }

    [Fact]
    public async Task AlertDown_AtMin_HoldsAtMin()
    {
        var h = new Harness(Pools.Web(min: 2, max: 5, Pools.Down()));
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 2, TimeSpan.FromMinutes(5));
        h.Fire("PoolCpuLow");

        var d = (await h.RunAsync(Step))[0];

        Assert.Equal((DecisionAction.Hold, SkipReason.AtMin, 2), (d.Action, d.Skip, d.Desired));
        Assert.Equal(0, h.Cloud!.Removals);
    }

    [Fact]
    public async Task TargetTracking_WantsMoreThanMax_IsCappedAtMax()
    {
        var h = new Harness(Pools.Web(min: 2, max: 5, Pools.Tracking(50)));
        h.Metrics.Reading = MetricReading.Of(50);
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 2, TimeSpan.FromMinutes(5));
        h.Metrics.Reading = MetricReading.Of(400); // 2 × 8 = 16

        var d = (await h.RunAsync(Step))[0];

        Assert.Equal((DecisionAction.ScaleUp, 5), (d.Action, d.Desired));
        Assert.Contains("capped at the maximum 5", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TargetTracking_DesiredGrowsBeyondInFlight_ScalesFurtherWhileBooting()
    {
        var h = new Harness(Pools.Web(min: 2, max: 20, Pools.Tracking(50)));
        h.Metrics.Reading = MetricReading.Of(50);
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 2, TimeSpan.FromMinutes(5));

        h.Metrics.Reading = MetricReading.Of(100);
        var first = (await h.RunAsync(Step))[0];
        var same = (await h.RunAsync(Step))[0];
        h.Metrics.Reading = MetricReading.Of(200);
        var more = (await h.RunAsync(Step))[0];

        Assert.Equal((DecisionAction.ScaleUp, 4), (first.Action, first.Desired));
        Assert.Equal((DecisionAction.None, 4), (same.Action, same.Desired));
        Assert.Contains("ceil(2 × 2) = 4", same.Reason, StringComparison.Ordinal);
        Assert.Equal((DecisionAction.ScaleUp, 8), (more.Action, more.Desired));
        Assert.Equal(8, h.Cloud!.Instances.Count);
    }

    [Fact]
    public async Task Schedule_ActiveWindow_RaisesMinAtOnceAndReleasesItAfter()
    {
        // Windows at every full hour for 30 minutes; the epoch is 12:00:00, so one starts right away.
        var schedule = new ScheduleConfig { Cron = "0 * * * *", Duration = TimeSpan.FromMinutes(30), Min = 4 };
        var h = new Harness(Pools.Web(min: 2, max: 10, schedule, Pools.Tracking(50)));
        h.Metrics.Reading = MetricReading.Of(10);

        var first = await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 4, TimeSpan.FromMinutes(5));
        var inside = await h.RunAsync(TimeSpan.FromMinutes(20));
        var after = await h.RunAsync(TimeSpan.FromMinutes(20));

        Assert.Equal((DecisionAction.ScaleUp, 4, 4), (first.Action, first.Desired, first.Min));
        Assert.Contains("below the minimum 4 (signals[0] schedule active)", first.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(inside, d => d.Action == DecisionAction.ScaleDown);
        Assert.All(inside, d => Assert.Equal(4, d.Min));
        Assert.Contains(inside, d => d.Skip == SkipReason.AtMin);
        Assert.Contains(after, d => d.Action == DecisionAction.ScaleDown && d.Min == 2);
        Assert.Equal(2, h.Desired);
    }

    [Fact]
    public async Task GetStatus_ActiveScheduleWindow_ReportsEffectiveBoundsThenConfiguredAfter()
    {
        // Windows at every full hour for 30 minutes; the epoch is 12:00:00, so one is active right away.
        var schedule = new ScheduleConfig { Cron = "0 * * * *", Duration = TimeSpan.FromMinutes(30), Min = 4, Max = 12 };
        var h = new Harness(Pools.Web(min: 2, max: 10, schedule));

        var beforeFirstCycle = h.Engine.GetStatus("web");
        await h.CycleAsync();
        var inside = h.Engine.GetStatus("web");
        h.Time.Advance(TimeSpan.FromMinutes(31));
        var after = h.Engine.GetStatus("web");

        Assert.Equal((4, 12), (beforeFirstCycle.Min, beforeFirstCycle.Max));
        Assert.Equal((4, 12, 4), (inside.Min, inside.Max, inside.Desired));
        Assert.Equal((2, 10), (after.Min, after.Max));
    }

    [Fact]
    public async Task Combined_UpAndDownAlertsFiring_UpWins()
    {
        var h = new Harness(Pools.Web(min: 1, max: 10, Pools.Down(), Pools.Up()) with { Desired = 3 });
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 3, TimeSpan.FromMinutes(5));
        h.Fire("PoolCpuLow");
        h.Fire("PoolCpuHigh");

        var d = (await h.RunAsync(Step))[0];

        Assert.Equal((DecisionAction.ScaleUp, 4), (d.Action, d.Desired));
        Assert.Contains("scale-up beats signals[0] alert PoolCpuLow (down)", d.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Combined_SeveralUps_HighestDesiredWins()
    {
        var h = new Harness(Pools.Web(min: 1, max: 20, Pools.Up(), Pools.Tracking(50)) with { Desired = 3 });
        h.Metrics.Reading = MetricReading.Of(50);
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 3, TimeSpan.FromMinutes(5));
        h.Fire("PoolCpuHigh");
        h.Metrics.Reading = MetricReading.Of(110); // ceil(3 × 2.2) = 7 beats the alert's 4

        var d = (await h.RunAsync(Step))[0];

        Assert.Equal((DecisionAction.ScaleUp, 7), (d.Action, d.Desired));
        Assert.Equal(2, d.Recommendations.Count(r => r.Direction == Core.ScaleDirection.Up));
    }

    [Fact]
    public async Task Combined_SeveralDowns_MostConservativeWins()
    {
        var config = Pools.Web(min: 1, max: 20, Pools.Down(), Pools.Tracking(50, downWindowSeconds: 0)) with { Desired = 6 };
        config = config with { ScaleDown = config.ScaleDown with { Step = 1 } };
        var h = new Harness(config);
        h.Metrics.Reading = MetricReading.Of(50);
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 6, TimeSpan.FromMinutes(5));
        await h.RunAsync(TimeSpan.FromSeconds(300));
        h.Fire("PoolCpuLow");          // wants 5
        h.Metrics.Reading = MetricReading.Of(10); // wants ceil(6 × 0.2) = 2

        var d = (await h.RunAsync(Step))[0];

        Assert.Equal((DecisionAction.ScaleDown, 5), (d.Action, d.Desired));
    }

    [Fact]
    public async Task MissingData_WithDownAlertFiring_HoldsAndCounts()
    {
        var h = new Harness(Pools.Web(min: 1, max: 10, Pools.Down(), Pools.Tracking(50)) with { Desired = 3 });
        h.Metrics.Reading = MetricReading.Of(50);
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 3, TimeSpan.FromMinutes(5));
        await h.RunAsync(TimeSpan.FromSeconds(300));
        h.Fire("PoolCpuLow");
        h.Metrics.Reading = MetricReading.Missing("Prometheus unreachable");
        var before = h.Engine.GetStatus("web").Counters.Skips.GetValueOrDefault(SkipReason.MissingData);

        var decisions = await h.RunAsync(TimeSpan.FromMinutes(10));

        Assert.All(decisions, d => Assert.Equal((DecisionAction.Hold, SkipReason.MissingData), (d.Action, d.Skip)));
        Assert.Contains("Prometheus unreachable", decisions[0].Reason, StringComparison.Ordinal);
        Assert.Equal(before + decisions.Count, h.Engine.GetStatus("web").Counters.Skips[SkipReason.MissingData]);
        Assert.Equal(3, h.Cloud!.Instances.Count);
    }

    [Fact]
    public async Task MissingData_NaNAlone_HoldsAndNeverScalesDown()
    {
        var h = new Harness(Pools.Web(min: 1, max: 10, Pools.Tracking(50)) with { Desired = 3 });
        h.Metrics.Reading = MetricReading.Of(50);
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 3, TimeSpan.FromMinutes(5));
        h.Metrics.Reading = MetricReading.Of(double.NaN);

        var decisions = await h.RunAsync(TimeSpan.FromMinutes(10));

        Assert.All(decisions, d => Assert.Equal(SkipReason.MissingData, d.Skip));
        Assert.Equal(3, h.Desired);
        Assert.Equal(0, h.Cloud!.Removals);
    }

    [Fact]
    public async Task MissingData_UpAlertStillScalesUp()
    {
        var h = new Harness(Pools.Web(min: 1, max: 10, Pools.Up(), Pools.Tracking(50)) with { Desired = 2 });
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 2, TimeSpan.FromMinutes(5));
        h.Metrics.Reading = MetricReading.Missing("empty result");
        h.Fire("PoolCpuHigh");

        var d = (await h.RunAsync(Step))[0];

        Assert.Equal((DecisionAction.ScaleUp, 3), (d.Action, d.Desired));
    }

    [Fact]
    public async Task DryRun_RecordsDecisionsAndNeverCallsThePool()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Pools.Epoch);
        var pool = new FakeInstancePool(time);
        pool.Add("web-a", Pools.Epoch - TimeSpan.FromHours(1));
        pool.Add("web-b", Pools.Epoch - TimeSpan.FromHours(1));
        pool.Orphans.Add(new OrphanNode("n9", "192.168.9.9:80", null));
        var h = new Harness(Pools.Web(min: 1, max: 10, Pools.Up()), pool, dryRun: true, time: time);
        h.Fire("PoolCpuHigh");

        var decisions = await h.RunAsync(TimeSpan.FromMinutes(3));

        Assert.All(decisions, d => Assert.Equal((DecisionAction.DryRun, SkipReason.DryRun, 3), (d.Action, d.Skip, d.Desired)));
        Assert.StartsWith("dry run: ", decisions[0].Reason, StringComparison.Ordinal);
        Assert.Equal(decisions.Count, h.Log.Decisions.Count);
        Assert.Empty(pool.Mutations);
        Assert.Equal(2, h.Desired);
    }

    [Fact]
    public async Task SetDryRun_SwitchedAtRunTime_DecidesOnlyWhileOnThenActsAgain()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Pools.Epoch);
        var pool = new FakeInstancePool(time);
        pool.Add("web-a", Pools.Epoch - TimeSpan.FromHours(1));
        pool.Add("web-b", Pools.Epoch - TimeSpan.FromHours(1));
        var h = new Harness(Pools.Web(min: 1, max: 10, Pools.Up()), pool, time: time);
        Assert.False(h.Engine.IsDryRun("web"));

        h.Engine.SetDryRun("web", true);
        h.Fire("PoolCpuHigh");
        var dry = (await h.RunAsync(Step))[0];
        var manual = await h.Engine.SetDesiredAsync("web", 5, CancellationToken.None);

        Assert.True(h.Engine.IsDryRun("web"));
        Assert.False(h.Engine.DryRun);
        Assert.Equal((DecisionAction.DryRun, SkipReason.DryRun, 3), (dry.Action, dry.Skip, dry.Desired));
        Assert.Equal(DecisionAction.DryRun, manual.Decision!.Action);
        Assert.Empty(pool.Mutations);
        Assert.Equal(2, h.Desired);

        h.Engine.SetDryRun("web", false);
        var live = (await h.RunAsync(Step))[0];

        Assert.Equal((DecisionAction.ScaleUp, 3), (live.Action, live.Desired));
        Assert.NotEmpty(pool.Mutations);
    }

    [Fact]
    public async Task SetDesired_WithinBounds_AppliesAndRecords()
    {
        var h = new Harness(Pools.Web(min: 1, max: 5));
        await h.CycleAsync();

        var result = await h.Engine.SetDesiredAsync("web", 4, CancellationToken.None);
        await h.RunUntilAsync(() => h.Serving == 4, TimeSpan.FromMinutes(5));

        Assert.True(result.Accepted);
        Assert.Equal((DecisionAction.ScaleUp, 4, "manual: desired set to 4"), (result.Decision!.Action, result.Decision.Desired, result.Decision.Reason));
        Assert.Equal(4, h.Desired);
        Assert.Contains(h.Log.Decisions, d => d.Reason == "manual: desired set to 4");
    }

    [Fact]
    public async Task SetDesired_OutsideBounds_IsRejected()
    {
        var schedule = new ScheduleConfig { Cron = "0 * * * *", Duration = TimeSpan.FromMinutes(30), Min = 3 };
        var h = new Harness(Pools.Web(min: 1, max: 5, schedule));
        await h.CycleAsync();

        var tooMany = await h.Engine.SetDesiredAsync("web", 6, CancellationToken.None);
        var belowSchedule = await h.Engine.SetDesiredAsync("web", 2, CancellationToken.None);
        var unknown = await h.Engine.SetDesiredAsync("nope", 2, CancellationToken.None);

        Assert.Equal((false, "desired 6 is outside min..max (3..5) of pool 'web'"), (tooMany.Accepted, tooMany.Message));
        Assert.Equal((false, "desired 2 is outside min..max (3..5) of pool 'web'"), (belowSchedule.Accepted, belowSchedule.Message));
        Assert.Equal((false, "unknown pool 'nope'"), (unknown.Accepted, unknown.Message));
        Assert.Equal(3, h.Desired);
    }

    [Fact]
    public async Task SnapshotFailure_HoldsCountsAndRecovers()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Pools.Epoch);
        var pool = new FakeInstancePool(time);
        var h = new Harness(Pools.Web(min: 1, max: 3), pool, time: time);
        pool.SnapshotFailure = new HttpRequestException("503 from the API");

        var failed = await h.CycleAsync();
        pool.SnapshotFailure = null;
        var ok = await h.CycleAsync();

        Assert.Equal((DecisionAction.Hold, SkipReason.SnapshotFailed), (failed.Action, failed.Skip));
        Assert.Contains("503 from the API", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(1, h.Engine.GetStatus("web").Counters.EvaluationErrors);
        Assert.NotEqual(DecisionAction.Hold, ok.Action);
        Assert.Single(pool.Calls, c => c.StartsWith("launch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Desired_SurvivesAnEngineRestartThroughTheJournal()
    {
        var h = new Harness(Pools.Web(min: 1, max: 10));
        await h.CycleAsync();
        await h.Engine.SetDesiredAsync("web", 5, CancellationToken.None);
        await h.RunUntilAsync(() => h.Serving == 5, TimeSpan.FromMinutes(5));

        var restarted = new Harness(h.Config, h.Cloud, journal: h.Journal, time: h.Time);
        await restarted.RunAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(5, restarted.Desired);
        Assert.Equal(5, h.Cloud!.Instances.Count);
    }

    [Fact]
    public async Task FirstCycle_ExistingMembersWithoutJournal_KeepsThemInsteadOfConfiguredDesired()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Pools.Epoch);
        var pool = new FakeInstancePool(time);
        for (var i = 0; i < 4; i++)
        {
            pool.Add($"web-{i}", Pools.Epoch - TimeSpan.FromHours(i + 1));
        }

        var h = new Harness(Pools.Web(min: 1, max: 10) with { Desired = 2 }, pool, time: time);
        await h.RunAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(4, h.Desired);
        Assert.Empty(pool.Mutations);
    }

    [Fact]
    public async Task FirstCycle_EmptyPool_UsesConfiguredDesired()
    {
        var h = new Harness(Pools.Web(min: 1, max: 10) with { Desired = 3 });

        await h.CycleAsync();

        Assert.Equal(3, h.Desired);
        Assert.Equal(3, h.Cloud!.Launches);
    }

    [Fact]
    public async Task ScaleDown_BlockedByProtectedMembers_DoesNotBlockLaterScaleDownsForever()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Pools.Epoch);
        var pool = new FakeInstancePool(time);
        pool.Add("web-a", Pools.Epoch - TimeSpan.FromHours(3), isProtected: true);
        pool.Add("web-b", Pools.Epoch - TimeSpan.FromHours(2), isProtected: true);
        pool.Add("web-c", Pools.Epoch - TimeSpan.FromHours(1));
        var h = new Harness(Pools.Web(min: 0, max: 10, Pools.Down()), pool, time: time);
        await h.CycleAsync();
        h.Fire("PoolCpuLow");

        var decisions = await h.RunAsync(TimeSpan.FromMinutes(20));

        // 3 → 2 removes web-c; 2 → 1 and 1 → 0 find only protected members, and each still counts as finished.
        Assert.Equal(["drain web-c", "remove web-c"], pool.Mutations);
        Assert.Equal([2, 1, 0], decisions.Where(d => d.Action == DecisionAction.ScaleDown).Select(d => d.Desired));
        Assert.Equal(2, pool.Members.Count);
    }
}

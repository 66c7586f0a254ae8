using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Signals;
using Autoscaler.Core.Signals.Alerts;
using Autoscaler.Core.Signals.Schedule;
using Autoscaler.Core.Signals.TargetTracking;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Core.Tests;

public sealed class SignalTests
{
    private static readonly DateTimeOffset T0 = Pools.Epoch;

    private static SignalContext Ctx(int desired, int serving, DateTimeOffset? now = null, int launching = 0) =>
        new("web", now ?? T0, desired, serving + launching, serving, launching, 1, 20);

    private static async Task<Recommendation> Track(TargetTrackingSignal signal, StubMetrics metrics, double value, SignalContext ctx)
    {
        metrics.Reading = MetricReading.Of(value);
        return await signal.EvaluateAsync(ctx, CancellationToken.None);
    }

    [Theory]
    [InlineData(3, 90, 60, 5)] // ceil(3 × 1.5) = 5
    [InlineData(4, 80, 60, 6)] // ceil(5.33)
    [InlineData(3, 80, 60, 4)] // exactly 4, not 5
    [InlineData(10, 20, 60, 4)] // ceil(3.33)
    public async Task TargetTracking_OutsideTolerance_UsesHpaFormula(int serving, double metric, double target, int expected)
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(target, downWindowSeconds: 0), metrics);

        var rec = await Track(signal, metrics, metric, Ctx(serving, serving));

        Assert.Equal(expected, rec.Desired);
        Assert.Equal(expected > serving ? ScaleDirection.Up : ScaleDirection.Down, rec.Direction);
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), rec.Inputs["raw_desired"]);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(55)]
    [InlineData(66)]
    [InlineData(54)]
    public async Task TargetTracking_WithinTolerance_Holds(double metric)
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(60, tolerance: 0.1, downWindowSeconds: 0), metrics);

        var rec = await Track(signal, metrics, metric, Ctx(4, 4));

        Assert.Equal(ScaleDirection.Hold, rec.Direction);
        Assert.Equal(4, rec.Desired);
        Assert.Contains("within 10% of target 60", rec.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TargetTracking_JustOutsideTolerance_Scales()
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(60, tolerance: 0.1, downWindowSeconds: 0), metrics);

        var rec = await Track(signal, metrics, 66.1, Ctx(10, 10));

        Assert.Equal((ScaleDirection.Up, 12), (rec.Direction, rec.Desired));
    }

    [Fact]
    public async Task TargetTracking_ScaleDownStabilization_FollowsHighestRecommendationInWindow()
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(50, downWindowSeconds: 300), metrics);

        // 6 serving at 50 % holds; then the load drops to 25 % (raw 3), but the 300 s window still holds the 6.
        Assert.Equal(6, (await Track(signal, metrics, 50, Ctx(6, 6, T0))).Desired);
        var during = await Track(signal, metrics, 25, Ctx(6, 6, T0 + TimeSpan.FromSeconds(60)));
        Assert.Equal((ScaleDirection.Hold, 6), (during.Direction, during.Desired));
        Assert.Equal("3", during.Inputs["raw_desired"]);
        Assert.Equal(6, (await Track(signal, metrics, 25, Ctx(6, 6, T0 + TimeSpan.FromSeconds(299)))).Desired);

        // Once the 6 left the window, the highest in it is 3.
        var after = await Track(signal, metrics, 25, Ctx(6, 6, T0 + TimeSpan.FromSeconds(301)));
        Assert.Equal((ScaleDirection.Down, 3), (after.Direction, after.Desired));
    }

    [Fact]
    public async Task TargetTracking_ScaleDownStabilization_UsesHighestNotLatest()
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(50, downWindowSeconds: 300), metrics);

        await Track(signal, metrics, 40, Ctx(10, 10, T0));                                   // raw 8
        await Track(signal, metrics, 30, Ctx(10, 10, T0 + TimeSpan.FromSeconds(100)));       // raw 6
        var rec = await Track(signal, metrics, 20, Ctx(10, 10, T0 + TimeSpan.FromSeconds(200))); // raw 4

        Assert.Equal(8, rec.Desired);
    }

    [Fact]
    public async Task TargetTracking_ScaleUpStabilization_FollowsLowestRecommendationInWindow()
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(50, downWindowSeconds: 0, upWindowSeconds: 120), metrics);

        Assert.Equal(4, (await Track(signal, metrics, 50, Ctx(4, 4, T0))).Desired);
        var spike = await Track(signal, metrics, 100, Ctx(4, 4, T0 + TimeSpan.FromSeconds(30)));
        Assert.Equal((ScaleDirection.Hold, 4), (spike.Direction, spike.Desired));

        var sustained = await Track(signal, metrics, 100, Ctx(4, 4, T0 + TimeSpan.FromSeconds(121)));
        Assert.Equal((ScaleDirection.Up, 8), (sustained.Direction, sustained.Desired));
    }

    [Fact]
    public async Task TargetTracking_NoUpWindow_ScalesUpAtOnceDespiteDownWindow()
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(50), metrics);

        await Track(signal, metrics, 25, Ctx(4, 4, T0));
        var rec = await Track(signal, metrics, 100, Ctx(4, 4, T0 + TimeSpan.FromSeconds(10)));

        Assert.Equal((ScaleDirection.Up, 8), (rec.Direction, rec.Desired));
    }

    [Fact]
    public async Task TargetTracking_MissingNaNOrFailingMetric_HoldsAsMissingData()
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(), metrics);

        metrics.Reading = MetricReading.Missing("empty result");
        var missing = await signal.EvaluateAsync(Ctx(4, 4), CancellationToken.None);
        metrics.Reading = MetricReading.Of(double.NaN);
        var nan = await signal.EvaluateAsync(Ctx(4, 4), CancellationToken.None);
        metrics.Throw = new HttpRequestException("connection refused");
        var failed = await signal.EvaluateAsync(Ctx(4, 4), CancellationToken.None);

        foreach (var rec in new[] { missing, nan, failed })
        {
            Assert.True(rec.MissingData);
            Assert.Equal(ScaleDirection.Hold, rec.Direction);
            Assert.Null(rec.Desired);
        }

        Assert.Contains("empty result", missing.Reason, StringComparison.Ordinal);
        Assert.Contains("NaN", nan.Reason, StringComparison.Ordinal);
        Assert.Contains("connection refused", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TargetTracking_MissingData_IsNotRecordedInTheWindow()
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(50, downWindowSeconds: 300), metrics);

        metrics.Reading = MetricReading.Missing("down");
        await signal.EvaluateAsync(Ctx(6, 6, T0), CancellationToken.None);
        var rec = await Track(signal, metrics, 25, Ctx(6, 6, T0 + TimeSpan.FromSeconds(10)));

        Assert.Equal((ScaleDirection.Down, 3), (rec.Direction, rec.Desired));
    }

    [Fact]
    public async Task TargetTracking_NothingServing_HoldsAsMissingData()
    {
        var metrics = new StubMetrics();
        var signal = new TargetTrackingSignal(Pools.Tracking(), metrics);

        var rec = await Track(signal, metrics, 90, Ctx(2, 0, launching: 2));

        Assert.True(rec.MissingData);
    }

    [Fact]
    public async Task AlertStep_UpFiring_ServingPlusStep()
    {
        var time = new FakeTimeProvider(T0);
        var store = new AlertStateStore(time);
        store.Record(Pools.Firing("PoolCpuHigh", T0));
        var signal = new AlertStepSignal(Pools.Up(), new ScaleUpConfig { Step = 2 }, new ScaleDownConfig(), store);

        var rec = await signal.EvaluateAsync(Ctx(5, 4, launching: 1), CancellationToken.None);

        Assert.Equal((ScaleDirection.Up, 6), (rec.Direction, rec.Desired));
        Assert.Equal("2", rec.Inputs["step"]);
    }

    [Fact]
    public async Task AlertStep_ManyFiring_InputsNameTheEarliestTenAndCountTheRest()
    {
        var store = new AlertStateStore(new FakeTimeProvider(T0.AddMinutes(1)));
        for (var i = 0; i < 500; i++)
        {
            store.Record(Pools.Firing("PoolCpuHigh", T0.AddMilliseconds(i), $"fp-{i:D3}"));
        }

        var signal = new AlertStepSignal(Pools.Up(), new ScaleUpConfig(), new ScaleDownConfig(), store);

        var rec = await signal.EvaluateAsync(Ctx(5, 5), CancellationToken.None);

        Assert.Equal(ScaleDirection.Up, rec.Direction);
        Assert.Equal("500", rec.Inputs["alerts_firing"]);
        Assert.StartsWith("PoolCpuHigh[fp-000],PoolCpuHigh[fp-001],", rec.Inputs["alerts"], StringComparison.Ordinal);
        Assert.EndsWith("PoolCpuHigh[fp-009] (+490 more)", rec.Inputs["alerts"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertStep_StepPercent_TakesTheLargerStep()
    {
        var time = new FakeTimeProvider(T0);
        var store = new AlertStateStore(time);
        store.Record(Pools.Firing("PoolCpuHigh", T0));
        var signal = new AlertStepSignal(Pools.Up(), new ScaleUpConfig { Step = 1, StepPercent = 50 }, new ScaleDownConfig(), store);

        var rec = await signal.EvaluateAsync(Ctx(5, 5), CancellationToken.None);

        Assert.Equal(8, rec.Desired); // ceil(5 × 50 %) = 3
    }

    [Fact]
    public async Task AlertStep_DownFiring_DesiredMinusStep()
    {
        var time = new FakeTimeProvider(T0);
        var store = new AlertStateStore(time);
        store.Record(Pools.Firing("PoolCpuLow", T0));
        var signal = new AlertStepSignal(Pools.Down(), new ScaleUpConfig(), new ScaleDownConfig { Step = 2 }, store);

        var rec = await signal.EvaluateAsync(Ctx(5, 5), CancellationToken.None);

        Assert.Equal((ScaleDirection.Down, 3), (rec.Direction, rec.Desired));
    }

    [Fact]
    public async Task AlertStep_NothingFiring_HoldsWithoutOpinion()
    {
        var store = new AlertStateStore(new FakeTimeProvider(T0));
        var signal = new AlertStepSignal(Pools.Up(), new ScaleUpConfig(), new ScaleDownConfig(), store);

        var rec = await signal.EvaluateAsync(Ctx(5, 5), CancellationToken.None);

        Assert.Equal(ScaleDirection.Hold, rec.Direction);
        Assert.Null(rec.Desired);
        Assert.False(rec.MissingData);
    }

    [Fact]
    public async Task Schedule_ActiveDuringWindowOnly()
    {
        var signal = new ScheduleSignal(new ScheduleConfig { Cron = "0 8 * * 1-5", Duration = TimeSpan.FromHours(10), Min = 4 });
        var monday = new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);

        var before = await signal.EvaluateAsync(Ctx(2, 2, monday.AddHours(7.99)), CancellationToken.None);
        var start = await signal.EvaluateAsync(Ctx(2, 2, monday.AddHours(8)), CancellationToken.None);
        var late = await signal.EvaluateAsync(Ctx(2, 2, monday.AddHours(17.99)), CancellationToken.None);
        var end = await signal.EvaluateAsync(Ctx(2, 2, monday.AddHours(18)), CancellationToken.None);
        var saturday = await signal.EvaluateAsync(Ctx(2, 2, monday.AddDays(5).AddHours(9)), CancellationToken.None);

        Assert.Null(before.MinFloor);
        Assert.Equal(4, start.MinFloor);
        Assert.Equal(4, late.MinFloor);
        Assert.Null(end.MinFloor);
        Assert.Null(saturday.MinFloor);
        Assert.All(new[] { before, start, late, end, saturday }, r => Assert.Equal(ScaleDirection.Hold, r.Direction));
    }

    [Fact]
    public void Schedule_TimeZone_AppliesToTheCronExpression()
    {
        var signal = new ScheduleSignal(new ScheduleConfig { Cron = "0 8 * * *", Duration = TimeSpan.FromHours(1), Max = 3, TimeZone = "America/New_York" });

        // 08:00 in New York in March 2026 after the DST switch (Mar 8) is 12:00 UTC; before it, 13:00 UTC.
        Assert.NotNull(signal.ActiveWindowStart(new DateTimeOffset(2026, 3, 10, 12, 30, 0, TimeSpan.Zero)));
        Assert.Null(signal.ActiveWindowStart(new DateTimeOffset(2026, 3, 10, 13, 30, 0, TimeSpan.Zero)));
        Assert.NotNull(signal.ActiveWindowStart(new DateTimeOffset(2026, 3, 5, 13, 30, 0, TimeSpan.Zero)));
    }
}

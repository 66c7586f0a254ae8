using Autoscaler.Core.Billing;

namespace Autoscaler.Core.Tests.Billing;

public sealed class BillingOracleTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static int[] Demand(params (int Level, int Steps)[] runs) => runs.SelectMany(r => Enumerable.Repeat(r.Level, r.Steps)).ToArray();

    private static OracleProblem Problem(int[] demand, int period = 60, int boot = 0, int min = 0, int max = 10, bool warm = true) =>
        new() { Demand = demand, PeriodSteps = period, BootSteps = boot, Min = min, Max = max, WarmStart = warm };

    [Fact]
    public void Solve_DemandOneTwoOne_TwoCrossingInstancesBeatCoveringEachLevel()
    {
        // Minutes [0,40) need 1, [40,60) need 2, [60,100) need 1. Covering level 1 for 100 minutes and level 2 for 20
        // costs 2 + 1 hours; an instance for [0,60) and one for [40,100) cost 2.
        var solution = BillingOracle.Solve(Problem(Demand((1, 40), (2, 20), (1, 40))));

        Assert.Equal(2, solution.BilledPeriods);
        Assert.Equal([new PlannedInstance(0, 0, 1), new PlannedInstance(40, 40, 1)], solution.Instances);
        Assert.Empty(solution.UncoveredSteps);
        Assert.Empty(solution.StepsOverMax);
    }

    [Fact]
    public void Solve_NeedLongerThanOnePeriodWithBoot_RenewsRatherThanLaunchingAgain()
    {
        // A fresh instance for the second hour would have to start 5 minutes early and cost as much: renewing wins
        // the tie on creations.
        var solution = BillingOracle.Solve(Problem(Demand((1, 120)), boot: 5));

        Assert.Equal([new PlannedInstance(0, 0, 2)], solution.Instances);
    }

    [Fact]
    public void Solve_BootLongerThanAPeriod_BillsThePeriodsSpentBooting()
    {
        // Period 2 steps, boot 3: an instance serves only from its second period on; one step of need costs 2 periods.
        var solution = BillingOracle.Solve(Problem([0, 0, 0, 0, 0, 1, 0, 0], period: 2, boot: 3, warm: false));

        Assert.Equal([new PlannedInstance(2, 5, 2)], solution.Instances);
        Assert.Equal(2, solution.BilledPeriods);
    }

    [Fact]
    public void Solve_TwoSpikesWithinAnHour_OneInstanceServesBoth()
    {
        // Two 5-minute spikes 10 minutes apart: one instance covers both inside its paid hour.
        var solution = BillingOracle.Solve(Problem(Demand((0, 30), (1, 5), (0, 10), (1, 5), (0, 50)), boot: 3));

        var instance = Assert.Single(solution.Instances);
        Assert.Equal(1, instance.Periods);
        Assert.InRange(instance.ServingStep, 0, 30);
    }

    [Fact]
    public void Solve_SpikeLaterThanTheBoot_LaunchesBootStepsAhead()
    {
        // With 8-step periods only an instance created at 27 serves all of [30, 35) for one period.
        var solution = BillingOracle.Solve(Problem(Demand((0, 30), (1, 5)), period: 8, boot: 3, warm: false));

        Assert.Equal([new PlannedInstance(27, 30, 1)], solution.Instances);
    }

    [Fact]
    public void Solve_NoDemand_KeepsMinAliveThroughout()
    {
        var solution = BillingOracle.Solve(Problem(new int[150], min: 2));

        Assert.Equal(2 * 3, solution.BilledPeriods);
        Assert.All(solution.Instances, i => Assert.Equal(new PlannedInstance(0, 0, 3), i));
        Assert.Equal(2, solution.Instances.Count);
    }

    [Fact]
    public void Solve_DemandAboveMax_ServesMaxAndReportsTheSteps()
    {
        var solution = BillingOracle.Solve(Problem([1, 3, 1], period: 3, max: 2));

        Assert.Equal([1], solution.UncoveredSteps);
        Assert.Equal(2, solution.BilledPeriods); // two instances for steps 0..2, one of them needed only at step 1
        Assert.Empty(solution.StepsOverMax);
    }

    [Fact]
    public void Solve_ColdStartWithDemandDuringTheFirstBoot_ReportsThoseStepsUnserved()
    {
        var solution = BillingOracle.Solve(Problem([1, 1, 1, 1], period: 4, boot: 2, warm: false));

        Assert.Equal([0, 1], solution.UncoveredSteps);
        Assert.Equal([new PlannedInstance(0, 2, 1)], solution.Instances);
    }

    [Fact]
    public void Solve_AtMaxWithABootingReplacementWouldExceedIt_StaysWithinMax()
    {
        // Max 2 and a need of 2 throughout with a 10-minute boot: every extra hour must be a renewal, never a fresh
        // instance booting beside two serving ones.
        var solution = BillingOracle.Solve(Problem(Demand((2, 100), (1, 30), (2, 110)), boot: 10, max: 2));

        Assert.Empty(solution.StepsOverMax);
        Assert.Equal(2 * 4, solution.BilledPeriods);
    }

    [Fact]
    public void Solve_InvalidProblem_ReportsEveryError()
    {
        var problem = new OracleProblem { Demand = [1, -1], PeriodSteps = 0, BootSteps = -1, Min = 3, Max = 2 };

        var error = Assert.Throws<ArgumentException>(() => BillingOracle.Solve(problem));

        Assert.Contains("demand[1] (-1) is negative", error.Message, StringComparison.Ordinal);
        Assert.Contains("period_steps (0) is less than 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("boot_steps (-1) is negative", error.Message, StringComparison.Ordinal);
        Assert.Contains("min (3) is greater than max (2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_HorizonShorterThanTheCap_BillsPeriodsTimesHourlyAndIsOptimal()
    {
        var origin = new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);
        var billing = new HourlyBilling(new InstancePrice(0.018m, 12m));
        var problem = Problem(Demand((1, 40), (2, 20), (1, 40)));

        var plan = BillingOracle.Plan(problem, billing, origin, Minute);

        Assert.Equal(2 * 0.018m, plan.Cost);
    }

    [Fact]
    public void Plan_BaseLoadAllOfJuly_KeepsTheBaseAliveAllMonthForTheCap()
    {
        // Hourly steps over all of July: two instances always, a third for six hours a day. The two would bill
        // 744 hours each; the cap makes each $12.
        var origin = new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);
        var billing = new HourlyBilling(new InstancePrice(0.018m, 12m));
        var demand = Enumerable.Range(0, 744).Select(h => h % 24 is >= 12 and < 18 ? 3 : 2).ToArray();
        var problem = Problem(demand, period: 1, min: 2);

        var plan = BillingOracle.Plan(problem, billing, origin, TimeSpan.FromHours(1));

        Assert.Equal((2 * 12m) + (31 * 6 * 0.018m), plan.Cost);
        Assert.Equal(plan.Cost, BillingOracle.Bill(plan.Solution, billing, origin, TimeSpan.FromHours(1)));
        Assert.Equal(2, plan.Solution.Instances.Count(i => i.Periods == 744));
    }

    [Fact]
    public void Plan_PeriodNotAWholeNumberOfSteps_Throws()
    {
        var billing = new HourlyBilling(new InstancePrice(1m), TimeSpan.FromSeconds(90));

        Assert.Throws<ArgumentException>(() => BillingOracle.Plan(Problem([1], period: 1), billing, DateTimeOffset.UnixEpoch, Minute));
    }

    [Fact]
    public void Plan_PeriodStepsDisagreeWithTheBillingPeriod_Throws()
    {
        var billing = new HourlyBilling(new InstancePrice(1m));

        var error = Assert.Throws<ArgumentException>(() => BillingOracle.Plan(Problem([1], period: 30), billing, DateTimeOffset.UnixEpoch, Minute));

        Assert.Contains("period_steps (30)", error.Message, StringComparison.Ordinal);
    }
}

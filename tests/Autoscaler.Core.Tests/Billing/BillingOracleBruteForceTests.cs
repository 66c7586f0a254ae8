using Autoscaler.Core.Billing;

namespace Autoscaler.Core.Tests.Billing;

public sealed class BillingOracleBruteForceTests
{
    // Mid-month, so that no tiny horizon crosses a month boundary and the bill is periods × hourly.
    private static readonly DateTimeOffset Origin = new(2025, 7, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(1);

    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (var seed = 0; seed < 240; seed++)
        {
            seeds.Add(seed);
        }

        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Solve_RandomTinyCase_EqualsBruteForceAndItsPlanServesWithinMax(int seed)
    {
        var rng = new Random(seed);
        var steps = rng.Next(3, 10);
        var period = rng.Next(2, 5);
        var boot = rng.Next(0, 3);
        var max = rng.Next(1, 4);
        var min = rng.Next(0, 2) == 0 ? 0 : rng.Next(0, max + 1);
        var warm = rng.Next(0, 4) != 0;
        var demand = Enumerable.Range(0, steps).Select(_ => rng.Next(0, 4)).ToArray();
        var problem = new OracleProblem { Demand = demand, PeriodSteps = period, BootSteps = boot, Min = min, Max = max, WarmStart = warm };
        var served = BruteForceCover.Prepare(demand, boot, min, max, warm);

        var solution = BillingOracle.Solve(problem);

        var context = $"seed {seed}: demand [{string.Join(',', demand)}], period {period}, boot {boot}, min {min}, max {max}, warm {warm}";
        Assert.True(BruteForceCover.Solve(served, period, boot, max, warm) == solution.BilledPeriods, $"{context}: oracle {solution.BilledPeriods}");
        Assert.Empty(solution.StepsOverMax);
        var (serving, alive) = BruteForceCover.Replay(solution.Instances.Select(i => (i.CreatedStep, i.ServingStep, i.Periods)), steps, period);
        for (var t = 0; t < steps; t++)
        {
            Assert.True(serving[t] >= served[t], $"{context}: step {t} serves {serving[t]} < {served[t]}");
            Assert.True(alive[t] <= max, $"{context}: step {t} has {alive[t]} alive > max");
        }

        foreach (var i in solution.Instances)
        {
            Assert.Equal(warm && i.CreatedStep == 0 ? 0 : i.CreatedStep + boot, i.ServingStep);
        }

        var expectedUncovered = Enumerable.Range(0, steps).Where(t => Math.Max(demand[t], min) > served[t]);
        Assert.Equal(expectedUncovered, solution.UncoveredSteps);

        // The same lifetimes priced by the billing model: one price per billed period.
        var billing = new HourlyBilling(new InstancePrice(0.25m, 1000m), Step * period);
        var lifetimes = solution.Instances.Select(i => i.ToLifetime(Origin, Step, period)).ToList();
        Assert.Equal(solution.BilledPeriods, lifetimes.Sum(l => billing.BilledPeriods(l.Created, l.Deleted!.Value)));
        var plan = BillingOracle.Plan(problem, billing, Origin, Step);
        Assert.Equal(0.25m * solution.BilledPeriods, plan.Cost);
        Assert.Equal(plan.Cost, billing.Cost(lifetimes, Origin));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Plan_RandomTinyCaseAcrossAMonthWithACap_EqualsTheCheapestBillByBruteForce(int seed)
    {
        // Six-hour steps, a half-day period, a few days either side of midnight on August 1, and a cap of three to five
        // periods a month: caps bind and lives cross the month boundary.
        var rng = new Random(10_000 + seed);
        var step = TimeSpan.FromHours(6);
        var period = rng.Next(1, 3);
        var steps = rng.Next(4, 10);
        var origin = new DateTimeOffset(2025, 7, 31, 0, 0, 0, TimeSpan.Zero) - (step * rng.Next(0, steps));
        var boot = rng.Next(0, 2);
        var max = rng.Next(1, 4);
        var warm = rng.Next(0, 4) != 0;
        var billing = new HourlyBilling(new InstancePrice(1m, rng.Next(3, 6) - 0.5m), step * period);
        var demand = Enumerable.Range(0, steps).Select(_ => rng.Next(0, 2) == 0 ? max : rng.Next(0, max + 1)).ToArray();
        var problem = new OracleProblem { Demand = demand, PeriodSteps = period, BootSteps = boot, Max = max, WarmStart = warm };
        var served = BruteForceCover.Prepare(demand, boot, 0, max, warm);
        var prices = new Dictionary<(int, int), decimal>();
        decimal Price(int created, int periods)
        {
            if (!prices.TryGetValue((created, periods), out var price))
            {
                var life = new PlannedInstance(created, 0, periods).ToLifetime(origin, step, period);
                prices[(created, periods)] = price = billing.Cost(life.Created, life.Deleted!.Value);
            }

            return price;
        }

        var plan = BillingOracle.Plan(problem, billing, origin, step);

        var context = $"seed {seed}: demand [{string.Join(',', demand)}], origin {origin:O}, period {period}, boot {boot}, max {max}, warm {warm}, cap {billing.Price.Monthly}";
        Assert.True(BruteForceCover.Cheapest(served, period, boot, max, warm, Price) == plan.Cost, $"{context}: oracle {plan.Cost}");
        Assert.Empty(plan.Solution.StepsOverMax);
        var (serving, _) = BruteForceCover.Replay(plan.Solution.Instances.Select(i => (i.CreatedStep, i.ServingStep, i.Periods)), steps, period);
        Assert.All(Enumerable.Range(0, steps), t => Assert.True(serving[t] >= served[t], $"{context}: step {t}"));
        Assert.Equal(plan.Cost, BillingOracle.Bill(plan.Solution, billing, origin, step));
    }
}

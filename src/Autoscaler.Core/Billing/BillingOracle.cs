namespace Autoscaler.Core.Billing;

/// <summary>
/// The cheapest bill that never misses the demand: perfect foresight over a demand series, the same boot delay as the
/// real pool, per-started-period billing, min and max. A lower bound for every policy's bill.
/// </summary>
/// <remarks>
/// <para><b>Formulation.</b> An instance created at step s that lives k periods is alive [s, s + kP) and serves
/// [s + boot, s + kP) for a cost of k periods (a life cut short inside its last period costs the same and serves
/// less, so lives end on period boundaries). Choosing how many instances of each (s, k) to run so that the serving
/// count is at least the demand at every step is an integer covering program whose columns are intervals of
/// consecutive steps: its matrix has the consecutive-ones property, hence is totally unimodular, and subtracting each
/// row from the next turns it into a min-cost flow on the time line: a column serving [a, e) becomes an arc a → e of
/// its cost, the surplus (serving above demand) at step t an arc t+1 → t of cost 0, and the demand's differences the
/// supplies. The flow's optimum is integral and equals the program's.</para>
/// <para><b>Size.</b> There are about T × T/P columns (T steps), far too many arcs for a 58-day trace of minutes. But
/// an instance of k periods is its first m periods (the fewest that outlast the boot) followed by k − m renewals of
/// one period each, so a chain node per step where periods can end, with a start arc (m periods), a renew arc (+1
/// period) and a stop arc (0) per step, yields exactly the paths main a → main e of cost k for every column and no
/// others: about 2T nodes and 4T arcs, every start step and every length kept. Nothing is restricted. (Renewing is
/// not the same as launching a fresh instance at the period's end: the fresh one would not serve during its boot, so
/// a one-period-only model is exact only when the boot is 0.)</para>
/// <para><b>Min and max.</b> Min folds into the demand (min serving instances keep min alive). Demand above max is
/// served at max and the steps are reported in <see cref="OracleSolution.UncoveredSteps"/>. The max on alive
/// instances counts booting ones, which is not an interval of the same column, so the flow does not carry it: the
/// flow is a relaxation of the problem with max, and among its cheapest plans it takes one with the fewest creations
/// (renewals before replacements); such a plan stayed within max on every case checked against brute force, and
/// <see cref="OracleSolution.StepsOverMax"/> reports any step where one did not, so the cost is always a lower bound
/// and, with that list empty, the optimum.</para>
/// <para><b>Monthly cap.</b> An instance's charge in a month is <c>min(periods × hourly, monthly)</c>, concave in its
/// periods, which a flow cannot price per arc. But a capped month costs the cap however long the instance lives in it,
/// so a capped instance may as well live to the month's end: one more arc per chain node (and per start) where the rest
/// of the month holds more periods than the cap pays for, jumping to the first period boundary past the month's end
/// for the cap, prices it exactly. Every path then costs at least its instance's bill (a month with a jump costs at
/// least the cap, one without costs its periods), and the cheapest plan is a path set whose cost is its bill (each
/// capped month one jump), so the flow's optimum is the cheapest bill, caps included. Money is scaled to integers
/// (the prices' decimal places) and divided by their common factor.</para>
/// </remarks>
public static class BillingOracle
{
    /// <summary>The cheapest plan in billing periods (every period priced alike, no monthly cap).</summary>
    public static OracleSolution Solve(OracleProblem problem) => Solve(problem, FlowPrices.Periods);

    /// <summary>
    /// The cheapest plan in USD under <paramref name="billing"/>, monthly caps included, for a demand series whose
    /// step 0 is at <paramref name="origin"/> and whose steps last <paramref name="step"/>. The problem's
    /// <see cref="OracleProblem.PeriodSteps"/> must be the billing period in steps.
    /// </summary>
    public static OraclePlan Plan(OracleProblem problem, HourlyBilling billing, DateTimeOffset origin, TimeSpan step)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(billing);
        if (OracleProblem.PeriodStepsOf(billing.Period, step) != problem.PeriodSteps)
        {
            throw new ArgumentException($"period_steps ({problem.PeriodSteps}) is not the billing period ({billing.Period}) in steps of {step}", nameof(problem));
        }

        var solution = Solve(problem, Prices(billing, origin, step, problem.Demand.Count));
        return new OraclePlan { Solution = solution, Cost = Bill(solution, billing, origin, step) };
    }

    /// <summary>USD the billing model charges for a plan's instances.</summary>
    public static decimal Bill(OracleSolution solution, HourlyBilling billing, DateTimeOffset origin, TimeSpan step)
    {
        ArgumentNullException.ThrowIfNull(solution);
        ArgumentNullException.ThrowIfNull(billing);
        var total = 0m;
        foreach (var instance in solution.Instances)
        {
            var life = instance.ToLifetime(origin, step, solution.PeriodSteps);
            total += billing.Cost(life.Created, life.Deleted!.Value);
        }

        return total;
    }

    private static OracleSolution Solve(OracleProblem problem, FlowPrices prices)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var (demand, uncovered) = Prepare(problem);
        var period = problem.PeriodSteps;
        var instances = new CoverFlow(demand, period, problem.BootSteps, problem.WarmStart, prices).Solve();
        return new OracleSolution
        {
            Instances = instances,
            BilledPeriods = instances.Sum(i => (long)i.Periods),
            PeriodSteps = period,
            UncoveredSteps = uncovered,
            StepsOverMax = Check(instances, demand, period, problem.Max),
        };
    }

    /// <summary>The billing model's prices as the flow's integer units, with each step's month end when a cap can
    /// bind inside the horizon.</summary>
    private static FlowPrices Prices(HourlyBilling billing, DateTimeOffset origin, TimeSpan step, int steps)
    {
        var hourly = billing.Price.Hourly;
        if (hourly <= 0)
        {
            // Everything is free: any plan is the cheapest; the fewest periods is as good as any.
            return FlowPrices.Periods;
        }

        if (billing.Price.Monthly is not { } monthly)
        {
            // Without a cap the bill is hourly × periods.
            return FlowPrices.Periods;
        }

        var digits = Math.Max(Digits(hourly), Digits(monthly));
        var unit = 1m;
        for (var d = 0; d < digits; d++)
        {
            unit /= 10;
        }

        var period = (long)(hourly / unit);
        var cap = (long)(monthly / unit);
        var common = Gcd(period, cap);
        var monthEnd = new int[steps];
        var k = 0;
        for (var month = HourlyBilling.MonthStart(origin); k < steps; month = month.AddMonths(1))
        {
            var next = month.AddMonths(1);
            // First step at or after the next month's start.
            var end = (int)Math.Min(steps, Math.Max(0, CeilDiv((next - origin).Ticks, step.Ticks)));
            for (; k < end; k++)
            {
                monthEnd[k] = end;
            }
        }

        return new FlowPrices(period / common, cap / common, monthEnd);
    }

    /// <summary>Decimal places of a price (at most 9: finer prices would overflow the flow's integer costs).</summary>
    private static int Digits(decimal value)
    {
        var scaled = value;
        for (var digits = 0; digits <= 9; digits++, scaled *= 10)
        {
            if (scaled == decimal.Truncate(scaled))
            {
                return digits;
            }
        }

        throw new ArgumentException($"price {value} has more than 9 decimal places", nameof(value));
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return Math.Max(1, a);
    }

    private static long CeilDiv(long a, long b) => a <= 0 ? 0 : (a / b) + (a % b == 0 ? 0 : 1);

    /// <summary>The demand the flow covers (min folded in, at most max, nothing before the first instance can serve)
    /// and the steps whose demand cannot be served.</summary>
    private static (int[] Demand, List<int> Uncovered) Prepare(OracleProblem problem)
    {
        var errors = problem.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(problem));
        }

        var t = problem.Demand.Count;
        var demand = new int[t];
        var uncovered = new List<int>();
        var firstServing = problem.WarmStart ? 0 : problem.BootSteps;
        for (var step = 0; step < t; step++)
        {
            var need = Math.Max(problem.Demand[step], problem.Min);
            // Before the first instance can finish booting nothing serves; elsewhere max caps what can.
            demand[step] = step < firstServing ? 0 : Math.Min(need, problem.Max);
            if (need > demand[step])
            {
                uncovered.Add(step);
            }
        }

        return (demand, uncovered);
    }

    /// <summary>Replays a plan: throws if it leaves demand unserved (a solver bug), returns the steps over max.</summary>
    private static List<int> Check(List<PlannedInstance> instances, int[] demand, int period, int max)
    {
        var t = demand.Length;
        var serving = new int[t + 1];
        var alive = new int[t + 1];
        foreach (var i in instances)
        {
            var end = (int)Math.Min(t, i.DeletedStep(period));
            alive[i.CreatedStep]++;
            alive[end]--;
            if (i.ServingStep < end)
            {
                serving[i.ServingStep]++;
                serving[end]--;
            }
        }

        var over = new List<int>();
        int s = 0, a = 0;
        for (var step = 0; step < t; step++)
        {
            s += serving[step];
            a += alive[step];
            if (s < demand[step])
            {
                throw new InvalidOperationException($"the oracle's plan serves {s} at step {step}, below the demand {demand[step]}");
            }

            if (a > max)
            {
                over.Add(step);
            }
        }

        return over;
    }
}

/// <summary>The oracle's plan priced by the billing model.</summary>
public sealed record OraclePlan
{
    /// <summary>The plan: lifetimes in steps.</summary>
    public required OracleSolution Solution { get; init; }

    /// <summary>
    /// USD the billing model charges for the plan, monthly caps included. No plan that serves the demand within min
    /// and max costs less (every such plan is one the flow weighed), so it is a lower bound for every policy; when
    /// <see cref="OracleSolution.StepsOverMax"/> is empty the plan itself stays within max, so it is the optimum.
    /// </summary>
    public required decimal Cost { get; init; }
}

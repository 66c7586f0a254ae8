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
/// <para><b>Monthly cap.</b> The flow prices every period alike. When no calendar month of the horizon holds enough
/// periods for one instance to reach the cap, that is the bill and the plan is optimal. Otherwise
/// <see cref="Plan"/> bills three plans with the caps (the plain optimum; the base load, the least demand, taken apart
/// as instances alive throughout, which the cap favours; and the optimum with every period weighted down by its
/// month's best possible cap discount) and keeps the cheapest; the weighted optimum itself is a proven lower bound
/// (an instance's charge in a month is at least its periods there times that discount), so the report can say how
/// close to optimal the plan is.</para>
/// </remarks>
public static class BillingOracle
{
    /// <summary>Weight of an undiscounted period when periods are weighted by their month's cap discount.</summary>
    private const int WeightScale = 10_000;

    /// <summary>The cheapest plan in billing periods (no monthly cap).</summary>
    public static OracleSolution Solve(OracleProblem problem) => Solve(problem, null, out _);

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

        var plain = Solve(problem);
        var weights = CapWeights(problem.Demand.Count, billing, origin, step, problem.PeriodSteps);
        if (weights is null)
        {
            // No instance can reach a cap inside the horizon: the bill is hourly × periods and the plan is optimal.
            var cost = Bill(plain, billing, origin, step);
            return new OraclePlan { Solution = plain, Cost = cost, LowerBound = cost };
        }

        var weighted = Solve(problem, weights, out var weightedObjective);
        var lowerBound = billing.Price.Hourly * weightedObjective / WeightScale;
        var best = plain;
        var bestCost = Bill(plain, billing, origin, step);
        foreach (var candidate in new[] { weighted, BaseApart(problem) })
        {
            if (candidate is null)
            {
                continue;
            }

            var cost = Bill(candidate, billing, origin, step);
            if (cost < bestCost && candidate.StepsOverMax.Count <= best.StepsOverMax.Count)
            {
                (best, bestCost) = (candidate, cost);
            }
        }

        return new OraclePlan { Solution = best, Cost = bestCost, LowerBound = lowerBound };
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

    private static OracleSolution Solve(OracleProblem problem, int[]? weights, out long weightedObjective)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var (demand, uncovered) = Prepare(problem);
        var t = demand.Length;
        var period = problem.PeriodSteps;
        // A tie-break scale larger than the creations of any plan that could be cheapest: the trivial plan of the
        // largest demand alive throughout bounds the periods (so the creations) of the optimum.
        var top = demand.Length == 0 ? 0 : demand.Max();
        var maxWeight = weights is null ? 1 : Math.Max(1, weights.Max());
        var minWeight = weights is null ? 1 : Math.Max(1, weights.Min());
        var tieBreak = 2 + ((long)top * ((t / period) + 2) * maxWeight / minWeight);
        var flow = new CoverFlow(demand, period, problem.BootSteps, problem.WarmStart, weights, tieBreak);
        var instances = flow.Solve();
        weightedObjective = 0;
        long periods = 0;
        foreach (var i in instances)
        {
            periods += i.Periods;
            for (var j = 0; j < i.Periods; j++)
            {
                weightedObjective += weights is null ? 1 : weights[i.CreatedStep + (j * period)];
            }
        }

        return new OracleSolution
        {
            Instances = instances,
            BilledPeriods = periods,
            PeriodSteps = period,
            UncoveredSteps = uncovered,
            StepsOverMax = Check(instances, demand, period, problem.Max),
        };
    }

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

    /// <summary>
    /// Per step, the weight (out of <see cref="WeightScale"/>, rounded down) of a period starting then: the least
    /// fraction of the hourly price an instance can pay for it once its month's cap applies,
    /// <c>min(1, monthly / (most periods that can start in that month within the horizon × hourly))</c>. Null when no
    /// month can reach the cap.
    /// </summary>
    private static int[]? CapWeights(int steps, HourlyBilling billing, DateTimeOffset origin, TimeSpan step, int period)
    {
        if (billing.Price.Monthly is not { } cap || billing.Price.Hourly <= 0)
        {
            return null;
        }

        var end = origin + TimeSpan.FromTicks(step.Ticks * steps);
        var weights = new int[steps];
        var any = false;
        var k = 0;
        for (var month = HourlyBilling.MonthStart(origin); month < end; month = month.AddMonths(1))
        {
            var from = month < origin ? origin : month;
            var next = month.AddMonths(1);
            var until = next < end ? next : end;
            var most = ((until - from).Ticks + billing.Period.Ticks - 1) / billing.Period.Ticks;
            var fraction = Math.Min(1m, cap / (most * billing.Price.Hourly));
            any |= fraction < 1m;
            var weight = (int)Math.Max(1m, Math.Floor(fraction * WeightScale));
            for (; k < steps && origin + (step * k) < next; k++)
            {
                weights[k] = weight;
            }
        }

        return any ? weights : null;
    }

    /// <summary>The base load (the least demand once min is folded in) as instances alive throughout, the rest planned
    /// by the flow; null when there is no base load.</summary>
    private static OracleSolution? BaseApart(OracleProblem problem)
    {
        var first = problem.WarmStart ? 0 : problem.BootSteps;
        var t = problem.Demand.Count;
        if (first >= t)
        {
            return null;
        }

        var level = int.MaxValue;
        for (var step = first; step < t; step++)
        {
            level = Math.Min(level, Math.Min(problem.Max, Math.Max(problem.Demand[step], problem.Min)));
        }

        if (level <= 0)
        {
            return null;
        }

        var rest = Solve(
            problem with
            {
                Demand = problem.Demand.Select(d => Math.Max(0, d - level)).ToArray(),
                Min = Math.Max(0, problem.Min - level),
                Max = problem.Max - level,
            },
            null,
            out _);
        var through = (t + problem.PeriodSteps - 1) / problem.PeriodSteps;
        var instances = Enumerable.Repeat(new PlannedInstance(0, first, through), level).Concat(rest.Instances).ToList();
        return rest with
        {
            Instances = instances,
            BilledPeriods = rest.BilledPeriods + ((long)level * through),
            UncoveredSteps = Prepare(problem).Uncovered,
        };
    }
}

/// <summary>The oracle's plan priced by the billing model.</summary>
public sealed record OraclePlan
{
    /// <summary>The plan: lifetimes in steps.</summary>
    public required OracleSolution Solution { get; init; }

    /// <summary>USD the billing model charges for the plan, monthly caps included.</summary>
    public required decimal Cost { get; init; }

    /// <summary>USD no plan serving the demand can cost less than (equal to <see cref="Cost"/> when the plan is proven
    /// optimal).</summary>
    public required decimal LowerBound { get; init; }

    /// <summary>Whether the plan is proven to be the cheapest.</summary>
    public bool IsOptimal => Cost == LowerBound && Solution.StepsOverMax.Count == 0;
}

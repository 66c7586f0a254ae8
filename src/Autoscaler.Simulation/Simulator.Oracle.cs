using Autoscaler.Core.Providers.Virtual;
using System.Globalization;
using Autoscaler.Core.Billing;

namespace Autoscaler.Simulation;

/// <summary>Steps the oracle could not serve, and steps where its plan holds more than max alive; both expected empty
/// (see <see cref="OracleSolution"/>).</summary>
/// <param name="UncoveredSteps">Steps whose SLO demand is above max (served at max).</param>
/// <param name="StepsOverMax">Steps at which the plan has more than max instances alive, booting ones counted.</param>
public sealed record OracleCoverage(IReadOnlyList<int> UncoveredSteps, IReadOnlyList<int> StepsOverMax);

/// <summary>The references every policy is measured against, and the measures themselves.</summary>
public static partial class Simulator
{
    /// <summary>Instances that serve a row at the target utilisation: ceil(load / (capacity × target)) within min..max.
    /// The size every policy starts with, what <c>--peak-instances</c> scales to, and what <c>oracle-at-target</c>
    /// keeps serving.</summary>
    public static int TargetNeed(double load, int min, int max, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The epsilon keeps a load of exactly n × capacity × target at n instances despite binary fractions.
        var need = (int)Math.Min(int.MaxValue, Math.Ceiling((load / (options.InstanceCapacity * options.TargetUtilization)) - 1e-9));
        return Math.Clamp(need, min, Math.Max(min, max));
    }

    /// <summary>
    /// The fewest serving instances with which a row meets the SLO: the smallest n whose capacity the SLO check does not
    /// call violated (load ≤ <see cref="SimulationOptions.SloUtilization"/> × n × capacity), worked out with the very
    /// expression of that check, so n serving instances never count as a violation minute. About
    /// ceil(load / (capacity × 0.9)).
    /// </summary>
    public static int SloNeed(double load, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(load > 0))
        {
            return 0;
        }

        var n = (long)Math.Min(int.MaxValue, Math.Ceiling(load / (options.InstanceCapacity * options.SloUtilization)));
        while (n > 0 && !Violates(load, (n - 1) * options.InstanceCapacity, options))
        {
            n--;
        }

        while (n < int.MaxValue && Violates(load, n * options.InstanceCapacity, options))
        {
            n++;
        }

        return (int)n;
    }

    /// <summary>A row violates the SLO when its load exceeds that share of the serving capacity.</summary>
    internal static bool Violates(double load, double servingCapacity, SimulationOptions options) => load > options.SloUtilization * servingCapacity;

    /// <summary>
    /// The cheapest bill that never misses the SLO (<see cref="BillingOracle.Plan"/>): at every row at least
    /// <see cref="SloNeed"/> instances serve (min always, never more than max alive), with the same boot and
    /// health-check delay as the policies rounded up to whole rows, billed as Linode bills. The pool starts warm, as
    /// every policy's does. Its capacity and instances per row, lives and actions come from the plan.
    /// </summary>
    public static (PolicyResult Result, OracleCoverage Coverage) Oracle(LoadTrace load, int min, int max, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(options);
        var billing = Billing(options);
        var step = load.Step;
        var rows = load.Rates.Count;
        var demand = new int[rows];
        for (var k = 0; k < rows; k++)
        {
            demand[k] = SloNeed(load.Rates[k], options);
        }

        var lead = (options.BootTime + options.HealthCheckDelay).Ticks;
        var problem = new OracleProblem
        {
            Demand = demand,
            PeriodSteps = OracleProblem.PeriodStepsOf(billing.Period, step),
            BootSteps = (int)((lead / step.Ticks) + (lead % step.Ticks == 0 ? 0 : 1)),
            Min = min,
            Max = max,
            WarmStart = true,
        };
        var plan = BillingOracle.Plan(problem, billing, load.Start, step);

        var serving = new int[rows + 1];
        var alive = new int[rows + 1];
        var changes = new int[rows + 1];
        var lives = new List<InstanceLife>(plan.Solution.Instances.Count);
        var instanceSteps = 0L;
        foreach (var i in plan.Solution.Instances)
        {
            var deleted = i.DeletedStep(problem.PeriodSteps);
            var end = (int)Math.Min(rows, deleted);
            alive[i.CreatedStep]++;
            alive[end]--;
            instanceSteps += end - i.CreatedStep;
            if (i.ServingStep < end)
            {
                serving[i.ServingStep]++;
                serving[end]--;
            }

            if (i.CreatedStep > 0)
            {
                changes[i.CreatedStep]++;
            }

            if (deleted < rows)
            {
                changes[deleted]--;
            }

            lives.Add(new InstanceLife((lives.Count + 1).ToString(CultureInfo.InvariantCulture), load.Start + (step * i.CreatedStep),
                i.ServingStep < rows ? load.Start + (step * i.ServingStep) : null, null,
                deleted <= rows ? load.Start + TimeSpan.FromTicks(step.Ticks * deleted) : null));
        }

        var capacity = new double[rows];
        var instances = new double[rows];
        var actions = new List<ScalingAction>();
        var violations = 0.0;
        int s = 0, a = 0;
        for (var k = 0; k < rows; k++)
        {
            s += serving[k];
            a += alive[k];
            capacity[k] = s * options.InstanceCapacity;
            instances[k] = a;
            if (Violates(load.Rates[k], capacity[k], options))
            {
                violations += step.TotalMinutes;
            }

            if (changes[k] != 0)
            {
                actions.Add(new ScalingAction(load.Start + (step * k), changes[k] > 0));
            }
        }

        var result = Result(SimulationPolicy.OracleName, instanceSteps * step.TotalSeconds, violations, actions, capacity, instances, lives, [], load, options);
        return (result, new OracleCoverage(plan.Solution.UncoveredSteps, plan.Solution.StepsOverMax));
    }

    /// <summary>
    /// The previous reference: perfect foresight with the same boot time, exactly <see cref="TargetNeed"/> instances
    /// serving during each row. Each instance is launched boot time + health-check delay before it must serve, and one
    /// that would be idle for less than that between two needs is kept rather than replaced. Cheapest in
    /// instance-seconds at the target, not in what Linode bills (it launches and removes every few minutes).
    /// </summary>
    public static PolicyResult OracleAtTarget(LoadTrace load, int min, int max, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(options);
        var rows = load.Rates.Count;
        var stepSeconds = load.Step.TotalSeconds;
        var lead = (options.BootTime + options.HealthCheckDelay).TotalSeconds;
        var end = rows * stepSeconds;
        var need = new int[rows];
        var capacity = new double[rows];
        var violations = 0.0;
        for (var k = 0; k < rows; k++)
        {
            need[k] = TargetNeed(load.Rates[k], min, max, options);
            capacity[k] = need[k] * options.InstanceCapacity;
            if (Violates(load.Rates[k], capacity[k], options))
            {
                violations += stepSeconds / 60;
            }
        }

        // Each level j (the j-th instance) is an independent slot: alive from (first need − lead) to its last need,
        // bridging gaps no longer than the lead.
        var alive = new List<(double Start, double Serving, double End)>();
        var instances = new double[rows];
        var top = need.Length == 0 ? 0 : need.Max();
        for (var level = 1; level <= top; level++)
        {
            double? start = null;
            double serving = 0;
            double lastEnd = 0;
            var k = 0;
            while (k < rows)
            {
                if (need[k] < level)
                {
                    k++;
                    continue;
                }

                var a = k;
                while (k < rows && need[k] >= level)
                {
                    k++;
                }

                var from = a * stepSeconds;
                var to = k * stepSeconds;
                if (start is null)
                {
                    start = a == 0 ? 0 : Math.Max(0, from - lead);
                    serving = from;
                }
                else if (from - lastEnd > lead)
                {
                    alive.Add((start.Value, serving, lastEnd));
                    start = from - lead;
                    serving = from;
                }

                lastEnd = to;
            }

            if (start is { } s)
            {
                alive.Add((s, serving, lastEnd));
            }
        }

        var instanceSeconds = 0.0;
        var changes = new SortedDictionary<double, int>();
        var lives = new List<InstanceLife>(alive.Count);
        foreach (var (s, serving, e) in alive)
        {
            instanceSeconds += e - s;
            Cover(instances, s, e, stepSeconds);
            if (s > 0)
            {
                changes[s] = changes.GetValueOrDefault(s) + 1;
            }

            if (e < end)
            {
                changes[e] = changes.GetValueOrDefault(e) - 1;
            }

            lives.Add(Normalize(new InstanceLife((lives.Count + 1).ToString(CultureInfo.InvariantCulture), load.Start + TimeSpan.FromSeconds(s),
                load.Start + TimeSpan.FromSeconds(serving), null, e < end ? load.Start + TimeSpan.FromSeconds(e) : null), load.Start));
        }

        var actions = new List<ScalingAction>();
        foreach (var (at, delta) in changes)
        {
            if (delta != 0)
            {
                actions.Add(new ScalingAction(load.Start + TimeSpan.FromSeconds(at), delta > 0));
            }
        }

        return Result(SimulationPolicy.OracleAtTargetName, instanceSeconds, violations, actions, capacity, instances, lives, [], load, options);
    }

    /// <summary>The billing model of a backtest: the options' price and period; without a price, one unit per period
    /// and no cap, so that bills in periods can still be compared.</summary>
    internal static HourlyBilling Billing(SimulationOptions options) => new(options.Price ?? new InstancePrice(1m), options.BillingPeriod);

    /// <summary>The terms the virtual cloud reports to the engine: the same price and period the bill uses, so a
    /// billing-aware pool releases at the ends of the periods the report charges.</summary>
    internal static BillingTerms BillingTermsOf(SimulationOptions options)
    {
        var billing = Billing(options);
        return new BillingTerms(billing.Price, billing.Period);
    }

    /// <summary>
    /// A life as the report keeps it: times rounded to whole milliseconds from the trace's start (so that
    /// instances.csv holds exactly what was billed), and an instance that exists when the trace starts (a policy's
    /// warm start) counted from the start, as the oracle's instances at step 0 are.
    /// </summary>
    internal static InstanceLife Normalize(InstanceLife life, DateTimeOffset start)
    {
        DateTimeOffset At(DateTimeOffset t)
        {
            var ticks = Math.Max(0, (t - start).Ticks);
            return start + TimeSpan.FromMilliseconds((ticks + (TimeSpan.TicksPerMillisecond / 2)) / TimeSpan.TicksPerMillisecond);
        }

        return life with
        {
            Created = At(life.Created),
            Serving = life.Serving is { } s ? At(s) : null,
            Released = life.Released is { } r ? At(r) : null,
            Deleted = life.Deleted is { } d ? At(d) : null,
        };
    }

    /// <summary>The measures of one policy's run, the same way for the oracles and the engine's policies. Lives still
    /// alive at the trace's end are billed up to the end (the period in progress included).</summary>
    private static PolicyResult Result(string name, double instanceSeconds, double violations, List<ScalingAction> actions,
        double[] capacity, double[] instances, IReadOnlyList<InstanceLife> lives, IReadOnlyList<RemovalEvent> events, LoadTrace load, SimulationOptions options)
    {
        var billing = Billing(options);
        var cost = 0m;
        var periods = 0L;
        var idleSeconds = 0.0;
        foreach (var life in lives)
        {
            var deleted = life.Deleted ?? load.End;
            var n = billing.BilledPeriods(life.Created, deleted);
            periods += n;
            cost += billing.Cost(life.Created, deleted);
            var stopped = life.Released ?? deleted;
            var served = life.Serving is { } s && s < stopped ? (stopped - s).TotalSeconds : 0;
            idleSeconds += (n * billing.Period.TotalSeconds) - served;
        }

        return new PolicyResult
        {
            Name = name,
            BilledCost = options.Price is null ? null : cost,
            BilledPeriods = periods,
            BilledHours = periods * billing.Period.TotalHours,
            InstanceHours = instanceSeconds / 3600,
            PaidIdleHours = idleSeconds / 3600,
            SloViolationMinutes = violations,
            Actions = actions.Count,
            Flaps = CountFlaps(actions, options.FlapWindow),
            ScaleUps = actions.Count(a => a.Up),
            ScaleDowns = actions.Count(a => !a.Up),
            ServingCapacity = capacity,
            Instances = instances,
            ActionLog = actions,
            Lives = lives,
            RemovalEvents = events,
        };
    }

    /// <summary>A policy's bill over the oracle's: in USD when priced, else in billed periods; null when the oracle's is 0.</summary>
    private static double? RatioTo(PolicyResult p, PolicyResult oracle) =>
        p.BilledCost is { } cost && oracle.BilledCost is { } bound && bound > 0 ? (double)(cost / bound)
        : oracle.BilledPeriods > 0 ? p.BilledPeriods / (double)oracle.BilledPeriods
        : null;

    private static void Cover(double[] perRow, double start, double end, double stepSeconds)
    {
        if (end <= start)
        {
            return;
        }

        var first = (int)(start / stepSeconds);
        var last = Math.Min(perRow.Length - 1, (int)Math.Ceiling(end / stepSeconds) - 1);
        for (var k = first; k <= last; k++)
        {
            var overlap = Math.Min(end, (k + 1) * stepSeconds) - Math.Max(start, k * stepSeconds);
            if (overlap > 0)
            {
                perRow[k] += overlap / stepSeconds;
            }
        }
    }
}

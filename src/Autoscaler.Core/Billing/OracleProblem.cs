namespace Autoscaler.Core.Billing;

/// <summary>
/// What the billing oracle covers: a number of serving instances required at each step, and how instances behave.
/// Steps are equal slices of time (a minute in backtests); an instance created at step <c>s</c> is alive from
/// <c>s</c>, serves from <c>s + BootSteps</c>, and is billed from <c>s</c> per started period of
/// <see cref="PeriodSteps"/> steps.
/// </summary>
public sealed record OracleProblem
{
    /// <summary>Serving instances required at each step (e.g. <c>ceil(load / (capacity × 0.9))</c>); non-negative.</summary>
    public required IReadOnlyList<int> Demand { get; init; }

    /// <summary>Steps per billing period (60 for an hour of one-minute steps); at least 1.</summary>
    public required int PeriodSteps { get; init; }

    /// <summary>Steps from the create call until the instance serves (boot plus health checks); at least 0.</summary>
    public int BootSteps { get; init; }

    /// <summary>Instances always serving, whatever the demand (the pool's min).</summary>
    public int Min { get; init; }

    /// <summary>Instances alive at most at any step, booting ones included (the pool's max).</summary>
    public required int Max { get; init; }

    /// <summary>
    /// Instances created at step 0 serve at once, as every policy's pool in a backtest starts with its first need
    /// already serving; without it, nothing serves before step <see cref="BootSteps"/>.
    /// </summary>
    public bool WarmStart { get; init; } = true;

    /// <summary>Steps per period, when <paramref name="period"/> is a whole number of <paramref name="step"/>s.</summary>
    public static int PeriodStepsOf(TimeSpan period, TimeSpan step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(step, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        if (period.Ticks % step.Ticks != 0 || period.Ticks / step.Ticks > int.MaxValue)
        {
            throw new ArgumentException($"the billing period ({period}) is not a whole number of steps ({step})", nameof(period));
        }

        return (int)(period.Ticks / step.Ticks);
    }

    /// <summary>Every problem with this problem, each naming its field; empty when it can be solved.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Demand is null || Demand.Count == 0)
        {
            errors.Add("demand: needs at least one step");
        }
        else
        {
            for (var t = 0; t < Demand.Count; t++)
            {
                if (Demand[t] < 0)
                {
                    errors.Add($"demand[{t}] ({Demand[t]}) is negative");
                    break;
                }
            }
        }

        if (PeriodSteps < 1)
        {
            errors.Add($"period_steps ({PeriodSteps}) is less than 1");
        }

        if (BootSteps < 0)
        {
            errors.Add($"boot_steps ({BootSteps}) is negative");
        }

        if (Min < 0)
        {
            errors.Add($"min ({Min}) is negative");
        }

        if (Max < Min)
        {
            errors.Add($"min ({Min}) is greater than max ({Max})");
        }

        return errors;
    }
}

/// <summary>One instance of an oracle's plan, in steps.</summary>
/// <param name="CreatedStep">Step of the create call (billing starts).</param>
/// <param name="ServingStep">First step it serves.</param>
/// <param name="Periods">Billing periods it lives; it is deleted as the last one ends.</param>
public readonly record struct PlannedInstance(int CreatedStep, int ServingStep, int Periods)
{
    /// <summary>Step of the delete call: the end of its last paid period (it may lie past the horizon).</summary>
    public long DeletedStep(int periodSteps) => CreatedStep + ((long)Periods * periodSteps);

    /// <summary>This instance's life on the clock of a trace that starts at <paramref name="origin"/>.</summary>
    public Lifetime ToLifetime(DateTimeOffset origin, TimeSpan step, int periodSteps) =>
        new(origin + (step * CreatedStep), origin + TimeSpan.FromTicks(step.Ticks * DeletedStep(periodSteps)));
}

/// <summary>The oracle's plan in steps: the cheapest set of lifetimes that serves the demand.</summary>
public sealed record OracleSolution
{
    /// <summary>The lifetimes, by creation step; replaying them serves the demand at every step.</summary>
    public required IReadOnlyList<PlannedInstance> Instances { get; init; }

    /// <summary>Billing periods of all instances: the minimum any plan needs (price × this = the cost without caps).</summary>
    public required long BilledPeriods { get; init; }

    /// <summary>Steps per billing period the plan was made for.</summary>
    public required int PeriodSteps { get; init; }

    /// <summary>
    /// Steps whose demand no plan can serve: above max (served at max instead), or, without a warm start, before the
    /// first instance can finish booting (nothing serves there). Empty when the demand is feasible.
    /// </summary>
    public required IReadOnlyList<int> UncoveredSteps { get; init; }

    /// <summary>
    /// Steps at which the plan has more than max instances alive (booting ones counted). The flow does not bound the
    /// alive count (that would break its network structure); its tie-break (fewest creations among the cheapest
    /// plans) kept every plan checked against brute force within max, and this list says so per plan rather than
    /// assuming it. Expected empty.
    /// </summary>
    public required IReadOnlyList<int> StepsOverMax { get; init; }
}

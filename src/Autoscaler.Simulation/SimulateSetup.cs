using System.Globalization;
using Autoscaler.Common;
using Autoscaler.Core.Billing;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Simulation;

/// <summary>What <c>simulate</c> was asked for, beyond the trace and the configuration.</summary>
public sealed record SimulateSettings
{
    /// <summary>Multiply the trace's rates by this (exclusive with <see cref="PeakInstances"/>).</summary>
    public double? Scale { get; init; }

    /// <summary>Scale the trace so that its peak needs this many instances at the target utilisation.</summary>
    public int? PeakInstances { get; init; }

    /// <summary>From create to running. Default 65 s, Linode's recorded timings (the emulator's <c>realistic</c> profile):
    /// provisioning 41 s + <c>linode_boot</c> 24 s.</summary>
    public TimeSpan BootTime { get; init; } = TimeSpan.FromSeconds(65);

    /// <summary>From running and joined to node UP.</summary>
    public TimeSpan HealthCheckDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>CPU milliseconds per request (the Workload's <c>work_ms</c>).</summary>
    public double WorkMs { get; init; } = InstancePlans.DefaultWorkMs;

    /// <summary>Requests per second per instance at 100 % CPU; null derives it from the pool's type.</summary>
    public double? Capacity { get; init; }

    /// <summary>USD per started hour (billing period); null takes the pool type's list price when known.</summary>
    public decimal? PricePerHour { get; init; }

    /// <summary>USD cap per instance per calendar month; null takes the type's when the hourly price is the type's too,
    /// and no cap when <see cref="PricePerHour"/> is given.</summary>
    public decimal? MonthlyPrice { get; init; }

    /// <summary>Every started period is billed. Default 1 h, as Linode bills.</summary>
    public TimeSpan BillingPeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Target utilisation in percent when the pool has no target tracking.</summary>
    public double? TargetPercent { get; init; }
}

/// <summary>A backtest ready to run, and how its numbers were chosen (printed before the results).</summary>
/// <param name="Request">For <see cref="Simulator.RunAsync"/>.</param>
/// <param name="Scale">The factor applied to the trace's rates.</param>
/// <param name="Notes">One line per choice: pool, capacity, target, scale, price.</param>
public sealed record SimulatePlan(SimulationRequest Request, double Scale, IReadOnlyList<string> Notes);

/// <summary>Turns a configuration, a raw trace and the command's settings into a <see cref="SimulationRequest"/>,
/// reporting every problem at once.</summary>
public static class SimulateSetup
{
    public static SimulatePlan? TryCreate(AutoscalerConfig config, string? poolName, LoadTrace trace, SimulateSettings settings, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        var start = errors.Count;
        var pool = FindPool(config, poolName, errors);
        var notes = new List<string>();

        double? capacity = null;
        var plan = InstancePlans.Find(pool?.Provider?.InstanceType);
        if (settings.Capacity is { } c)
        {
            if (!double.IsFinite(c) || c <= 0)
            {
                errors.Add($"--capacity must be a positive number of requests per second (got {F(c)})");
            }
            else
            {
                capacity = c;
                notes.Add($"capacity: {F(c)} requests/s per instance at 100 % CPU (--capacity)");
            }
        }
        else if (!double.IsFinite(settings.WorkMs) || settings.WorkMs <= 0)
        {
            errors.Add($"--work-ms must be a positive number of milliseconds (got {F(settings.WorkMs)})");
        }
        else if (plan is not null)
        {
            capacity = InstancePlans.Capacity(plan.Vcpus, settings.WorkMs);
            notes.Add($"capacity: {F(capacity.Value)} requests/s per instance at 100 % CPU ({plan.Type}: {plan.Vcpus} vCPU × 1000 / {F(settings.WorkMs)} ms per request)");
        }
        else if (pool is not null)
        {
            errors.Add($"pool '{pool.Name}': type '{pool.Provider?.InstanceType}' is not a known Linode plan ({string.Join(", ", InstancePlans.All.Select(p => p.Type))}); "
                + "give the requests per second one instance serves with --capacity");
        }

        // The first signal that steers a query to a target (target tracking): its query is modelled as the pool's CPU %.
        var tracking = pool?.Signals.FirstOrDefault(s => s.Metric?.Target is not null);
        var trackedTarget = tracking?.Metric?.Target ?? 0;
        double? target = null;
        if (settings.TargetPercent is { } tp)
        {
            if (!double.IsFinite(tp) || tp <= 0 || tp > 100)
            {
                errors.Add($"--target must be a CPU percentage in (0, 100] (got {F(tp)})");
            }
            else
            {
                target = tp / 100;
                notes.Add($"target utilisation: {F(tp)} % (--target)");
            }
        }
        else if (tracking is not null)
        {
            if (trackedTarget is >= 1 and <= 100)
            {
                target = trackedTarget / 100;
                notes.Add($"target utilisation: {F(trackedTarget)} % ({tracking.DisplayName}; its query is modelled as the pool's CPU %)");
            }
            else
            {
                errors.Add($"pool '{pool!.Name}': {tracking.DisplayName} target {F(trackedTarget)} is not a CPU percentage from 1 to 100; "
                    + "simulate models target tracking's query as the pool's CPU % (0–100), not a fraction");
            }
        }
        else
        {
            target = 0.6;
            notes.Add("target utilisation: 60 % (the pool has no target tracking; --target changes it)");
        }

        var price = Price(settings, plan, notes, errors);
        if (settings.BillingPeriod <= TimeSpan.Zero)
        {
            errors.Add($"--billing-period must be positive (got {settings.BillingPeriod})");
        }
        else if (settings.BillingPeriod.Ticks % trace.Step.Ticks != 0)
        {
            errors.Add($"--billing-period ({Durations.Format(settings.BillingPeriod)}) must be a whole number of the trace's steps ({Durations.Format(trace.Step)})");
        }

        if (settings.BootTime < TimeSpan.Zero)
        {
            errors.Add($"--boot-time cannot be negative (got {settings.BootTime})");
        }

        if (settings.HealthCheckDelay < TimeSpan.Zero)
        {
            errors.Add($"--health-check-delay cannot be negative (got {settings.HealthCheckDelay})");
        }

        double? scale = null;
        switch (settings.Scale, settings.PeakInstances)
        {
            case (null, null):
                errors.Add("say how to scale the trace: --scale K (multiply its rates) or --peak-instances N (its peak needs N instances)");
                break;
            case ({ }, { }):
                errors.Add("use only one of --scale and --peak-instances");
                break;
            case ({ } k, null):
                if (!double.IsFinite(k) || k <= 0)
                {
                    errors.Add($"--scale must be a positive number (got {F(k)})");
                }
                else
                {
                    scale = k;
                    notes.Add($"scale: rates × {F(k)} (--scale): peak {F(trace.Peak * k)} requests/s");
                }

                break;
            case (null, { } n):
                if (n < 1)
                {
                    errors.Add($"--peak-instances must be at least 1 (got {n})");
                }
                else if (trace.Peak <= 0)
                {
                    errors.Add("the trace has no load at all, so it cannot be scaled to a peak; use --scale");
                }
                else if (capacity is { } cap && target is { } t)
                {
                    scale = Simulator.ScaleForPeakInstances(trace, n, cap, t);
                    notes.Add($"scale: rates × {F(scale.Value)} so the peak ({F(trace.Peak)} → {F(trace.Peak * scale.Value)} requests/s) needs {n} instances at {F(t * 100)} %");
                }

                break;
        }

        if (errors.Count > start || pool is null || capacity is null || target is null || scale is null)
        {
            return null;
        }

        if (pool.Max < 1)
        {
            errors.Add($"pool '{pool.Name}': max is {pool.Max}, so there is nothing to scale");
            return null;
        }

        notes.Insert(0, $"pool: {pool.Name} ({pool.Provider?.InstanceType}, min {pool.Min}, max {pool.Max}); engine every {Durations.Format(config.Engine.EvaluationInterval)}; "
            + $"boot {Durations.Format(settings.BootTime)} + health check {Durations.Format(settings.HealthCheckDelay)}");
        var request = new SimulationRequest
        {
            Load = trace.Scale(scale.Value),
            Pool = pool,
            EvaluationInterval = config.Engine.EvaluationInterval,
            Alerts = config.Alerts,
            Options = new SimulationOptions
            {
                InstanceCapacity = capacity.Value,
                TargetUtilization = target.Value,
                Price = price,
                BillingPeriod = settings.BillingPeriod,
                BootTime = settings.BootTime,
                HealthCheckDelay = settings.HealthCheckDelay,
            },
        };
        return new SimulatePlan(request, scale.Value, notes);
    }

    /// <summary>The price billed: --price / --monthly-price, else the type's list price; null (bills in periods only)
    /// when neither is known.</summary>
    private static InstancePrice? Price(SimulateSettings settings, InstancePlan? plan, List<string> notes, List<string> errors)
    {
        var hourly = settings.PricePerHour;
        var monthly = settings.MonthlyPrice;
        var before = errors.Count;
        if (hourly is < 0)
        {
            errors.Add($"--price must be a non-negative number of USD per instance-hour (got {M(hourly.Value)})");
        }

        if (monthly is < 0)
        {
            errors.Add($"--monthly-price must be a non-negative number of USD per instance-month (got {M(monthly.Value)})");
        }

        if (hourly is null && monthly is not null && plan is null)
        {
            errors.Add("--monthly-price needs --price (the pool's type has no known list price)");
        }

        if (errors.Count > before)
        {
            return null;
        }

        var period = settings.BillingPeriod == TimeSpan.FromHours(1) ? "hour" : $"billing period of {Durations.Format(settings.BillingPeriod)}";
        string Cap(decimal? m) => m is { } c ? $", at most {M(c)} USD per instance per calendar month" : ", no monthly cap";
        if (hourly is { } h)
        {
            notes.Add($"price: {M(h)} USD per instance-hour (--price), per started {period}{Cap(monthly)}{(monthly is null ? "" : " (--monthly-price)")}");
            return new InstancePrice(h, monthly);
        }

        if (plan is not null)
        {
            var cap = monthly ?? plan.MonthlyPrice;
            notes.Add($"price: {M(plan.HourlyPrice)} USD per started {period}{Cap(cap)} ({plan.Type} list price{(monthly is null ? "" : "; --monthly-price")})");
            return new InstancePrice(plan.HourlyPrice, cap);
        }

        notes.Add("price: unknown (give --price to get costs; bills are compared in billed hours)");
        return null;
    }

    private static PoolConfig? FindPool(AutoscalerConfig config, string? name, List<string> errors)
    {
        if (name is not null)
        {
            var pool = config.FindPool(name);
            if (pool is null)
            {
                errors.Add($"--pool: the configuration has no pool '{name}' (pools: {string.Join(", ", config.Pools.Select(p => p.Name))})");
            }

            return pool;
        }

        if (config.Pools.Count == 1)
        {
            return config.Pools[0];
        }

        errors.Add($"the configuration has {config.Pools.Count} pools ({string.Join(", ", config.Pools.Select(p => p.Name))}); choose one with --pool NAME");
        return null;
    }

    private static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    private static string M(decimal v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}

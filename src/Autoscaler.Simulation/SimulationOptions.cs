using Autoscaler.Core.Billing;

namespace Autoscaler.Simulation;

/// <summary>
/// What a backtest models besides the pool's own configuration: the instances (boot time, health checks, capacity,
/// price), the monitoring pipeline that feeds the engine (Prometheus scrapes, rule evaluation, <c>for</c> delays,
/// Alertmanager grouping and repeats) and the scoring (SLO threshold, flap window). Defaults follow deploy/prometheus
/// and deploy/alertmanager.
/// </summary>
public sealed record SimulationOptions
{
    /// <summary>Requests per second one instance serves at 100 % CPU (the Workload's model: vCPUs × 1000 / work_ms).</summary>
    public required double InstanceCapacity { get; init; }

    /// <summary>Target utilisation, 0–1: every policy starts with ceil(load / (capacity × this)) serving,
    /// <c>oracle-at-target</c> keeps that many, <c>--peak-instances</c> scales with it. Usually the target-tracking
    /// target.</summary>
    public required double TargetUtilization { get; init; }

    /// <summary>What one instance costs per billing period and per calendar month at most (USD), or null when unknown
    /// (bills are then counted in periods only).</summary>
    public InstancePrice? Price { get; init; }

    /// <summary>The billing period: every started one is billed. Default 1 h (Linode); a whole number of trace steps.</summary>
    public TimeSpan BillingPeriod { get; init; } = HourlyBilling.DefaultPeriod;

    /// <summary>From the create call to the instance running (provisioning and boot). Default 65 s, as recorded from the
    /// real API (SUBSET.md §13: <c>linode_create</c> of a nanode about 65 s) and as the emulator's <c>realistic</c> profile.</summary>
    public TimeSpan BootTime { get; init; } = TimeSpan.FromSeconds(65);

    /// <summary>From a running, joined instance to its NodeBalancer node UP. Default 10 s.</summary>
    public TimeSpan HealthCheckDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Prometheus <c>scrape_interval</c>. Default 15 s.</summary>
    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Prometheus <c>evaluation_interval</c> (recording and alert rules). Default 15 s.</summary>
    public TimeSpan RuleInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The <c>rate(...[w])</c> window of the pool CPU rule. Default 1 m.</summary>
    public TimeSpan RateWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Alertmanager <c>group_wait</c>. Default 10 s.</summary>
    public TimeSpan GroupWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Alertmanager <c>group_interval</c>. Default 30 s.</summary>
    public TimeSpan GroupInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Alertmanager <c>repeat_interval</c>; null takes the configuration's <c>alerts.repeat_interval</c>.</summary>
    public TimeSpan? RepeatInterval { get; init; }

    /// <summary>The CPU alert rules (PoolCpuHigh / PoolCpuLow) that the seed policy, and any alert signal of the
    /// configuration, listen to.</summary>
    public CpuAlertRules AlertRules { get; init; } = new();

    /// <summary>A minute violates the SLO when its load exceeds this share of the serving capacity. Default 0.9.</summary>
    public double SloUtilization { get; init; } = 0.9;

    /// <summary>Two scaling actions in opposite directions this close make a flap. Default 10 min.</summary>
    public TimeSpan FlapWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Seed of the engine's labels and ids (results do not depend on it).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Every problem with these values (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!double.IsFinite(InstanceCapacity) || InstanceCapacity <= 0)
        {
            errors.Add($"instance capacity must be a positive number of requests per second (got {InstanceCapacity})");
        }

        if (!double.IsFinite(TargetUtilization) || TargetUtilization <= 0 || TargetUtilization > 1)
        {
            errors.Add($"target utilisation must be in (0, 1] (got {TargetUtilization})");
        }

        if (Price is { } price)
        {
            errors.AddRange(price.Validate());
        }

        void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{name} must be positive (got {value})");
            }
        }

        if (BootTime < TimeSpan.Zero)
        {
            errors.Add($"boot time cannot be negative (got {BootTime})");
        }

        if (HealthCheckDelay < TimeSpan.Zero)
        {
            errors.Add($"health-check delay cannot be negative (got {HealthCheckDelay})");
        }

        Positive(BillingPeriod, "billing period");
        Positive(ScrapeInterval, "scrape interval");
        Positive(RuleInterval, "rule evaluation interval");
        Positive(RateWindow, "rate window");
        Positive(GroupInterval, "group interval");
        if (GroupWait < TimeSpan.Zero)
        {
            errors.Add($"group wait cannot be negative (got {GroupWait})");
        }

        if (RepeatInterval is { } r)
        {
            Positive(r, "repeat interval");
        }

        if (RateWindow < ScrapeInterval * 2)
        {
            errors.Add($"the rate window ({RateWindow}) must hold at least two scrapes ({ScrapeInterval} apart)");
        }

        if (!double.IsFinite(SloUtilization) || SloUtilization <= 0)
        {
            errors.Add($"SLO utilisation must be positive (got {SloUtilization})");
        }

        if (AlertRules.LowPercent >= AlertRules.HighPercent)
        {
            errors.Add($"the low CPU threshold ({AlertRules.LowPercent}) must be below the high one ({AlertRules.HighPercent})");
        }

        return errors;
    }
}

/// <summary>The pool CPU alert rules of deploy/prometheus/rules/autoscaling.rules.yml.</summary>
public sealed record CpuAlertRules
{
    /// <summary>Name of the scale-up alert.</summary>
    public string HighAlert { get; init; } = "PoolCpuHigh";

    /// <summary>Fires when pool CPU % stays above this… Default 70.</summary>
    public double HighPercent { get; init; } = 70;

    /// <summary>…for this long. Default 1 m.</summary>
    public TimeSpan HighFor { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Name of the scale-down alert.</summary>
    public string LowAlert { get; init; } = "PoolCpuLow";

    /// <summary>Fires when pool CPU % stays below this… Default 25.</summary>
    public double LowPercent { get; init; } = 25;

    /// <summary>…for this long. Default 5 m.</summary>
    public TimeSpan LowFor { get; init; } = TimeSpan.FromMinutes(5);
}

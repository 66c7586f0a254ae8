using Autoscaler.Core.Providers;
using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Configuration;

/// <summary>Which members a scale-in removes first (after the unhealthy and not-yet-serving ones).</summary>
public enum VictimPolicy
{
    /// <summary>Most recently created first.</summary>
    Newest,

    /// <summary>Least recently created first.</summary>
    Oldest,
}

/// <summary>How a scale-in treats the time an instance has already paid for.</summary>
public enum BillingMode
{
    /// <summary>The cloud bills per started period: a surplus member keeps serving until just before its paid period
    /// ends and is released then, unless the need comes back (the default).</summary>
    Hourly,

    /// <summary>Billing is ignored: a surplus member is removed at once.</summary>
    None,
}

/// <summary>
/// One pool's policy: its bounds, health rules, steps and cooldowns, and the signals that size it. Where and how its
/// instances are made belongs to its provider (<see cref="Provider"/>, opaque here), and other units keep their
/// per-pool settings in <see cref="Sections"/>.
/// </summary>
public sealed record PoolConfig
{
    /// <summary>Pool name (letters, digits, '-', '_').</summary>
    public required string Name { get; init; }

    /// <summary>Smallest size.</summary>
    public int Min { get; init; }

    /// <summary>Largest size.</summary>
    public int Max { get; init; } = 1;

    /// <summary>Initial desired size of an empty pool without journal record (an existing pool keeps its member count).</summary>
    public int? Desired { get; init; }

    /// <summary>Health grace and replacement.</summary>
    public HealthConfig Health { get; init; } = new();

    /// <summary>Scale-up policy.</summary>
    public ScaleUpConfig ScaleUp { get; init; } = new();

    /// <summary>Scale-down policy.</summary>
    public ScaleDownConfig ScaleDown { get; init; } = new();

    /// <summary>The pool's monthly spend guardrail; null when it has none.</summary>
    public BudgetConfig? Budget { get; init; }

    /// <summary>Signals, in file order.</summary>
    public IReadOnlyList<SignalConfig> Signals { get; init; } = [];

    /// <summary>The pool's provider settings, as its provider read them; null only in configurations built by hand for
    /// an engine given its instance pools directly (tests, simulations).</summary>
    public ProviderPoolConfig? Provider { get; init; }

    /// <summary>Other units' settings of this pool (e.g. the dashboard's queries).</summary>
    public ConfigSections Sections { get; init; } = ConfigSections.Empty;

    /// <summary>The prefix of the labels of instances the autoscaler creates: the provider's, or the pool name.</summary>
    public string EffectiveLabelPrefix => Provider?.LabelPrefix is { Length: > 0 } prefix ? prefix : Name;
}

/// <summary>When a member that does not serve is replaced.</summary>
public sealed record HealthConfig
{
    /// <summary>Time after creation during which a member that does not serve is not held against it. Default 60 s.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A member not serving for this long after the grace period is replaced. Default 120 s.</summary>
    public TimeSpan ReplaceAfter { get; init; } = TimeSpan.FromSeconds(120);
}

/// <summary>Scale-up policy.</summary>
public sealed record ScaleUpConfig
{
    /// <summary>Instances added per alert-driven step. Default 1.</summary>
    public int Step { get; init; } = 1;

    /// <summary>When set, a step is at least this percentage of the serving instances (rounded up).</summary>
    public double? StepPercent { get; init; }

    /// <summary>No further scale-up until this long after the last scale-up's capacity serves. Default 60 s.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most members launching (created, not yet serving) at once. Default 10.</summary>
    public int MaxInFlight { get; init; } = 10;
}

/// <summary>Scale-down policy.</summary>
public sealed record ScaleDownConfig
{
    /// <summary>Instances removed per alert-driven step. Default 1.</summary>
    public int Step { get; init; } = 1;

    /// <summary>No scale-down until this long after the last scale-down finished or the last scale-up served. Default 300 s.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Time a victim's node stays in drain mode before it is removed. Default 30 s.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Which serving members go first (with <see cref="BillingMode.None"/>). Default newest.</summary>
    public VictimPolicy Victim { get; init; } = VictimPolicy.Newest;

    /// <summary>Whether a scale-in waits for the end of a member's paid period. Default hourly.</summary>
    public BillingMode Billing { get; init; } = BillingMode.Hourly;

    /// <summary>How long before its paid period ends a released member's delete is meant to land, beyond the drain:
    /// slack for the API and the engine's interval. Default 3 min.</summary>
    public TimeSpan ReleaseMargin { get; init; } = TimeSpan.FromMinutes(3);
}

/// <summary>A pool's monthly spend guardrail: a scale-up that would push the month's projected bill above it is cut.</summary>
public sealed record BudgetConfig
{
    /// <summary>USD per calendar month (UTC) for the pool's instances; &gt; 0.</summary>
    public required decimal MonthlyUsd { get; init; }
}

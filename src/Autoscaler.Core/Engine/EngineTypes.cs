using Autoscaler.Core.Alerts;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Core.Engine;

/// <summary>A pool to scale: its configuration and its provider. <see cref="Signals"/> overrides the signals built
/// from the configuration (simulations plug their own policies in here).</summary>
/// <param name="Config">Validated pool configuration.</param>
/// <param name="Instances">The provider's pool.</param>
public sealed record ScalingPool(PoolConfig Config, IInstancePool Instances)
{
    /// <summary>Signals to use instead of those built from <see cref="PoolConfig.Signals"/>.</summary>
    public IReadOnlyList<IScalingSignal>? Signals { get; init; }
}

/// <summary>What the engine depends on.</summary>
public sealed record EngineServices
{
    /// <summary>The clock (FakeTimeProvider in tests, a virtual clock in simulations).</summary>
    public required TimeProvider Time { get; init; }

    /// <summary>Durable intents and desired sizes.</summary>
    public required IOperationJournal Journal { get; init; }

    /// <summary>Audit trail.</summary>
    public required IDecisionLog DecisionLog { get; init; }

    /// <summary>Alert state; required when a pool has alert signals.</summary>
    public AlertStateStore? Alerts { get; init; }

    /// <summary>Metrics; required when a pool has target tracking.</summary>
    public IMetricSource? Metrics { get; init; }

    /// <summary>Load history; required when a pool has a forecast signal.</summary>
    public Autoscaler.Core.Signals.Forecast.ILoadHistory? History { get; init; }

    /// <summary>Decide and record only: no desired-size change, no provider call except snapshots.</summary>
    public bool DryRun { get; init; }

    /// <summary>Source of labels and operation ids; seed it for reproducible runs. Default <see cref="Random.Shared"/>.</summary>
    public Random? Random { get; init; }

    /// <summary>Logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Where deleted members' lifetimes are kept for the month's bill (the service's SQLite journal); null
    /// gives the engine its own <see cref="Autoscaler.Core.Billing.InMemoryBillingLedger"/>.</summary>
    public Autoscaler.Core.Billing.IBillingLedger? BillingLedger { get; init; }
}

/// <summary>Outcome of <see cref="ScalingEngine.SetDesiredAsync"/>.</summary>
/// <param name="Accepted">False when the size is out of bounds or the pool unknown.</param>
/// <param name="Message">What happened, for the API's answer.</param>
/// <param name="Decision">The recorded decision, when accepted.</param>
public sealed record SetDesiredResult(bool Accepted, string Message, Decision? Decision);

/// <summary>Running totals of a pool, for /metrics.</summary>
public sealed record PoolCounters
{
    /// <summary>Skipped changes by reason.</summary>
    public IReadOnlyDictionary<SkipReason, long> Skips { get; init; } = new Dictionary<SkipReason, long>();

    /// <summary>Evaluation errors (snapshot failures, signals that threw).</summary>
    public long EvaluationErrors { get; init; }

    /// <summary>Scale-up decisions.</summary>
    public long ScaleUps { get; init; }

    /// <summary>Scale-down decisions.</summary>
    public long ScaleDowns { get; init; }

    /// <summary>Instances launched.</summary>
    public long Launched { get; init; }

    /// <summary>Members removed.</summary>
    public long Removed { get; init; }

    /// <summary>Orphan nodes removed.</summary>
    public long OrphansRemoved { get; init; }

    /// <summary>Provider calls that failed during reconciliation.</summary>
    public long OperationFailures { get; init; }

    /// <summary>Draining members taken back by a scale-up instead of creating instances.</summary>
    public long TakenBack { get; init; }
}

/// <summary>A pool's state for status pages and the API.</summary>
public sealed record PoolStatus
{
    /// <summary>Pool name.</summary>
    public required string Pool { get; init; }

    /// <summary>Desired size (null before the first evaluation).</summary>
    public int? Desired { get; init; }

    /// <summary>Effective minimum now: the configured one, raised by an active schedule.</summary>
    public int Min { get; init; }

    /// <summary>Effective maximum now: the configured one, or an active schedule's.</summary>
    public int Max { get; init; }

    /// <summary>Last view of the members (null before the first evaluation).</summary>
    public PoolView? View { get; init; }

    /// <summary>No scale-up before this time.</summary>
    public DateTimeOffset? ScaleUpCooldownUntil { get; init; }

    /// <summary>No scale-down before this time.</summary>
    public DateTimeOffset? ScaleDownCooldownUntil { get; init; }

    /// <summary>Last decision.</summary>
    public Decision? LastDecision { get; init; }

    /// <summary>Open operations.</summary>
    public IReadOnlyList<OperationRecord> Operations { get; init; } = [];

    /// <summary>Launches the last pass wanted but the cloud's create limit did not let start yet (still wanted: a
    /// later pass starts them).</summary>
    public int LaunchesWaiting { get; init; }

    /// <summary>Why <see cref="LaunchesWaiting"/> launches wait (e.g. "Linode's create limit (20 per 15 s)"), or null.</summary>
    public string? LaunchesWaitingFor { get; init; }

    /// <summary>Totals.</summary>
    public PoolCounters Counters { get; init; } = new();
}

using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Signals;

/// <summary>
/// One entry of a pool's <c>signals</c> list, as its <see cref="ISignalKind"/> read it. Each kind's record (in its own
/// folder under Signals/) answers everything the rest of the program asks of a signal — how to describe it, how to build
/// it, what it reads, how it stands — so nothing else has to know the kinds.
/// </summary>
public abstract record SignalConfig
{
    /// <summary>Position in the pool's <c>signals</c> list.</summary>
    public int Index { get; init; }

    /// <summary>A short name like <c>signals[0] alert PoolCpuHigh</c>, used by decisions and the API.</summary>
    public abstract string DisplayName { get; }

    /// <summary>The effective settings as one YAML-like line (secrets never shown), for <c>validate</c> and the log.</summary>
    public abstract string Describe();

    /// <summary>Builds the signal the engine evaluates; throws <see cref="ArgumentException"/> when
    /// <paramref name="context"/> lacks what it needs (an alert store, a metric source).</summary>
    public abstract IScalingSignal CreateSignal(SignalBuildContext context);

    /// <summary>The Prometheus query this signal reads, when it reads one: the dashboard takes its Prometheus from it and
    /// the simulator models it. Null by default.</summary>
    public virtual SignalMetric? Metric => null;

    /// <summary>True when an alert with <paramref name="labels"/> concerns this signal of <paramref name="pool"/>: the
    /// webhook then asks the engine to evaluate the pool at once. False by default.</summary>
    public virtual bool ListensTo(IReadOnlyDictionary<string, string> labels, string pool) => false;

    /// <summary>How the signal stands beyond what its last recommendation says (e.g. an alert that fires, or that
    /// Alertmanager stopped re-sending); null leaves it to the recommendation. Null by default.</summary>
    public virtual SignalStatus? Status(SignalStatusContext context) => null;
}

/// <summary>A Prometheus query a signal reads.</summary>
/// <param name="Prometheus">Prometheus base URL.</param>
/// <param name="Query">PromQL giving one number for the pool.</param>
/// <param name="Target">The value the signal steers the query to, when it has one.</param>
public sealed record SignalMetric(Uri Prometheus, string Query, double? Target = null);

/// <summary>What a signal may be built with.</summary>
/// <param name="Pool">The pool's configuration (its scale-up and scale-down steps).</param>
/// <param name="Alerts">Alert state fed by the webhook, when there is one.</param>
/// <param name="Metrics">Where metrics are read, when there is one.</param>
/// <param name="History">Where load history is read (forecasts), when there is one.</param>
public sealed record SignalBuildContext(PoolConfig Pool, AlertStateStore? Alerts, IMetricSource? Metrics, Forecast.ILoadHistory? History = null);

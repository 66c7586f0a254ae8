using System.Globalization;
using Autoscaler.Common;

namespace Autoscaler.Core.Signals.Forecast;

/// <summary>What a forecast signal does with its forecast.</summary>
public enum ForecastMode
{
    /// <summary>Raises the pool ahead of a forecast rise (and keeps what the next hour needs from scale-in).</summary>
    Scale,

    /// <summary>Records what it would have done (status, dashboard) without acting.</summary>
    ForecastOnly,
}

/// <summary>
/// Scale out ahead of the load's daily and weekly rises: a seasonal forecast of the pool's load (read from Prometheus'
/// history) <see cref="Lead"/> ahead, as an upper quantile, divided by what one member carries.
/// </summary>
public sealed record ForecastConfig : SignalConfig
{
    /// <summary>Prometheus base URL.</summary>
    public required Uri Prometheus { get; init; }

    /// <summary>PromQL giving the pool's load as one series (e.g. its request rate, or its busy CPUs).</summary>
    public required string Query { get; init; }

    /// <summary>The load one member should carry (e.g. its capacity × the target utilisation), in the query's unit.</summary>
    public double PerInstance { get; init; }

    /// <summary>How far ahead the size is recommended: boot + health check + a margin. Default 3 minutes.</summary>
    public TimeSpan Lead { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The upper quantile of the forecast recommended. Default 0.9.</summary>
    public double Quantile { get; init; } = 0.9;

    /// <summary>History read and modelled. Default 14 days.</summary>
    public TimeSpan History { get; init; } = TimeSpan.FromDays(14);

    /// <summary>Distance between history samples. Default 1 minute.</summary>
    public TimeSpan Step { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The forecast is capped at this × the highest (smoothed) load of the history. Default 1.25.</summary>
    public double Cap { get; init; } = 1.25;

    /// <summary>Scale-in keeps the members the forecast needs over this span from now; zero turns it off. Default 1 hour.</summary>
    public TimeSpan KeepHorizon { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Scale, or only record.</summary>
    public ForecastMode Mode { get; init; } = ForecastMode.Scale;

    /// <inheritdoc />
    public override string DisplayName => $"signals[{Index}] forecast";

    /// <inheritdoc />
    public override SignalMetric Metric => new(Prometheus, Query);

    /// <summary>The model the signal fits.</summary>
    public ForecastModelOptions ModelOptions => new() { Step = Step, History = History, Quantile = Quantile, CapRatio = Cap };

    /// <inheritdoc />
    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"forecast: {{ prometheus: {Prometheus}, query: '{Query}', per_instance: {PerInstance}, lead: {Durations.Format(Lead)}, quantile: {Quantile}, history: {Durations.Format(History)}, step: {Durations.Format(Step)}, cap: {Cap}, keep_horizon: {Durations.Format(KeepHorizon)}, mode: {(Mode == ForecastMode.Scale ? "scale" : "forecast_only")} }}");

    /// <inheritdoc />
    public override IScalingSignal CreateSignal(SignalBuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new ForecastSignal(this,
            context.History ?? throw new ArgumentException($"pool '{context.Pool.Name}' has a forecast signal but no load history was given", nameof(context)));
    }

    /// <inheritdoc />
    public override SignalStatus? Status(SignalStatusContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Recommendation is not { } rec || Mode == ForecastMode.Scale)
        {
            return null;
        }

        return new SignalStatus(SignalState.Ok, $"forecast only: {rec.Reason}", context.DecidedAt);
    }
}

using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Signals.Forecast;

/// <summary>The <c>forecast</c> signal kind: <c>forecast: { prometheus, query, per_instance, lead, quantile, history,
/// step, cap, keep_horizon, mode }</c>.</summary>
public sealed class ForecastSignalKind : ISignalKind
{
    /// <inheritdoc />
    public string Name => "forecast";

    /// <inheritdoc />
    public string Description => "forecast";

    /// <inheritdoc />
    public bool Claims(MapReader entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Has("forecast");
    }

    /// <inheritdoc />
    public SignalConfig? Read(MapReader entry, SignalReadContext context)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(context);
        var m = entry.Map("forecast", required: true);
        if (m is null)
        {
            return null;
        }

        var ctx = m.Context;
        var prefix = m.Prefix;
        var (url, query, perInstance) = PromQlFields.Read(m, "per_instance");

        var lead = m.Duration("lead");
        if (lead is { } l && (l <= TimeSpan.Zero || l > TimeSpan.FromHours(6)))
        {
            m.Error($"{ctx}{prefix}lead must be > 0 and at most 6h", m.Raw("lead"));
        }

        var quantile = m.Number("quantile");
        if (quantile is <= 0 or >= 1)
        {
            m.Error($"{ctx}{prefix}quantile must be > 0 and < 1", m.Raw("quantile"));
        }

        var step = m.Duration("step");
        if (step is { } s && (s < TimeSpan.FromSeconds(1) || s > TimeSpan.FromMinutes(15)))
        {
            m.Error($"{ctx}{prefix}step must be between 1s and 15m", m.Raw("step"));
        }

        var history = m.Duration("history");
        if (history is { } h && (h < TimeSpan.FromDays(1) || h > TimeSpan.FromDays(60)))
        {
            m.Error($"{ctx}{prefix}history must be between 1d and 60d (less than a day gives no forecast)", m.Raw("history"));
        }

        var cap = m.Number("cap");
        if (cap is < 1)
        {
            m.Error($"{ctx}{prefix}cap must be >= 1 (a multiple of the highest past load)", m.Raw("cap"));
        }

        var keep = m.Duration("keep_horizon");
        if (keep is { } k && (k < TimeSpan.Zero || k > TimeSpan.FromHours(6)))
        {
            m.Error($"{ctx}{prefix}keep_horizon must be between 0s and 6h", m.Raw("keep_horizon"));
        }

        var modeText = m.String("mode");
        ForecastMode? mode = modeText switch
        {
            null => null,
            "scale" => ForecastMode.Scale,
            "forecast_only" => ForecastMode.ForecastOnly,
            _ => null,
        };
        if (modeText is not null && mode is null)
        {
            m.Error($"{ctx}{prefix}mode must be scale or forecast_only, not '{modeText}'", m.Raw("mode"));
        }

        m.Done();
        if (url is null || query is null || perInstance is null)
        {
            return null;
        }

        var d = new ForecastConfig { Prometheus = url, Query = query };
        return d with
        {
            Index = context.Index,
            PerInstance = perInstance.Value,
            Lead = lead ?? d.Lead,
            Quantile = quantile ?? d.Quantile,
            Step = step ?? d.Step,
            History = history ?? d.History,
            Cap = cap ?? d.Cap,
            KeepHorizon = keep ?? d.KeepHorizon,
            Mode = mode ?? d.Mode,
        };
    }
}

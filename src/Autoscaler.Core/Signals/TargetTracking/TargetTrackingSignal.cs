using System.Globalization;

namespace Autoscaler.Core.Signals.TargetTracking;

/// <summary>
/// Keeps a pool metric at its target like the Kubernetes HPA: raw desired = ceil(serving × metric / target), no change
/// while |metric / target − 1| ≤ tolerance, then stabilization: a scale-down follows the highest raw recommendation of
/// its window and a scale-up the lowest of its window. Missing, NaN or failed readings hold and are not recorded.
/// </summary>
public sealed class TargetTrackingSignal : IScalingSignal
{
    private readonly TargetTrackingConfig _config;
    private readonly IMetricSource _metrics;
    private readonly List<(DateTimeOffset At, int Desired)> _history = [];
    private readonly string _target;
    private readonly string _tolerancePercent;

    /// <summary>Creates the signal for one <c>target_tracking</c> entry of a pool.</summary>
    public TargetTrackingSignal(TargetTrackingConfig config, IMetricSource metrics)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(metrics);
        _config = config;
        _metrics = metrics;
        Name = config.DisplayName;
        _target = F(config.Target);
        _tolerancePercent = F(config.Tolerance * 100);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async ValueTask<Recommendation> EvaluateAsync(SignalContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        MetricReading reading;
        try
        {
            reading = await _metrics.ReadAsync(new MetricQuery(context.Pool, _config.Prometheus, _config.Query), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            reading = MetricReading.Missing($"{ex.GetType().Name}: {ex.Message}");
        }

        if (!reading.IsMissing && !double.IsFinite(reading.Value))
        {
            reading = MetricReading.Missing("the query returned NaN");
        }

        if (reading.IsMissing)
        {
            return Recommendation.Missing(Name, $"metric missing ({reading.MissingReason}): holding", Inputs(reading, null));
        }

        if (context.Serving == 0)
        {
            return Recommendation.Missing(Name, "no serving instance to measure: holding", Inputs(reading, null));
        }

        var ratio = reading.Value / _config.Target;
        int raw;
        string why;
        // The epsilon makes the boundary inclusive despite binary fractions (66 / 60 − 1 is 0.10000000000000009).
        if (Math.Abs(ratio - 1) <= _config.Tolerance + 1e-9)
        {
            raw = context.Desired;
            why = $"metric {F(reading.Value)} within {_tolerancePercent}% of target {_target}";
        }
        else
        {
            // The epsilon keeps 3 × 80/60 = 4.000000001 from becoming 5.
            raw = (int)Math.Ceiling(context.Serving * ratio - 1e-9);
            why = $"metric {F(reading.Value)} vs target {_target}: ceil({context.Serving} × {F(ratio)}) = {raw}";
        }

        var now = context.Now;
        _history.Add((now, raw));
        var keep = _config.ScaleDownStabilization > _config.ScaleUpStabilization ? _config.ScaleDownStabilization : _config.ScaleUpStabilization;
        var expired = 0;
        while (expired < _history.Count && _history[expired].At < now - keep)
        {
            expired++;
        }

        if (expired > 0)
        {
            _history.RemoveRange(0, expired);
        }

        var upRecommendation = raw;
        var downRecommendation = raw;
        foreach (var (at, desired) in _history)
        {
            if (at > now - _config.ScaleUpStabilization)
            {
                upRecommendation = Math.Min(upRecommendation, desired);
            }

            if (at > now - _config.ScaleDownStabilization)
            {
                downRecommendation = Math.Max(downRecommendation, desired);
            }
        }

        var stabilized = context.Desired;
        if (stabilized < upRecommendation)
        {
            stabilized = upRecommendation;
        }

        if (stabilized > downRecommendation)
        {
            stabilized = downRecommendation;
        }

        if (stabilized != raw)
        {
            why += $"; stabilized to {stabilized}";
        }

        var direction = stabilized > context.Desired ? ScaleDirection.Up
            : stabilized < context.Desired ? ScaleDirection.Down
            : ScaleDirection.Hold;
        return new Recommendation
        {
            Signal = Name,
            Direction = direction,
            Desired = stabilized,
            Reason = why,
            Inputs = Inputs(reading, (ratio, context.Serving, raw, stabilized)),
        };
    }

    private LazyInputs Inputs(MetricReading reading, (double Ratio, int Serving, int Raw, int Stabilized)? computed) => new(() =>
    {
        var inputs = new Dictionary<string, string>(7)
        {
            ["query"] = _config.Query,
            ["target"] = _target,
            ["metric"] = reading.IsMissing ? "missing" : F(reading.Value),
        };
        if (computed is { } c)
        {
            inputs["ratio"] = F(c.Ratio);
            inputs["serving"] = c.Serving.ToString(CultureInfo.InvariantCulture);
            inputs["raw_desired"] = c.Raw.ToString(CultureInfo.InvariantCulture);
            inputs["stabilized_desired"] = c.Stabilized.ToString(CultureInfo.InvariantCulture);
        }

        return inputs;
    });

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}

using System.Globalization;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Signals.Alerts;

/// <summary>
/// Steps the pool while a matching alert fires: up → serving + step (the capacity the alert measured, so a step is not
/// taken again for instances still booting), down → desired − step.
/// </summary>
public sealed class AlertStepSignal : IScalingSignal
{
    private readonly AlertSignalConfig _config;
    private readonly AlertMatcher _matcher;
    private readonly ScaleUpConfig _up;
    private readonly ScaleDownConfig _down;
    private readonly AlertStateStore _alerts;

    /// <summary>Creates the signal for one <c>alert</c> entry of a pool.</summary>
    public AlertStepSignal(AlertSignalConfig config, ScaleUpConfig scaleUp, ScaleDownConfig scaleDown, AlertStateStore alerts)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(scaleUp);
        ArgumentNullException.ThrowIfNull(scaleDown);
        ArgumentNullException.ThrowIfNull(alerts);
        _config = config;
        _matcher = config.Matcher;
        _up = scaleUp;
        _down = scaleDown;
        _alerts = alerts;
        Name = config.DisplayName;
    }

    /// <summary>How many firing alerts a recommendation's inputs name (the rest are counted).</summary>
    public const int ListedAlerts = 10;

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public ValueTask<Recommendation> EvaluateAsync(SignalContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var firing = _alerts.FindFiring(_matcher, context.Pool);
        if (firing.Count == 0)
        {
            return ValueTask.FromResult(Recommendation.Hold(Name, "no matching alert firing"));
        }

        // The earliest few by name, then a count: every decision keeps its inputs, and a flood of matching alerts must
        // not make each one carry thousands of fingerprints.
        var listed = string.Join(",", firing.Take(ListedAlerts).Select(a => $"{a.AlertName ?? "?"}[{a.Fingerprint}]"));
        var inputs = new Dictionary<string, string>
        {
            ["alerts"] = firing.Count > ListedAlerts ? $"{listed} (+{firing.Count - ListedAlerts} more)" : listed,
            ["alerts_firing"] = firing.Count.ToString(CultureInfo.InvariantCulture),
            ["firing_since"] = firing[0].StartsAt.ToString("O", CultureInfo.InvariantCulture),
        };

        if (_config.Action == ScaleDirection.Up)
        {
            var step = _up.Step;
            if (_up.StepPercent is { } pct)
            {
                step = Math.Max(step, (int)Math.Ceiling(context.Serving * pct / 100.0));
            }

            var desired = context.Serving + step;
            inputs["step"] = step.ToString(CultureInfo.InvariantCulture);
            return ValueTask.FromResult(new Recommendation
            {
                Signal = Name,
                Direction = ScaleDirection.Up,
                Desired = desired,
                Reason = $"{firing[0].AlertName ?? "alert"} firing: {context.Serving} serving + {step} → {desired}",
                Inputs = inputs,
            });
        }

        var down = Math.Max(0, context.Desired - _down.Step);
        inputs["step"] = _down.Step.ToString(CultureInfo.InvariantCulture);
        return ValueTask.FromResult(new Recommendation
        {
            Signal = Name,
            Direction = ScaleDirection.Down,
            Desired = down,
            Reason = $"{firing[0].AlertName ?? "alert"} firing: desired {context.Desired} − {_down.Step} → {down}",
            Inputs = inputs,
        });
    }
}

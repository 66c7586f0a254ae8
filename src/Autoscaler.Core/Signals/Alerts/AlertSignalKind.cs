using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Signals.Alerts;

/// <summary>The <c>alert</c> signal kind: <c>{ alert: NAME, labels: { … }, action: up|down }</c>.</summary>
public sealed class AlertSignalKind : ISignalKind
{
    /// <inheritdoc />
    public string Name => "alert";

    /// <inheritdoc />
    public string Description => "an alert signal (alert and/or labels, with action)";

    /// <inheritdoc />
    public bool Claims(MapReader entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Has("alert") || entry.Has("labels") || entry.Has("action");
    }

    /// <inheritdoc />
    public SignalConfig? Read(MapReader entry, SignalReadContext context)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(context);
        var ctx = entry.Context;
        var path = context.Path;
        var alert = entry.String("alert");
        var labels = entry.StringMap("labels");
        var actionText = entry.String("action", required: true);
        if (alert is null && (labels is null || labels.Count == 0))
        {
            entry.Error($"{ctx}{path} needs alert or labels");
        }

        if (alert is { Length: 0 })
        {
            entry.Error($"{ctx}{path}.alert must not be empty", entry.Raw("alert"));
        }

        ScaleDirection? action = actionText switch
        {
            "up" => ScaleDirection.Up,
            "down" => ScaleDirection.Down,
            _ => null,
        };
        if (actionText is not null && action is null)
        {
            entry.Error($"{ctx}{path}.action must be one of up, down (got '{actionText}')", entry.Raw("action"));
        }

        return action is null
            ? null
            : new AlertSignalConfig { Index = context.Index, AlertName = alert, Labels = labels ?? [], Action = action.Value };
    }
}

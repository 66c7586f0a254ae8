using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Signals.TargetTracking;

/// <summary>The <c>target_tracking</c> signal kind: <c>target_tracking: { prometheus, query, target, tolerance,
/// scale_down_stabilization, scale_up_stabilization }</c>.</summary>
public sealed class TargetTrackingSignalKind : ISignalKind
{
    /// <inheritdoc />
    public string Name => "target_tracking";

    /// <inheritdoc />
    public string Description => "target_tracking";

    /// <inheritdoc />
    public bool Claims(MapReader entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Has("target_tracking");
    }

    /// <inheritdoc />
    public SignalConfig? Read(MapReader entry, SignalReadContext context)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(context);
        var m = entry.Map("target_tracking", required: true);
        if (m is null)
        {
            return null;
        }

        var ctx = m.Context;
        var prefix = m.Prefix;
        var (url, query, target) = PromQlFields.Read(m, "target");

        var tolerance = m.Number("tolerance");
        if (tolerance is < 0 or >= 1)
        {
            m.Error($"{ctx}{prefix}tolerance must be >= 0 and < 1", m.Raw("tolerance"));
        }

        var down = m.Duration("scale_down_stabilization");
        var up = m.Duration("scale_up_stabilization");
        m.Done();
        if (url is null || query is null || target is null)
        {
            return null;
        }

        var d = new TargetTrackingConfig { Prometheus = url, Query = query };
        return d with
        {
            Index = context.Index,
            Target = target.Value,
            Tolerance = tolerance ?? d.Tolerance,
            ScaleDownStabilization = down ?? d.ScaleDownStabilization,
            ScaleUpStabilization = up ?? d.ScaleUpStabilization,
        };
    }
}

using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Signals;

/// <summary>Builds a pool's signals from its configuration.</summary>
public static class SignalFactory
{
    /// <summary>One signal per entry of <see cref="PoolConfig.Signals"/>, in order. <paramref name="alerts"/> is needed
    /// when the pool has alert signals and <paramref name="metrics"/> when it has target tracking.</summary>
    public static IReadOnlyList<IScalingSignal> Create(PoolConfig pool, AlertStateStore? alerts, IMetricSource? metrics)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var result = new List<IScalingSignal>(pool.Signals.Count);
        foreach (var signal in pool.Signals)
        {
            result.Add(signal switch
            {
                AlertSignalConfig a => new AlertStepSignal(a, pool.ScaleUp, pool.ScaleDown,
                    alerts ?? throw new ArgumentException($"pool '{pool.Name}' has alert signals but no alert store was given", nameof(alerts))),
                TargetTrackingConfig t => new TargetTrackingSignal(t,
                    metrics ?? throw new ArgumentException($"pool '{pool.Name}' has target tracking but no metric source was given", nameof(metrics))),
                ScheduleConfig s => new ScheduleSignal(s),
                _ => throw new ArgumentException($"unsupported signal {signal.GetType().Name}", nameof(pool)),
            });
        }

        return result;
    }
}

using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Signals;

/// <summary>Builds a pool's signals from its configuration.</summary>
public static class SignalFactory
{
    /// <summary>One signal per entry of <see cref="PoolConfig.Signals"/>, in order. <paramref name="alerts"/> is needed
    /// when the pool has alert signals and <paramref name="metrics"/> when it has target tracking, <paramref name="history"/> when it has a forecast.</summary>
    public static IReadOnlyList<IScalingSignal> Create(PoolConfig pool, AlertStateStore? alerts, IMetricSource? metrics, Forecast.ILoadHistory? history = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var context = new SignalBuildContext(pool, alerts, metrics, history);
        return pool.Signals.Select(s => s.CreateSignal(context)).ToArray();
    }
}

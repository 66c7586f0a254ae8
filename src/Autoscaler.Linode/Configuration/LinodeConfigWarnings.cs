using System.Globalization;
using Autoscaler.Common;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Linode.Configuration;

/// <summary>What is valid but likely wrong on a real account; <c>validate</c> prints these and <c>serve</c> logs them.</summary>
public static class LinodeConfigWarnings
{
    /// <summary>The warnings of <paramref name="config"/>, one line each naming the pool and field.</summary>
    public static IReadOnlyList<string> Of(AutoscalerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var warnings = new List<string>();
        if (config.Linode is not { } linode || linode.Url.IsLoopback)
        {
            return warnings;
        }

        foreach (var pool in config.Pools.Where(p => p.Provider is LinodePoolConfig))
        {
            var drain = pool.ScaleDown.Drain;
            if (drain < LinodeConfig.RealApplyDelay)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"pool '{pool.Name}': scale_down.drain ({Durations.Format(drain)}) is under 60s for a real Linode API " +
                    $"({linode.Url.Host}): NodeBalancers apply node changes within 60 s, so long requests may still be " +
                    $"cut; the drain lasts linode.apply_delay ({Durations.Format(linode.ApplyDelay)}) + drain"));
            }
        }

        return warnings;
    }
}

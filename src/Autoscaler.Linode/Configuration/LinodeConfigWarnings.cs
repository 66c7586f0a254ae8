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

        var pools = config.Pools.Where(p => p.Provider is LinodePoolConfig).ToList();
        var interval = config.Engine.EvaluationInterval;
        if (pools.Count > 0 && interval > TimeSpan.Zero)
        {
            // A pass lists the managed instances of every pool once (the shared account view) and, while pools scale,
            // each pool's NodeBalancer nodes: paginated GETs, of which Linode allows 200 a minute per user (SUBSET.md
            // §13). Over it the API budget holds calls back, so launches and billing release points wait.
            var listsPerPass = 1 + pools.Count;
            var perMinute = listsPerPass * TimeSpan.FromMinutes(1) / interval;
            if (perMinute > PaginatedGetsPerMinute)
            {
                var needed = TimeSpan.FromMinutes(1) * listsPerPass / PaginatedGetsPerMinute;
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"engine.evaluation_interval ({Durations.Format(interval)}) with {pools.Count} pool(s) makes up to " +
                    $"{perMinute:0} paginated GETs a minute while its pools scale; Linode allows {PaginatedGetsPerMinute} per user, so " +
                    $"calls will wait for the budget: set evaluation_interval to at least {Durations.Format(TimeSpan.FromSeconds(Math.Ceiling(needed.TotalSeconds)))}"));
            }
        }

        return warnings;
    }

    /// <summary>Linode's published limit on paginated GETs per user per minute (SUBSET.md §13).</summary>
    public const int PaginatedGetsPerMinute = 200;
}

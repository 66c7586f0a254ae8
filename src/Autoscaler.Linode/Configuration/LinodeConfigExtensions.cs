using Autoscaler.Core.Configuration;

namespace Autoscaler.Linode.Configuration;

/// <summary>The <c>linode:</c> section of a configuration.</summary>
public static class LinodeConfigExtensions
{
    extension(AutoscalerConfig config)
    {
        /// <summary>The <c>linode:</c> section; null when absent (allowed when cloud access is not required).</summary>
        public LinodeConfig? Linode => config.Sections.Find<LinodeConfig>();
    }
}

/// <summary>A pool's Linode settings.</summary>
public static class LinodePoolConfigExtensions
{
    extension(PoolConfig pool)
    {
        /// <summary>The pool's Linode settings; throws <see cref="InvalidOperationException"/> when the pool uses another provider.</summary>
        public LinodePoolConfig Linode => pool.Provider as LinodePoolConfig
            ?? throw new InvalidOperationException($"pool '{pool.Name}' is not a Linode pool (provider: {pool.Provider?.Provider ?? "none"})");

        /// <summary>The tag that makes an instance a member of the pool.</summary>
        public string EffectivePoolTag => pool.Linode.PoolTagOf(pool.Name);
    }
}

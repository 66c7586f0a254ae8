namespace Autoscaler.Core.Configuration;

/// <summary>A unit's settings inside each pool, beside the policy keys (the service's per-pool <c>dashboard</c>).</summary>
public interface IPoolSection
{
    /// <summary>Reads and validates this unit's keys of one pool; the value is kept in <see cref="PoolConfig.Sections"/>.</summary>
    IConfigSectionValue? Read(MapReader pool, PoolReadContext context);
}

using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// A unit's top-level settings (the service's <c>listen</c>, <c>webhook</c>…): reads its own keys from the root mapping
/// and validates them. Every unit reads the same <see cref="MapReader"/>, which reports the keys nobody read once all
/// have, so unknown keys are found as before the file was split by owner.
/// </summary>
public interface IConfigSection
{
    /// <summary>Reads and validates this unit's keys of <paramref name="root"/>, recording every problem; the value is
    /// kept in <see cref="AutoscalerConfig.Sections"/> (null: nothing to keep).</summary>
    IConfigSectionValue? Read(MapReader root);
}

/// <summary>What a pool's section and provider readers know of the pool being read.</summary>
/// <param name="Name">Pool name.</param>
/// <param name="Max">Its <c>max</c>, when valid.</param>
/// <param name="Signals">Its signals, as far as they were valid.</param>
public sealed record PoolReadContext(string Name, int? Max, IReadOnlyList<SignalConfig> Signals);

using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;

namespace Autoscaler.Core.Providers;

/// <summary>
/// A kind of cloud the pools can run on, like cluster-autoscaler's cloud provider builder or a Nomad target plugin:
/// reads its own settings (its account section at the top of the file, its keys in each pool naming it with
/// <c>provider:</c>) and builds the <see cref="IInstancePool"/> of each of those pools. Register it once in a
/// <see cref="ProviderKinds"/>.
/// </summary>
public interface IProviderKind
{
    /// <summary>The name pools give in <c>provider:</c>, e.g. <c>linode</c>.</summary>
    string Name { get; }

    /// <summary>Reads the provider's top-level section (its API endpoint and credentials), recording every problem;
    /// <paramref name="required"/> when a pool uses the provider and cloud access is required. Null when there is none.</summary>
    IConfigSectionValue? ReadRoot(MapReader root, bool required);

    /// <summary>Reads and validates the provider's keys of one pool (beside the policy keys in the same mapping); null
    /// when they cannot be used.</summary>
    ProviderPoolConfig? ReadPool(MapReader pool, PoolReadContext context);

    /// <summary>Checks what only the pools together can tell (two pools claiming one membership tag); problems are
    /// recorded without a position. <paramref name="pools"/> are the valid pools using this provider, in file order.</summary>
    void CheckPools(IReadOnlyList<PoolConfig> pools, ConfigReader reader);

    /// <summary>Builds the instance pool of each of <paramref name="pools"/> (in order), or throws a
    /// <see cref="ProviderSetupException"/> listing every problem (a missing load balancer, an unknown region…).</summary>
    Task<IReadOnlyList<IInstancePool>> CreatePoolsAsync(IReadOnlyList<PoolConfig> pools, ProviderContext context, CancellationToken cancellationToken);
}

using System.Runtime.ExceptionServices;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;

namespace Autoscaler.Core.Providers;

/// <summary>
/// The providers a configuration may name, the first being the default of a pool without <c>provider:</c>. Immutable:
/// a host or a test adds one in one line, <c>kinds.With(new MyProvider())</c>.
/// </summary>
public sealed class ProviderKinds
{
    private readonly IProviderKind[] _kinds;

    /// <summary>The given providers; names must be unique.</summary>
    public ProviderKinds(IEnumerable<IProviderKind> kinds)
    {
        _kinds = NamedKinds.Unique(kinds, k => k.Name, "provider", nameof(kinds));
    }

    /// <summary>No provider (a configuration then cannot name one).</summary>
    public static ProviderKinds Empty { get; } = new([]);

    /// <summary>Every provider, the default first.</summary>
    public IReadOnlyList<IProviderKind> All => _kinds;

    /// <summary>The provider of a pool that names none: the first registered, or null.</summary>
    public IProviderKind? Default => _kinds.Length > 0 ? _kinds[0] : null;

    /// <summary>These providers and <paramref name="kind"/> (replacing one of the same name, in its place).</summary>
    public ProviderKinds With(IProviderKind kind) => new(NamedKinds.With(_kinds, kind, k => k.Name));

    /// <summary>The provider called <paramref name="name"/>, or null.</summary>
    public IProviderKind? Find(string name) => Array.Find(_kinds, k => string.Equals(k.Name, name, StringComparison.Ordinal));

    /// <summary>Builds every pool of <paramref name="config"/> with its provider, in the configuration's order, or throws
    /// a <see cref="ProviderSetupException"/> listing the problems of every provider (a provider's own exception when it
    /// is the only one that failed).</summary>
    public async Task<IReadOnlyList<IInstancePool>> CreatePoolsAsync(AutoscalerConfig config, ProviderContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(context);
        var built = new Dictionary<string, IInstancePool>(StringComparer.Ordinal);
        var errors = new List<string>();
        ProviderSetupException? only = null;
        var failures = 0;
        foreach (var group in config.Pools.GroupBy(p => p.Provider?.Provider ?? ""))
        {
            var kind = group.Key.Length == 0 ? null : Find(group.Key);
            if (kind is null)
            {
                errors.AddRange(group.Select(p => group.Key.Length == 0
                    ? $"pool '{p.Name}': has no provider settings"
                    : $"pool '{p.Name}': provider '{group.Key}' is not registered (known: {string.Join(", ", _kinds.Select(k => k.Name))})"));
                failures++;
                continue;
            }

            var pools = group.ToArray();
            try
            {
                var made = await kind.CreatePoolsAsync(pools, context, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < pools.Length; i++)
                {
                    built[pools[i].Name] = made[i];
                }
            }
            catch (ProviderSetupException ex)
            {
                errors.AddRange(ex.Errors);
                only = ex;
                failures++;
            }
        }

        if (failures == 1 && only is not null)
        {
            ExceptionDispatchInfo.Throw(only);
        }

        return errors.Count > 0 ? throw new ProviderSetupException(errors) : config.Pools.Select(p => built[p.Name]).ToArray();
    }
}

using System.Text;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Providers;

/// <summary>
/// A pool's settings for its provider (where and how its instances are made), read, validated and described by the
/// provider's <see cref="IProviderKind"/>. Core keeps them opaque: it only asks the few questions below.
/// </summary>
public abstract record ProviderPoolConfig : IConfigSectionValue
{
    /// <summary>The provider's name (<see cref="IProviderKind.Name"/>).</summary>
    public abstract string Provider { get; }

    /// <summary>The prefix of the labels of the instances the autoscaler creates (a unique suffix follows), when the
    /// provider lets a pool choose it; null or empty: the pool's name.</summary>
    public string? LabelPrefix { get; init; }

    /// <summary>The instance type (plan) the pool creates, for cost estimates; null when the provider has none.</summary>
    public virtual string? InstanceType => null;

    /// <summary>Labels service discovery adds to every member (e.g. region and type).</summary>
    public virtual IReadOnlyDictionary<string, string> DiscoveryLabels => System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    /// <inheritdoc />
    public abstract void Describe(StringBuilder text, string indent);
}

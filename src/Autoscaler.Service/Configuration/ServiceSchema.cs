using Autoscaler.Core.Configuration;
using Autoscaler.Core.Providers;
using Autoscaler.Core.Signals;
using Autoscaler.Core.Providers.Virtual;
using Autoscaler.Linode.Provider;

namespace Autoscaler.Service.Configuration;

/// <summary>
/// The composition point of the configuration file the service runs: Core's policy, the shipped signal kinds, the
/// providers (Linode first, so a pool without <c>provider:</c> is a Linode pool; then the in-memory virtual cloud), and
/// the service's own sections. <c>validate</c>, <c>serve</c>, <c>demo</c> and the tests read files through it.
/// </summary>
public static class ServiceSchema
{
    /// <summary>The shipped providers: <c>linode</c> (the default) and <c>virtual</c>.</summary>
    public static ProviderKinds DefaultProviders { get; } = new([new LinodeProvider(), new VirtualCloudProvider()]);

    /// <summary>The schema of the shipped program.</summary>
    public static ConfigSchema Default { get; } = Create();

    /// <summary>The service's schema with other providers or signal kinds (a test registers its own here).</summary>
    public static ConfigSchema Create(ProviderKinds? providers = null, SignalKinds? signals = null) =>
        new(providers ?? DefaultProviders, signals ?? SignalKinds.Default, [new ServiceSection()], [new DashboardSection()]);

    /// <summary><see cref="ConfigSchema.Parse"/> with the default schema.</summary>
    public static ConfigResult Parse(string yaml, IReadOnlyDictionary<string, string>? environment = null, ConfigLoadOptions? options = null) =>
        Default.Parse(yaml, environment, options);

    /// <summary><see cref="ConfigSchema.Load"/> with the default schema.</summary>
    public static ConfigResult Load(string path, ConfigLoadOptions? options = null) => Default.Load(path, options);
}

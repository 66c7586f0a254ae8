using Autoscaler.Core.Configuration;
using Autoscaler.Core.Providers;
using Autoscaler.Core.Providers.Virtual;

namespace Autoscaler.Core.Tests.Seams;

/// <summary>The registrations: one line per unit that lives only in the tests.</summary>
internal static class SeamSchemas
{
    /// <summary>Core's policy with the virtual cloud (the default provider here) and the test-only kinds.</summary>
    public static ConfigSchema Schema { get; } = new ConfigSchema(new ProviderKinds([new VirtualCloudProvider()]))
        .WithSignal(new FixedSignalKind())
        .WithProvider(new ShelfProvider());
}

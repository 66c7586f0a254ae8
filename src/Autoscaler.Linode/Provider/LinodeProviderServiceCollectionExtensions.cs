using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Provider;

/// <summary>DI registration of the Linode pool provider.</summary>
public static class LinodeProviderServiceCollectionExtensions
{
    /// <summary>Registers one <see cref="InstanceCreateRateLimiter"/> for the account and a
    /// <see cref="LinodeInstancePoolFactory"/> using it. Needs an <see cref="ILinodeClient"/> (see
    /// <see cref="LinodeServiceCollectionExtensions.AddLinodeClient(IServiceCollection, Action{LinodeClientOptions})"/>);
    /// uses the registered <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/> when there are.
    /// Build the pools at start with <see cref="LinodeInstancePoolFactory.CreateAllAsync"/>.</summary>
    public static IServiceCollection AddLinodeInstancePools(this IServiceCollection services, LinodeInstancePoolFactoryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => sp.GetService<LinodeClientServices>()?.Gate.Budget.Creates
            ?? new InstanceCreateRateLimiter(sp.GetService<TimeProvider>()));
        services.TryAddSingleton(sp => new LinodeInstancePoolFactory(
            sp.GetRequiredService<ILinodeClient>(),
            sp.GetRequiredService<InstanceCreateRateLimiter>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            options));
        return services;
    }
}

using Autoscaler.Linode.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Autoscaler.Linode;

/// <summary>DI registration of <see cref="ILinodeClient"/> (and each of its areas, e.g. <see cref="IInstancesApi"/>).</summary>
public static class LinodeServiceCollectionExtensions
{
    /// <summary>Name of the resilience pipeline (for telemetry).</summary>
    public const string PipelineName = "linode";

    /// <summary>Registers the client with options set in code. Invalid options fail at start (or first use) with
    /// every problem listed.</summary>
    public static IHttpClientBuilder AddLinodeClient(this IServiceCollection services,
        Action<LinodeClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<LinodeClientOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>Registers the client with options bound from a configuration section (e.g. <c>Linode</c>).</summary>
    public static IHttpClientBuilder AddLinodeClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LinodeClientOptions>().Bind(configuration);
        return AddCore(services);
    }

    private static IHttpClientBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<LinodeClientOptions>().ValidateOnStart();
        services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IValidateOptions<LinodeClientOptions>, LinodeClientOptionsValidator>());
        services.TryAddSingleton(sp => new LinodeClientServices(
            sp.GetRequiredService<IOptions<LinodeClientOptions>>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetService<TimeProvider>()));

        var builder = services.AddHttpClient<ILinodeClient, LinodeClient>()
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(LinodeClientServices.CreatePrimaryHandler)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);

        // Added first = outermost: the resilience pipeline wraps the per-attempt logging handler.
        builder.AddResilienceHandler(PipelineName, static (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<LinodeClientOptions>>().Value;
            var shared = context.ServiceProvider.GetRequiredService<LinodeClientServices>();
            LinodeResilience.Configure(pipeline, options, shared.Gate, shared.Metrics, shared.Logger,
                shared.TimeProvider);
        });
        builder.AddHttpMessageHandler(static sp =>
        {
            var shared = sp.GetRequiredService<LinodeClientServices>();
            return new LinodeRequestHandler(shared.Logger, shared.Metrics, shared.TimeProvider);
        });

        services.TryAddTransient(sp => sp.GetRequiredService<ILinodeClient>().Regions);
        services.TryAddTransient(sp => sp.GetRequiredService<ILinodeClient>().Types);
        services.TryAddTransient(sp => sp.GetRequiredService<ILinodeClient>().Images);
        services.TryAddTransient(sp => sp.GetRequiredService<ILinodeClient>().Instances);
        services.TryAddTransient(sp => sp.GetRequiredService<ILinodeClient>().NodeBalancers);
        services.TryAddTransient(sp => sp.GetRequiredService<ILinodeClient>().Networking);
        services.TryAddTransient(sp => sp.GetRequiredService<ILinodeClient>().Events);
        services.TryAddTransient(sp => sp.GetRequiredService<ILinodeClient>().Tags);
        return builder;
    }
}

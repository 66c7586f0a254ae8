using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Providers;
using Autoscaler.Linode.Configuration;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Provider;

/// <summary>
/// Linode as a provider kind (<c>provider: linode</c>, the default): reads the <c>linode:</c> section and each pool's
/// Linode keys (<see cref="LinodeConfigReader"/>), and builds the pools with one <see cref="LinodeClient"/> and one
/// <see cref="LinodeInstancePoolFactory"/> (so every pool shares the account's create limiter). The properties adjust
/// the client and the pools (tests pace retries and inject handlers here).
/// </summary>
public sealed partial class LinodeProvider : IProviderKind
{
    /// <summary>Adjusts the client's options (URL and token come from the configuration).</summary>
    public Action<LinodeClientOptions>? ConfigureClient { get; init; }

    /// <summary>Innermost handler of the client (default: a SocketsHttpHandler); the client disposes it.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Settings shared by every pool.</summary>
    public LinodeInstancePoolFactoryOptions? PoolOptions { get; init; }

    /// <inheritdoc />
    public string Name => LinodePoolConfig.ProviderName;

    /// <inheritdoc />
    public IConfigSectionValue? ReadRoot(MapReader root, bool required) => LinodeConfigReader.ReadRoot(root, required);

    /// <inheritdoc />
    public ProviderPoolConfig? ReadPool(MapReader pool, PoolReadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return LinodeConfigReader.ReadPool(pool, context.Name);
    }

    /// <inheritdoc />
    public void CheckPools(IReadOnlyList<PoolConfig> pools, ConfigReader reader) => LinodeConfigReader.CheckPools(pools, reader);

    /// <inheritdoc />
    public async Task<IReadOnlyList<IInstancePool>> CreatePoolsAsync(IReadOnlyList<PoolConfig> pools, ProviderContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(context);
        var linode = context.Config.Linode ?? throw new ProviderSetupException("the configuration has no linode section");
        var logger = context.LoggerFactory.CreateLogger<LinodeProvider>();
        foreach (var warning in LinodeConfigWarnings.Of(context.Config))
        {
            LogConfigWarning(logger, warning);
        }

        var options = new LinodeClientOptions { BaseUrl = linode.Url.ToString(), Token = linode.Token.Reveal() };
        ConfigureClient?.Invoke(options);
        var client = LinodeClient.Create(options, context.Time, context.LoggerFactory, context.MeterFactory, Handler);
        context.Own(client);
        // The client's budget paces every request; its create limiter follows the limit the API announces.
        var limiter = client.Budget.Creates;
        var factory = new LinodeInstancePoolFactory(client, limiter, timeProvider: context.Time, loggerFactory: context.LoggerFactory, options: (PoolOptions ?? new LinodeInstancePoolFactoryOptions()) with
        {
            BillingPeriod = linode.BillingPeriod,
            NodeApplyDelay = linode.ApplyDelay,
            SnapshotFreshness = linode.SnapshotFreshness ?? LinodeInstancePoolFactoryOptions.FreshnessFor(context.Config.Engine.EvaluationInterval),
            NodeRefresh = linode.NodeRefresh,
        });
        return await factory.CreateAllAsync(pools, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "configuration: {Warning}")]
    private static partial void LogConfigWarning(ILogger logger, string warning);
}

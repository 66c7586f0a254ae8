using Autoscaler.Core.Configuration;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ApiConfig = Autoscaler.Linode.Models.NodeBalancerConfig;

namespace Autoscaler.Linode.Provider;

/// <summary>Settings shared by every pool a <see cref="LinodeInstancePoolFactory"/> builds.</summary>
public sealed record LinodeInstancePoolFactoryOptions
{
    /// <summary>What a config created for <c>create_if_missing</c> looks like (its port is the pool's
    /// <c>nodebalancer.port</c>): HTTP, round robin, active HTTP check of <c>/health</c> every 10 s (5 s timeout, 3 attempts), passive checks off.</summary>
    public static ConfigRequest DefaultNewConfig { get; } = new()
    {
        Protocol = ConfigProtocol.Http,
        Algorithm = BalancingAlgorithm.Roundrobin,
        Stickiness = SessionStickiness.None,
        Check = HealthCheck.Http,
        CheckPath = "/health",
        CheckInterval = 10,
        CheckTimeout = 5,
        CheckAttempts = 3,
        // Passive checks take a backend out on any 5xx; the Workload answers 503 when its queue is full, so under the
        // very load that should scale out, backends would be ejected in a cascade. The active check decides alone.
        CheckPassive = false,
    };

    /// <summary>Config settings used when <c>create_if_missing</c> creates one. Default <see cref="DefaultNewConfig"/>.</summary>
    public ConfigRequest NewConfig { get; init; } = DefaultNewConfig;

    /// <summary>Weight of the nodes the pools add (1..255). Default 100.</summary>
    public int NodeWeight { get; init; } = 100;

    /// <summary>Check at setup that each pool's region, type and image exist (three GETs per pool). Default true.</summary>
    public bool CheckCatalog { get; init; } = true;

    /// <summary>The account's billing period (the <c>linode:</c> section's <c>billing_period</c>). Default 1 h.</summary>
    public TimeSpan BillingPeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long NodeBalancers take to apply a node change (the <c>linode:</c> section's <c>apply_delay</c>);
    /// a drain lasts at least this plus the pool's <c>drain</c>. Default 60 s, Linode's "applied within 60 seconds".</summary>
    public TimeSpan NodeApplyDelay { get; init; } = LinodeConfig.RealApplyDelay;

    /// <summary>Check at setup that the token has the scopes the pools need (one harmless probe per scope). Default true.</summary>
    public bool CheckScopes { get; init; } = true;

    /// <summary>How long one list of the account's managed instances serves every pool's snapshot (see
    /// <see cref="LinodeAccountView"/>). The service sets it with <see cref="FreshnessFor"/> (<see cref="FreshnessFraction"/> of
    /// <c>engine.evaluation_interval</c>, at most 10 s), so the first pool of a cycle reads and the rest reuse it. Default zero: every
    /// snapshot reads (as a pool on its own does).</summary>
    public TimeSpan SnapshotFreshness { get; init; }

    /// <summary>How often a NodeBalancer config's nodes are read when nothing of ours changes there and the config's
    /// UP/DOWN counts match the cached list (the <c>linode:</c> section's <c>node_refresh</c>, default 60 s there).
    /// Default zero here: every snapshot reads them.</summary>
    public TimeSpan NodeRefresh { get; init; }

    /// <summary>The part of the evaluation interval a list of the instances serves: long enough for every pool of one
    /// cycle (they run one after another), short enough that the next cycle reads again.</summary>
    public const double FreshnessFraction = 0.8;

    /// <summary>The longest a list of the instances serves, whatever the interval: with a long interval the cycles a
    /// webhook or an operator starts in between still see a boot finish or a change made by hand within this long
    /// (at most 6 lists a minute, far under Linode's 200 paginated GETs).</summary>
    public static readonly TimeSpan MaxFreshness = TimeSpan.FromSeconds(10);

    /// <summary>The freshness the service uses for <paramref name="evaluationInterval"/>: <see cref="FreshnessFraction"/>
    /// of it, at most <see cref="MaxFreshness"/>.</summary>
    public static TimeSpan FreshnessFor(TimeSpan evaluationInterval)
    {
        var fraction = evaluationInterval * FreshnessFraction;
        return fraction < MaxFreshness ? fraction : MaxFreshness;
    }
}

/// <summary>
/// Builds one <see cref="LinodeInstancePool"/> per configured pool: checks the region, type and image, reads the user
/// data file, and resolves the NodeBalancer (by id, or by label, creating it and its config when
/// <c>create_if_missing</c>) and its config (by <c>config_id</c>, or by port). Every pool it builds shares one
/// <see cref="InstanceCreateRateLimiter"/>, because Linode's create limit is per account.
/// </summary>
/// <example><code>
/// var factory = new LinodeInstancePoolFactory(client, timeProvider: time, loggerFactory: loggers);
/// IReadOnlyList&lt;LinodeInstancePool&gt; pools = await factory.CreateAllAsync(config.Pools, ct); // throws listing every problem
/// </code></example>
public sealed partial class LinodeInstancePoolFactory
{
    private readonly ILinodeClient _client;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly LinodeInstancePoolFactoryOptions _options;

    /// <summary>Creates the factory.</summary>
    /// <param name="client">The Linode API.</param>
    /// <param name="createLimiter">The account's create limiter; default a new one with Linode's 20 per 15 s.</param>
    /// <param name="timeProvider">Clock of the pools and of a default limiter.</param>
    /// <param name="loggerFactory">Where the factory and the pools log.</param>
    /// <param name="options">Shared settings.</param>
    public LinodeInstancePoolFactory(ILinodeClient client, InstanceCreateRateLimiter? createLimiter = null,
        TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, LinodeInstancePoolFactoryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _time = timeProvider ?? TimeProvider.System;
        CreateLimiter = createLimiter ?? new InstanceCreateRateLimiter(_time);
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<LinodeInstancePoolFactory>();
        _options = options ?? new LinodeInstancePoolFactoryOptions();
        View = new LinodeAccountView(client, _time, _options.SnapshotFreshness, _options.NodeRefresh,
            _loggerFactory.CreateLogger<LinodeAccountView>());
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.NodeWeight, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.NodeWeight, 255, nameof(options));
    }

    /// <summary>The limiter every pool of this factory shares.</summary>
    public InstanceCreateRateLimiter CreateLimiter { get; }

    /// <summary>The account view every pool of this factory shares (one list of the instances per cycle).</summary>
    public LinodeAccountView View { get; }

    /// <summary>Builds the pool, or throws a <see cref="LinodePoolSetupException"/> listing every problem found.</summary>
    public async Task<LinodeInstancePool> CreateAsync(PoolConfig pool, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var errors = new List<string>();
        if (_options.CheckScopes && pool.Provider is LinodePoolConfig)
        {
            await CheckScopesAsync([pool], errors, cancellationToken).ConfigureAwait(false);
            if (errors.Count > 0)
            {
                throw new LinodePoolSetupException(errors);
            }
        }

        var built = await TryCreateAsync(pool, errors, cancellationToken).ConfigureAwait(false);
        return built ?? throw new LinodePoolSetupException(errors);
    }

    /// <summary>Builds every pool, in order (so pools naming the same NodeBalancer with <c>create_if_missing</c> see
    /// it created once), or throws a <see cref="LinodePoolSetupException"/> listing the problems of every pool.</summary>
    public async Task<IReadOnlyList<LinodeInstancePool>> CreateAllAsync(IEnumerable<PoolConfig> pools, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pools);
        var errors = new List<string>();
        var built = new List<LinodeInstancePool>();
        var all = pools.ToList();
        if (_options.CheckScopes && all.Any(p => p.Provider is LinodePoolConfig))
        {
            // A token without a scope fails every pool the same way: say which scope once, and nothing else.
            await CheckScopesAsync(all, errors, cancellationToken).ConfigureAwait(false);
            if (errors.Count > 0)
            {
                throw new LinodePoolSetupException(errors);
            }
        }

        foreach (var pool in all)
        {
            if (await TryCreateAsync(pool, errors, cancellationToken).ConfigureAwait(false) is { } p)
            {
                built.Add(p);
            }
        }

        return errors.Count > 0 ? throw new LinodePoolSetupException(errors) : built;
    }

    private async Task<LinodeInstancePool?> TryCreateAsync(PoolConfig pool, List<string> errors, CancellationToken ct)
    {
        var before = errors.Count;
        var ctx = $"pool '{pool.Name}': ";
        if (pool.Provider is not LinodePoolConfig linode)
        {
            errors.Add($"{ctx}is not a Linode pool (provider: {pool.Provider?.Provider ?? "none"})");
            return null;
        }

        var firewallId = await ResolveFirewallAsync(linode, ctx, errors, ct).ConfigureAwait(false);
        if (firewallId != linode.FirewallId)
        {
            pool = pool with { Provider = linode with { FirewallId = firewallId } };
        }

        var userData = await ReadUserDataAsync(pool, ctx, errors, ct).ConfigureAwait(false);
        LinodeType? type = null;
        if (_options.CheckCatalog)
        {
            type = await CheckCatalogAsync(pool, ctx, userData is not null, errors, ct).ConfigureAwait(false);
        }

        NodeBalancerTarget? target = null;
        try
        {
            target = await ResolveTargetAsync(pool, ctx, errors, ct).ConfigureAwait(false);
        }
        catch (LinodeException ex)
        {
            errors.Add($"{ctx}cannot resolve its NodeBalancer: {ex.Message}");
        }

        if (errors.Count > before || target is null)
        {
            return null;
        }

        LogPoolReady(pool.Name, pool.EffectivePoolTag, target.ToString());
        var built = new LinodeInstancePool(pool, _client, target, CreateLimiter, userData, _time,
            _loggerFactory.CreateLogger<LinodeInstancePool>(), _options.NodeWeight, _options.BillingPeriod, View)
        {
            NodeApplyDelay = _options.NodeApplyDelay,
        };
        if (type is not null)
        {
            // The type was just read for the catalog check: its price seeds the pool's billing terms (no second GET).
            built.UseTypePrice(type);
        }

        return built;
    }

    private static async Task<byte[]?> ReadUserDataAsync(PoolConfig pool, string ctx, List<string> errors, CancellationToken ct)
    {
        if (pool.Linode.UserDataFile is not { Length: > 0 } path)
        {
            return null;
        }

        try
        {
            var bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
            if (bytes.Length > InstanceMetadata.MaxUserDataBytes)
            {
                errors.Add($"{ctx}user_data file '{path}' has {bytes.Length} bytes; Linode takes at most {InstanceMetadata.MaxUserDataBytes} (after base64 decoding)");
                return null;
            }

            return bytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{ctx}user_data file '{path}' cannot be read: {ex.Message}");
            return null;
        }
    }

    private async Task<LinodeType?> CheckCatalogAsync(PoolConfig pool, string ctx, bool hasUserData, List<string> errors, CancellationToken ct)
    {
        var region = await LookUpAsync(() => _client.Regions.GetAsync(pool.Linode.Region, ct), $"{ctx}region '{pool.Linode.Region}'", errors).ConfigureAwait(false);
        if (region is not null)
        {
            if (!region.HasCapability("Linodes"))
            {
                errors.Add($"{ctx}region '{pool.Linode.Region}' does not offer Linodes");
            }

            if (!region.HasCapability("NodeBalancers"))
            {
                errors.Add($"{ctx}region '{pool.Linode.Region}' does not offer NodeBalancers");
            }

            if (hasUserData && !region.HasCapability("Metadata"))
            {
                errors.Add($"{ctx}region '{pool.Linode.Region}' does not offer Metadata, which user_data needs");
            }
        }

        var type = await LookUpAsync(() => _client.Types.GetAsync(pool.Linode.Type, ct), $"{ctx}type '{pool.Linode.Type}'", errors).ConfigureAwait(false);
        // Least privilege leaves images:read_only out (creating from a public image does not need it): a token without
        // it cannot look the image up, and the first create tells instead.
        await LookUpAsync(() => GetImageUnlessOutOfScopeAsync(pool.Linode.Image, ct), $"{ctx}image '{pool.Linode.Image}'", errors).ConfigureAwait(false);
        return type;
    }

    private async Task<Image> GetImageUnlessOutOfScopeAsync(string image, CancellationToken ct)
    {
        try
        {
            return await _client.Images.GetAsync(image, ct).ConfigureAwait(false);
        }
        catch (LinodeUnauthorizedException ex) when (ex.Errors.Any(e => e.Reason.Contains("not authorized to use this endpoint", StringComparison.OrdinalIgnoreCase)))
        {
            return new Image { Id = image };
        }
    }

    private static async Task<T?> LookUpAsync<T>(Func<Task<T>> get, string what, List<string> errors)
        where T : class
    {
        try
        {
            return await get().ConfigureAwait(false);
        }
        catch (LinodeNotFoundException)
        {
            errors.Add($"{what} does not exist");
        }
        catch (LinodeException ex)
        {
            errors.Add($"{what} cannot be checked: {ex.Message}");
        }

        return null;
    }

    private async Task<NodeBalancerTarget?> ResolveTargetAsync(PoolConfig pool, string ctx, List<string> errors, CancellationToken ct)
    {
        var wanted = pool.Linode.NodeBalancer;
        NodeBalancer? nb;
        if (wanted.Id is { } id)
        {
            try
            {
                nb = await _client.NodeBalancers.GetAsync(id, ct).ConfigureAwait(false);
            }
            catch (LinodeNotFoundException)
            {
                errors.Add($"{ctx}NodeBalancer {id} does not exist");
                return null;
            }
        }
        else if (wanted.Label is { Length: > 0 } label)
        {
            nb = null;
            await foreach (var candidate in _client.NodeBalancers.ListAsync(Filter.Eq("label", label), ct).ConfigureAwait(false))
            {
                if (string.Equals(candidate.Label, label, StringComparison.Ordinal))
                {
                    nb = candidate;
                    break;
                }
            }

            if (nb is null)
            {
                if (!wanted.CreateIfMissing)
                {
                    errors.Add($"{ctx}NodeBalancer '{label}' does not exist (create it, or set nodebalancer.create_if_missing)");
                    return null;
                }

                nb = await _client.NodeBalancers.CreateAsync(new CreateNodeBalancerRequest { Region = pool.Linode.Region, Label = label }, ct).ConfigureAwait(false);
                LogNodeBalancerCreated(pool.Name, nb.Label, nb.Id, nb.Region);
            }
        }
        else
        {
            errors.Add($"{ctx}nodebalancer needs an id or a label");
            return null;
        }

        if (!string.Equals(nb.Region, pool.Linode.Region, StringComparison.Ordinal))
        {
            errors.Add($"{ctx}NodeBalancer '{nb.Label}' ({nb.Id}) is in region '{nb.Region}' but the pool creates instances in '{pool.Linode.Region}' (nodes need a private IP of the same region)");
            return null;
        }

        ApiConfig? config = null;
        if (wanted.ConfigId is { } configId)
        {
            try
            {
                config = await _client.NodeBalancers.GetConfigAsync(nb.Id, configId, ct).ConfigureAwait(false);
            }
            catch (LinodeNotFoundException)
            {
                errors.Add($"{ctx}NodeBalancer '{nb.Label}' ({nb.Id}) has no config {configId}");
                return null;
            }

            if (config.Port != wanted.Port)
            {
                errors.Add($"{ctx}config {configId} of NodeBalancer '{nb.Label}' ({nb.Id}) is on port {config.Port}, not nodebalancer.port {wanted.Port}");
                return null;
            }
        }
        else
        {
            await foreach (var candidate in _client.NodeBalancers.ListConfigsAsync(nb.Id, ct).ConfigureAwait(false))
            {
                if (candidate.Port == wanted.Port)
                {
                    config = candidate;
                    break;
                }
            }

            if (config is null)
            {
                if (!wanted.CreateIfMissing)
                {
                    errors.Add($"{ctx}NodeBalancer '{nb.Label}' ({nb.Id}) has no config on port {wanted.Port}");
                    return null;
                }

                config = await _client.NodeBalancers.CreateConfigAsync(nb.Id, _options.NewConfig with { Port = wanted.Port }, ct).ConfigureAwait(false);
                LogConfigCreated(pool.Name, nb.Label, nb.Id, config.Port, config.Id);
            }
        }

        return new NodeBalancerTarget(nb.Id, nb.Label, nb.Region, config.Id, config.Port);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "pool {Pool}: members carry tag {PoolTag} and join {Target}")]
    private partial void LogPoolReady(string pool, string poolTag, string target);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "pool {Pool}: created NodeBalancer '{Label}' ({NodeBalancerId}) in {Region}")]
    private partial void LogNodeBalancerCreated(string pool, string label, long nodeBalancerId, string region);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "pool {Pool}: created config {ConfigId} on port {Port} of NodeBalancer '{Label}' ({NodeBalancerId})")]
    private partial void LogConfigCreated(string pool, string label, long nodeBalancerId, int port, long configId);
}

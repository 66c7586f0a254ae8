using System.Diagnostics.Metrics;
using Autoscaler.Linode.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;

namespace Autoscaler.Linode;

/// <summary>The Linode API v4 client. In DI it is a typed HttpClient (<see cref="LinodeServiceCollectionExtensions"/>);
/// without DI use <see cref="Create"/>.</summary>
public sealed class LinodeClient : ILinodeClient
{
    /// <summary>For DI: the HttpClient comes with the resilience and logging handlers already attached.</summary>
    public LinodeClient(HttpClient httpClient, IOptions<LinodeClientOptions> options, TimeProvider? timeProvider = null)
        : this(httpClient, (options ?? throw new ArgumentNullException(nameof(options))).Value,
            timeProvider ?? TimeProvider.System)
    {
    }

    private LinodeClient(HttpClient httpClient, LinodeClientOptions options, TimeProvider timeProvider)
    {
        var transport = new LinodeTransport(httpClient, options, timeProvider);
        BaseUri = transport.BaseUri;
        Regions = new RegionsApi(transport);
        Types = new TypesApi(transport);
        Images = new ImagesApi(transport);
        Instances = new InstancesApi(transport);
        NodeBalancers = new NodeBalancersApi(transport);
        Networking = new NetworkingApi(transport);
        Events = new EventsApi(transport);
        Tags = new TagsApi(transport);
        Profile = new ProfileApi(transport);
    }

    /// <summary>The API root requests go to (always ends in '/').</summary>
    public Uri BaseUri { get; }

    public IRegionsApi Regions { get; }

    public ITypesApi Types { get; }

    public IImagesApi Images { get; }

    public IInstancesApi Instances { get; }

    public INodeBalancersApi NodeBalancers { get; }

    public INetworkingApi Networking { get; }

    public IEventsApi Events { get; }

    public ITagsApi Tags { get; }

    public IProfileApi Profile { get; }

    /// <summary>A client without DI, with the same pipeline as the DI one (timeouts, retries, rate-limit gate,
    /// logging, metrics). Dispose it to close its connections.</summary>
    /// <param name="options">Validated here; a copy is kept.</param>
    /// <param name="timeProvider">Clock for delays and timeouts (default: system).</param>
    /// <param name="loggerFactory">Where request logs go (default: nowhere).</param>
    /// <param name="meterFactory">Where metrics go (default: a meter of its own named <c>Autoscaler.Linode</c>).</param>
    /// <param name="primaryHandler">The innermost handler (default: a SocketsHttpHandler); it is disposed with the client.</param>
    public static StandaloneLinodeClient Create(LinodeClientOptions options, TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null,
        HttpMessageHandler? primaryHandler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        options = options.Clone();
        timeProvider ??= TimeProvider.System;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(LinodeClientServices.LoggerCategory);
        var metrics = new LinodeClientMetrics(meterFactory);
        var gate = new RateLimitGate(timeProvider, options.MaxRetryAfter);
        gate.Buckets.Observed += metrics.RecordBucket;
        metrics.ObserveBudget(gate.Budget);

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        LinodeResilience.Configure(builder, options, gate, metrics, logger, timeProvider);

        var inner = new LinodeRequestHandler(logger, metrics, timeProvider)
        {
            InnerHandler = primaryHandler ?? LinodeClientServices.CreatePrimaryHandler(),
        };
#pragma warning disable CA2000 // Ownership passes to the HttpClient, which the returned client disposes.
        var resilience = new ResilienceHandler(builder.Build()) { InnerHandler = inner };
        var http = new HttpClient(resilience, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
#pragma warning restore CA2000
        return new StandaloneLinodeClient(new LinodeClient(http, options, timeProvider), http, metrics, gate.Budget);
    }
}

/// <summary>A <see cref="LinodeClient"/> made by <see cref="LinodeClient.Create"/>, owning its HttpClient.</summary>
public sealed class StandaloneLinodeClient : ILinodeClient, IDisposable
{
    private readonly LinodeClient _client;
    private readonly HttpClient _http;
    private readonly IDisposable _metrics;

    internal StandaloneLinodeClient(LinodeClient client, HttpClient http, IDisposable metrics, LinodeApiBudget budget)
    {
        _client = client;
        _http = http;
        _metrics = metrics;
        Budget = budget;
    }

    /// <summary>The rate-limit buckets the API announced to this client (the create limiter follows them).</summary>
    public RateLimitBuckets RateLimits => Budget.Announced;

    /// <summary>The client's API budget per published bucket: every request waits here for its turn; pools share
    /// its create limiter (<see cref="LinodeApiBudget.Creates"/>).</summary>
    public LinodeApiBudget Budget { get; }

    public Uri BaseUri => _client.BaseUri;

    public IRegionsApi Regions => _client.Regions;

    public ITypesApi Types => _client.Types;

    public IImagesApi Images => _client.Images;

    public IInstancesApi Instances => _client.Instances;

    public INodeBalancersApi NodeBalancers => _client.NodeBalancers;

    public INetworkingApi Networking => _client.Networking;

    public IEventsApi Events => _client.Events;

    public ITagsApi Tags => _client.Tags;

    public IProfileApi Profile => _client.Profile;

    public void Dispose()
    {
        _http.Dispose();
        _metrics.Dispose();
    }
}

/// <summary>What every client of one DI container shares: the rate-limit gate (the API's limits are per account),
/// the metrics and the logger.</summary>
internal sealed class LinodeClientServices
{
    public const string LoggerCategory = "Autoscaler.Linode.LinodeClient";

    public LinodeClientServices(IOptions<LinodeClientOptions> options, ILoggerFactory? loggerFactory,
        IMeterFactory? meterFactory, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        TimeProvider = timeProvider ?? TimeProvider.System;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(LoggerCategory);
        Metrics = new LinodeClientMetrics(meterFactory);
        Gate = new RateLimitGate(TimeProvider, options.Value.MaxRetryAfter);
        Gate.Buckets.Observed += Metrics.RecordBucket;
        Metrics.ObserveBudget(Gate.Budget);
    }

    public TimeProvider TimeProvider { get; }

    public ILogger Logger { get; }

    public LinodeClientMetrics Metrics { get; }

    public RateLimitGate Gate { get; }

    // Connections are recycled by the handler itself, so a client captured by a long-lived service still sees DNS
    // changes without relying on the factory's handler rotation. Redirects are never followed: a 307 would re-send a
    // create body (root_pass included) to whatever host it names; the API never redirects, so one is an error.
    public static SocketsHttpHandler CreatePrimaryHandler() => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        AutomaticDecompression = System.Net.DecompressionMethods.All,
    };
}

using System.Globalization;
using System.Text.Json;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Engine;
using Autoscaler.Service.Metrics;
using Autoscaler.Service.Security;
using Autoscaler.Service.Signals;
using Autoscaler.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Api;

/// <summary>
/// The HTTP API: pool state, the audit trail, manual scaling, health, Prometheus service discovery and metrics.
/// Reads are open unless <c>api.auth_reads</c> is set; the one write (<c>POST /api/v1/pools/{pool}/scale</c>) needs the
/// <c>api.auth</c> credentials and a JSON body (see <see cref="RequestGuard"/>); the webhook's credentials never write.
/// </summary>
public sealed partial class ApiEndpoints
{
    /// <summary>Port node_exporter listens on; http_sd targets point there.</summary>
    public const int NodeExporterPort = 9100;

    private readonly AutoscalerConfig _config;
    private readonly ScalingEngine _engine;
    private readonly IAutoscalerStore _store;
    private readonly EngineNudger _nudger;
    private readonly ServiceMetrics _metrics;
    private readonly RequestGuard _guard;
    private readonly ILogger _logger;
    private readonly AlertStateStore? _alerts;
    private readonly BillingFigures _billing;
    private readonly Func<IReadOnlyList<Autoscaler.Linode.ApiBudgetUse>>? _apiBudget;

    /// <summary>Creates the API; <paramref name="alerts"/> lets pool states tell an expired alert; <paramref name="billing"/>
    /// computes the cost figures (default: from <paramref name="store"/>'s ledger on the system clock).</summary>
    public ApiEndpoints(AutoscalerConfig config, ScalingEngine engine, IAutoscalerStore store, EngineNudger nudger, ServiceMetrics metrics, ILogger<ApiEndpoints> logger,
        AlertStateStore? alerts = null, BillingFigures? billing = null, Func<IReadOnlyList<Autoscaler.Linode.ApiBudgetUse>>? apiBudget = null)
    {
        _apiBudget = apiBudget;
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _billing = billing ?? new BillingFigures(store, TimeProvider.System);
        _alerts = alerts;
        _engine = engine;
        _store = store;
        _nudger = nudger;
        _metrics = metrics;
        _logger = logger;
        _guard = new RequestGuard(config);
    }

    /// <summary>Maps every route.</summary>
    public void Map(IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapGet("/api/v1/pools", Handler.Of(async context =>
        {
            var pools = new List<PoolDto>();
            foreach (var pool in _engine.Pools)
            {
                pools.Add(await PoolAsync(pool, context.RequestAborted).ConfigureAwait(false));
            }

            return ApiJson.Result(new PoolsResponse(pools) { ApiBudget = _apiBudget?.Invoke().Select(ApiBudgetDto.From).ToArray() });
        }));
        routes.MapGet("/api/v1/pools/{pool}", Handler.Of(async context => Handler.Route(context, "pool") is var pool && _engine.Pools.Contains(pool)
            ? ApiJson.Result(await PoolAsync(pool, context.RequestAborted).ConfigureAwait(false))
            : NotFound(pool)));
        routes.MapGet("/api/v1/events", Handler.Of(Events));
        routes.MapPost("/api/v1/pools/{pool}/scale", Handler.Of(context => ScaleAsync(Handler.Route(context, "pool"), context)));
        routes.MapGet("/healthz", Handler.Of(_ => Health()));
        routes.MapGet("/_health", Handler.Of(_ => Health()));
        routes.MapGet("/http_sd", Handler.Of(_ => ApiJson.Result(HttpSd())));
        routes.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            foreach (var pool in _engine.Pools)
            {
                var status = _engine.GetStatus(pool);
                _metrics.PoolSignals(pool, Signals(pool, status).Select(s => s.State));
                _metrics.PoolBill(pool, await _billing.ComputeAsync(status, context.RequestAborted).ConfigureAwait(false));
                _metrics.PoolBudget(pool, _config.FindPool(pool)?.Budget?.MonthlyUsd);
            }

            await _metrics.ExportAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
    }

    private async Task<PoolDto> PoolAsync(string pool, CancellationToken cancellationToken)
    {
        var status = _engine.GetStatus(pool);
        var bill = await _billing.ComputeAsync(status, cancellationToken).ConfigureAwait(false);
        return PoolDto.From(status, _engine.IsDryRun(pool), bill) with { Signals = Signals(pool, status), BudgetUsd = _config.FindPool(pool)?.Budget?.MonthlyUsd };
    }

    private IReadOnlyList<SignalStatusDto> Signals(string pool, PoolStatus status) =>
        SignalHealth.Describe(_config.FindPool(pool)!, status.LastDecision, _alerts, _config.Alerts.StaleAfter);

    private IResult Events(HttpContext context)
    {
        var query = context.Request.Query;
        string? pool = query.TryGetValue("pool", out var p) && !string.IsNullOrEmpty(p.ToString()) ? p.ToString() : null;
        if (pool is not null && !_engine.Pools.Contains(pool))
        {
            return NotFound(pool);
        }

        var limit = 50;
        if (query.TryGetValue("limit", out var l) && l.ToString().Length > 0
            && (!int.TryParse(l.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            return ApiJson.Result(new ErrorResponse("limit must be an integer between 1 and 1000"), statusCode: StatusCodes.Status400BadRequest);
        }

        var events = _store.GetEvents(pool, limit).Select(EventDto.From).ToArray();
        return ApiJson.Result(new EventsResponse(events));
    }

    private async Task<IResult> ScaleAsync(string pool, HttpContext context)
    {
        if (_guard.Write(context) is { } denied)
        {
            return denied;
        }

        if (!_engine.Pools.Contains(pool))
        {
            return NotFound(pool);
        }

        ScaleRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, ApiJson.Info<ScaleRequest>(), context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return BadRequest($"the body must be {{\"desired\": N}}: {ex.Message}");
        }

        if (request?.Desired is not { } desired)
        {
            return BadRequest("the body must be {\"desired\": N}");
        }

        var config = _config.FindPool(pool)!;
        var result = await _engine.SetDesiredAsync(pool, desired, context.RequestAborted).ConfigureAwait(false);
        if (!result.Accepted)
        {
            return ApiJson.Result(new ErrorResponse(result.Message) { Min = config.Min, Max = config.Max }, statusCode: StatusCodes.Status400BadRequest);
        }

        LogManualScale(_logger, pool, result.Decision?.PreviousDesired ?? desired, desired);
        _nudger.Nudge(pool, "api");
        return ApiJson.Result(new ScaleResponse(pool, result.Decision?.PreviousDesired ?? desired, desired, result.Message));
    }

    private static IResult Health() => Results.Text("ok\n", "text/plain");

    /// <summary>Every serving member of every pool (node UP in the NodeBalancer), as Prometheus http_sd target groups
    /// (node_exporter port). Members still booting or installing run at full CPU while serving nothing: listed, they
    /// would pull the pool's average up and fire a second scale-up before the first one serves.</summary>
    private List<HttpSdTargetGroup> HttpSd()
    {
        var groups = new List<HttpSdTargetGroup>();
        foreach (var name in _engine.Pools)
        {
            var status = _engine.GetStatus(name);
            var config = _config.FindPool(name)!;
            foreach (var m in status.View?.Members ?? [])
            {
                if (m.Lifecycle != MemberLifecycle.Serving || string.IsNullOrEmpty(m.Member.Address))
                {
                    continue;
                }

                var labels = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["pool"] = name,
                    ["instance_id"] = m.Member.Id,
                    ["instance_label"] = m.Member.Label,
                };
                // Then what the provider adds (Linode: region and type); ours win a clash.
                foreach (var (key, value) in config.Provider?.DiscoveryLabels ?? new Dictionary<string, string>())
                {
                    labels.TryAdd(key, value);
                }

                groups.Add(new HttpSdTargetGroup([m.Member.Address + ":" + NodeExporterPort.ToString(CultureInfo.InvariantCulture)], labels));
            }
        }

        return groups;
    }

    private static IResult NotFound(string pool) =>
        ApiJson.Result(new ErrorResponse($"unknown pool '{pool}'"), statusCode: StatusCodes.Status404NotFound);

    private static IResult BadRequest(string message) =>
        ApiJson.Result(new ErrorResponse(message), statusCode: StatusCodes.Status400BadRequest);

    [LoggerMessage(Level = LogLevel.Information, Message = "api: pool {Pool} desired set by hand {From} → {To}")]
    private static partial void LogManualScale(ILogger logger, string pool, int from, int to);
}

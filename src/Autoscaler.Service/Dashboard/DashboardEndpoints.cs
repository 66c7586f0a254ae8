using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Service.Api;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Engine;
using Autoscaler.Service.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Dashboard;

/// <summary>
/// The web dashboard: the page at <c>/</c> with its script, style and the uPlot chart library (all embedded in this
/// assembly, so the page works with no network beyond the service), and the API it reads: pool layout, per-pool
/// sample history, firing alerts, and the runtime dry-run switch. The switch is a write: it wants the same
/// credentials as <c>POST /api/v1/pools/{pool}/scale</c>.
/// </summary>
public sealed partial class DashboardEndpoints
{
    // Nothing outside the service: scripts, styles, fetches and images come from it alone.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    private static readonly Lazy<IReadOnlyDictionary<string, Asset>> EmbeddedAssets = new(LoadAssets);

    /// <summary>Alerts on a page of <c>/api/v1/alerts</c> unless <c>limit</c> says otherwise.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>Most alerts on one page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Characters of labels and annotations after which a page ends (at least one alert per page).</summary>
    public const long MaxPageBytes = 1024 * 1024;

    private readonly AutoscalerConfig _config;
    private readonly ScalingEngine _engine;
    private readonly AlertStateStore _alerts;
    private readonly DashboardHistory _history;
    private readonly EngineNudger _nudger;
    private readonly RequestGuard _guard;
    private readonly ILogger _logger;

    /// <summary>Creates the endpoints.</summary>
    public DashboardEndpoints(AutoscalerConfig config, ScalingEngine engine, AlertStateStore alerts, DashboardHistory history, EngineNudger nudger,
        ILogger<DashboardEndpoints> logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _engine = engine;
        _alerts = alerts;
        _history = history;
        _nudger = nudger;
        _logger = logger;
        _guard = new RequestGuard(config);
    }

    /// <summary>The page's files by the path they are served at (below <c>dashboard/</c>, except the page itself).</summary>
    public static IReadOnlyDictionary<string, Asset> Assets => EmbeddedAssets.Value;

    /// <summary>Maps the page, its files and its API.</summary>
    public void Map(IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapGet("/", Handler.Of(context => Serve(context, "index.html")));
        routes.MapGet("/dashboard/{file}", Handler.Of(context => Serve(context, Handler.Route(context, "file"))));
        routes.MapGet("/api/v1/dashboard", Handler.Of(_ => Info()));
        routes.MapGet("/api/v1/dashboard/pools/{pool}/series", Handler.Of(context => Series(Handler.Route(context, "pool"), context)));
        routes.MapGet("/api/v1/alerts", Handler.Of(Alerts));
        routes.MapPost("/api/v1/pools/{pool}/dry_run", Handler.Of(context => SetPoolDryRunAsync(Handler.Route(context, "pool"), context)));
        routes.MapPost("/api/v1/dry_run", Handler.Of(SetAllDryRunAsync));
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return ApiJson.Result(new ErrorResponse($"no dashboard file '{file}'"), statusCode: StatusCodes.Status404NotFound);
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        // Revalidated on each load: a new build is picked up at once, an unchanged file costs a 304.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        if (file == "index.html")
        {
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers["Referrer-Policy"] = "no-referrer";
        }

        if (context.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private IResult Info()
    {
        // The API's own credentials: the webhook's never write.
        var auth = _config.Api.Auth;
        var interval = _config.Dashboard.SampleInterval;
        return ApiJson.Result(new DashboardInfo
        {
            Pools = _config.Pools.Select(p => new DashboardPoolInfo
            {
                Pool = p.Name,
                Min = p.Min,
                Max = p.Max,
                Requests = p.Dashboard?.Requests is not null,
                Cpu = p.Dashboard?.Cpu is not null,
                LatencyP95 = p.Dashboard?.LatencyP95 is not null,
            }).ToArray(),
            Auth = auth?.BearerToken is not null ? "bearer" : auth?.Basic is not null ? "basic" : "none",
            SampleIntervalMs = (long)interval.TotalMilliseconds,
            HistoryMs = (long)_config.Dashboard.History.TotalMilliseconds,
            PollMs = (long)Math.Clamp(interval.TotalMilliseconds, 500, 5000),
        });
    }

    private IResult Series(string pool, HttpContext context)
    {
        if (_history.Get(pool) is not { } history)
        {
            return NotFound(pool);
        }

        DateTimeOffset? after = null;
        if (context.Request.Query.TryGetValue("since", out var s) && s.ToString().Length > 0)
        {
            if (!long.TryParse(s.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                return BadRequest("since must be a Unix time in milliseconds");
            }

            // Times go out in whole milliseconds: everything within the millisecond the page already has is excluded.
            after = DateTimeOffset.FromUnixTimeMilliseconds(ms).AddTicks(TimeSpan.TicksPerMillisecond - 1);
        }

        return ApiJson.Result(SeriesResponse.From(pool, history.Since(after)));
    }

    private IResult Alerts(HttpContext context)
    {
        string? pool = context.Request.Query.TryGetValue("pool", out var p) && p.ToString().Length > 0 ? p.ToString() : null;
        if (pool is not null && !_engine.Pools.Contains(pool))
        {
            return NotFound(pool);
        }

        if (!Paging(context.Request.Query, out var offset, out var limit, out var problem))
        {
            return BadRequest(problem);
        }

        var firing = _alerts.Snapshot()
            .Where(a => a.Status == AlertStatus.Firing && !_alerts.IsExpired(a)
                && (pool is null || a.Labels.GetValueOrDefault(AlertMatcher.PoolLabel) == pool))
            .ToArray();
        // A page ends at limit alerts or at MaxPageBytes of labels and annotations, whichever comes first (at least one
        // alert), so no answer carries the whole store.
        var page = new List<AlertDto>();
        long bytes = 0;
        for (var i = offset; i < firing.Length && page.Count < limit && (page.Count == 0 || bytes < MaxPageBytes); i++)
        {
            var a = firing[i];
            bytes += a.Labels.Sum(kv => kv.Key.Length + kv.Value.Length) + a.Annotations.Sum(kv => kv.Key.Length + kv.Value.Length);
            page.Add(new AlertDto
            {
                Fingerprint = a.Fingerprint,
                Alertname = a.AlertName,
                Pool = a.Labels.GetValueOrDefault(AlertMatcher.PoolLabel),
                Labels = a.Labels,
                Annotations = a.Annotations,
                StartsAt = a.StartsAt,
                FirstSeenAt = a.FirstSeenAt,
                LastSeenAt = a.LastSeenAt,
            });
        }

        var next = offset + page.Count;
        return ApiJson.Result(new AlertsResponse(page) { Total = firing.Length, NextOffset = next < firing.Length ? next : null });
    }

    /// <summary>Reads <c>offset</c> (default 0) and <c>limit</c> (1 to <see cref="MaxPageSize"/>, default
    /// <see cref="DefaultPageSize"/>).</summary>
    private static bool Paging(IQueryCollection query, out int offset, out int limit, out string problem)
    {
        offset = 0;
        limit = DefaultPageSize;
        problem = "";
        if (query.TryGetValue("offset", out var o) && o.ToString().Length > 0
            && (!int.TryParse(o.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            problem = "offset must be a whole number, 0 or more";
            return false;
        }

        if (query.TryGetValue("limit", out var l) && l.ToString().Length > 0
            && (!int.TryParse(l.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPageSize))
        {
            problem = $"limit must be an integer between 1 and {MaxPageSize}";
            return false;
        }

        return true;
    }

    private async Task<IResult> SetPoolDryRunAsync(string pool, HttpContext context)
    {
        if (Unauthorized(context) is { } denied)
        {
            return denied;
        }

        if (!_engine.Pools.Contains(pool))
        {
            return NotFound(pool);
        }

        if (await ReadDryRunAsync(context).ConfigureAwait(false) is not { } enabled)
        {
            return BadRequest("the body must be {\"dry_run\": true} or {\"dry_run\": false}");
        }

        return ApiJson.Result(Switch(pool, enabled));
    }

    private async Task<IResult> SetAllDryRunAsync(HttpContext context)
    {
        if (Unauthorized(context) is { } denied)
        {
            return denied;
        }

        if (await ReadDryRunAsync(context).ConfigureAwait(false) is not { } enabled)
        {
            return BadRequest("the body must be {\"dry_run\": true} or {\"dry_run\": false}");
        }

        return ApiJson.Result(new DryRunAllResponse(_engine.Pools.Select(p => Switch(p, enabled)).ToArray()));
    }

    private DryRunResponse Switch(string pool, bool enabled)
    {
        var before = _engine.IsDryRun(pool);
        _engine.SetDryRun(pool, enabled);
        if (before != enabled)
        {
            LogDryRun(_logger, pool, enabled ? "on" : "off");
            // Evaluate at once, so the page shows a decision taken in the new mode without waiting an interval.
            _nudger.Nudge(pool, "api");
        }

        var message = enabled
            ? $"pool '{pool}' is in dry run: decisions are recorded, not acted on"
            : $"pool '{pool}' acts on its decisions";
        return new DryRunResponse(pool, enabled, message);
    }

    private IResult? Unauthorized(HttpContext context) => _guard.Write(context);

    private static async Task<bool?> ReadDryRunAsync(HttpContext context)
    {
        try
        {
            var request = await JsonSerializer.DeserializeAsync(context.Request.Body, ApiJson.Info<DryRunRequest>(), context.RequestAborted).ConfigureAwait(false);
            return request?.DryRun;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult NotFound(string pool) =>
        ApiJson.Result(new ErrorResponse($"unknown pool '{pool}'"), statusCode: StatusCodes.Status404NotFound);

    private static IResult BadRequest(string message) =>
        ApiJson.Result(new ErrorResponse(message), statusCode: StatusCodes.Status400BadRequest);

    private static Dictionary<string, Asset> LoadAssets()
    {
        const string prefix = "Dashboard/";
        var assembly = typeof(DashboardEndpoints).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var file = name[prefix.Length..];
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
            assets[file] = new Asset(content, type, "\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..16] + "\"");
        }

        return assets;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "api: pool {Pool} dry run switched {Mode}")]
    private static partial void LogDryRun(ILogger logger, string pool, string mode);

    /// <summary>An embedded file of the page.</summary>
    public sealed record Asset(byte[] Content, string ContentType, string ETag);
}

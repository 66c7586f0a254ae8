using System.Buffers;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Signals;
using Autoscaler.Service.Api;
using Autoscaler.Service.Commands;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Engine;
using Autoscaler.Service.Metrics;
using Autoscaler.Service.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Webhook;

/// <summary>Answer to an accepted notification: how many alerts and what the store did with them;
/// <c>Unmatched</c> counts the alerts no pool's signal listens to: not held, counted in /metrics
/// (<c>autoscaler_alerts_ignored_total{reason="unmatched"}</c>).</summary>
public sealed record WebhookResponse(string Status, int Alerts, int Added, int Changed, int Duplicate, int Stale, int Rejected, int Unmatched = 0);

/// <summary>
/// The Alertmanager receiver: <c>POST /hook</c> (also <c>/webhook</c> and <c>/alerts</c>). Authenticates, bounds and
/// validates the body, records every alert some pool's signal listens to in the <see cref="AlertStateStore"/> by
/// fingerprint (the others are only counted) and answers 200 at once; cloud work never runs in the request. Pools
/// whose signals match an alert whose state changed are nudged, so the engine evaluates them within milliseconds
/// instead of at its next interval.
/// </summary>
public sealed partial class WebhookEndpoint
{
    /// <summary>Paths the receiver answers on.</summary>
    public static readonly IReadOnlyList<string> Paths = ["/hook", "/webhook", "/alerts"];

    private readonly AlertStateStore _store;
    private readonly CredentialCheck _auth;
    private readonly long _maxBody;
    private readonly EngineNudger _nudger;
    private readonly ServiceMetrics _metrics;
    private readonly IReadOnlyList<(string Pool, SignalConfig Signal)> _signals;
    private readonly ILogger _logger;
    private readonly CommandDispatcher? _commands;
    private readonly TimeProvider _time;
    private readonly Lock _unmatchedLock = new();
    private DateTimeOffset _unmatchedLoggedAt = DateTimeOffset.MinValue;
    private long _unmatchedSinceLog;

    /// <summary>At most one log line about ignored (unmatched) alerts per this interval; the rest are counted in it.</summary>
    public static readonly TimeSpan UnmatchedLogInterval = TimeSpan.FromMinutes(1);

    private const string IgnoredOutcome = "ignored";

    /// <summary>Creates the receiver; <paramref name="commands"/>, when given, gets every accepted body after it is recorded.</summary>
    public WebhookEndpoint(AutoscalerConfig config, AlertStateStore store, EngineNudger nudger, ServiceMetrics metrics, ILogger<WebhookEndpoint> logger,
        CommandDispatcher? commands = null, TimeProvider? time = null)
    {
        _commands = commands;
        _time = time ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(config);
        _store = store;
        _auth = new CredentialCheck(config.Webhook.Auth);
        _maxBody = config.Webhook.MaxBodyBytes;
        _nudger = nudger;
        _metrics = metrics;
        _logger = logger;
        _signals = config.Pools.SelectMany(p => p.Signals.Select(s => (p.Name, s))).ToArray();
    }

    /// <summary>Maps the receiver's paths.</summary>
    public void Map(IEndpointRouteBuilder routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        foreach (var path in Paths)
        {
            routes.MapPost(path, Handler.Of(HandleAsync));
        }
    }

    /// <summary>Handles one notification.</summary>
    public async Task<IResult> HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var auth = _auth.Check(context.Request);
        if (auth is AuthResult.Missing or AuthResult.Wrong)
        {
            _metrics.WebhookRequest("unauthorized");
            LogUnauthorized(_logger, context.Connection.RemoteIpAddress?.ToString() ?? "?", auth == AuthResult.Missing ? "no credentials" : "wrong credentials");
            context.Response.Headers.WWWAuthenticate = _auth.Challenge;
            return ApiJson.Result(new ErrorResponse(auth == AuthResult.Missing ? "authentication required" : "invalid credentials"), statusCode: StatusCodes.Status401Unauthorized);
        }

        if (UnsupportedContentType(context.Request.ContentType) is { } mediaType)
        {
            // A 400 like every other refusal of a body (Alertmanager retries no 4xx); the metric keeps the reason apart.
            _metrics.WebhookRequest("unsupported_media_type");
            LogRejected(_logger, $"Content-Type {mediaType}");
            return ApiJson.Result(new ErrorResponse($"Content-Type must be application/json (got {mediaType}); Alertmanager sends JSON"), statusCode: StatusCodes.Status400BadRequest);
        }

        if (context.Request.ContentLength is { } length && length > _maxBody)
        {
            return TooLarge(length);
        }

        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            return TooLarge(null);
        }

        var (notification, error) = AlertmanagerPayload.Parse(body.Value);
        if (notification is null)
        {
            _metrics.WebhookRequest("bad_request");
            LogRejected(_logger, error!.Message);
            return ApiJson.Result(new ErrorResponse("invalid Alertmanager webhook payload: " + error.Message) { Problems = error.Problems }, statusCode: StatusCodes.Status400BadRequest);
        }

        int added = 0, changed = 0, duplicate = 0, stale = 0, rejected = 0, unmatched = 0;
        HashSet<string>? pools = null;
        foreach (var alert in notification.Alerts)
        {
            // Which pools listen is decided first, and costs no memory: an alert no pool's signal listens to is
            // counted and dropped here, so a flood of them never reaches the store, the log or the engine.
            List<string>? listeners = null;
            foreach (var (pool, signal) in _signals)
            {
                if (signal.ListensTo(alert.Labels, pool))
                {
                    (listeners ??= []).Add(pool);
                }
            }

            if (listeners is null)
            {
                unmatched++;
                _metrics.WebhookAlert(IgnoredOutcome);
                _metrics.WebhookAlertUnmatched();
                _metrics.AlertIgnored(ServiceMetrics.IgnoredUnmatched);
                NoteUnmatched(alert);
                continue;
            }

            // A copy of an expired alert makes it believed again: as much news for the engine as a new one.
            var revived = alert.Fingerprint.Length > 0 && _store.Get(alert.Fingerprint) is { } known && _store.IsExpired(known);
            var outcome = _store.Record(alert);
            _metrics.WebhookAlert(ServiceMetrics.Snake(outcome.ToString()));
            switch (outcome)
            {
                case AlertRecordOutcome.Added:
                    added++;
                    break;
                case AlertRecordOutcome.Changed:
                    changed++;
                    break;
                case AlertRecordOutcome.Duplicate:
                    duplicate++;
                    break;
                case AlertRecordOutcome.Stale:
                    stale++;
                    break;
                case AlertRecordOutcome.Ignored:
                    // The store's own filter agrees with the one above in the service; counted the same way if not.
                    unmatched++;
                    _metrics.AlertIgnored(ServiceMetrics.IgnoredUnmatched);
                    break;
                default:
                    rejected++;
                    _metrics.AlertIgnored(_store.LabelsFit(alert.Labels) ? ServiceMetrics.IgnoredStoreFull : ServiceMetrics.IgnoredTooLarge);
                    break;
            }

            if (outcome is AlertRecordOutcome.Added or AlertRecordOutcome.Changed || (revived && outcome == AlertRecordOutcome.Duplicate))
            {
                LogAlert(_logger, alert.AlertName ?? "?", alert.Status == AlertStatus.Firing ? "firing" : "resolved", alert.Fingerprint, Autoscaler.Common.LogWords.Of(outcome));
                (pools ??= new HashSet<string>(StringComparer.Ordinal)).UnionWith(listeners);
            }
        }

        foreach (var pool in pools ?? [])
        {
            _nudger.Nudge(pool, "webhook");
        }

        // Queued, never run here: Alertmanager gets its answer whatever the commands take.
        _commands?.Enqueue(body.Value);
        _metrics.WebhookRequest("accepted");
        return ApiJson.Result(new WebhookResponse("ok", notification.Alerts.Count, added, changed, duplicate, stale, rejected, unmatched));
    }

    /// <summary>Logs the first ignored alert and then at most one a <see cref="UnmatchedLogInterval"/>, saying how many
    /// were ignored in between: a flood of unrelated alerts must not become a flood of log lines.</summary>
    private void NoteUnmatched(AlertRecord alert)
    {
        var now = _time.GetUtcNow();
        long between;
        lock (_unmatchedLock)
        {
            if (now - _unmatchedLoggedAt < UnmatchedLogInterval)
            {
                _unmatchedSinceLog++;
                return;
            }

            between = _unmatchedSinceLog;
            _unmatchedSinceLog = 0;
            _unmatchedLoggedAt = now;
        }

        LogUnmatched(_logger, alert.AlertName ?? "?", alert.Labels.TryGetValue("pool", out var named) ? $"pool '{named}'" : "no pool label",
            string.Join(", ", _signals.Select(s => s.Pool).Distinct(StringComparer.Ordinal)),
            between > 0 ? $" ({between} more ignored since the last such line)" : "");
    }

    /// <summary>The declared media type when it is not JSON, cut short for the answer; null when it is JSON. A POST
    /// without the header is refused too: Alertmanager always sends it, and a cross-site form or beacon can omit it.</summary>
    internal static string? UnsupportedContentType(string? contentType) => RequestGuard.MediaType(contentType);

    private IResult TooLarge(long? length)
    {
        _metrics.WebhookRequest("too_large");
        var size = length is { } l ? $"has {l} bytes" : "is larger than that";
        return ApiJson.Result(new ErrorResponse($"the body {size}; at most {_maxBody} bytes are accepted (webhook.max_body_bytes)"), statusCode: StatusCodes.Status413PayloadTooLarge);
    }

    /// <summary>Reads at most max_body_bytes; null when the body is longer.</summary>
    private async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpContext context)
    {
        // Our own limit replaces Kestrel's (30 MB), which would answer a bare 413 without our message.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var stream = context.Request.Body;
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var span = buffer.GetMemory(8192);
            var read = await stream.ReadAsync(span, context.RequestAborted).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > _maxBody)
            {
                return null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook: refused a request from {Remote}: {Why}")]
    private static partial void LogUnauthorized(ILogger logger, string remote, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook: refused a payload: {Problems}")]
    private static partial void LogRejected(ILogger logger, string problems);

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook: alert {AlertName} ({Target}) matches no pool's signals (pools: {Pools}); ignored: it is not held and scales nothing{Since}")]
    private static partial void LogUnmatched(ILogger logger, string alertName, string target, string pools, string since);

    [LoggerMessage(Level = LogLevel.Information, Message = "webhook: alert {AlertName} {Status} ({Fingerprint}): {Outcome}")]
    private static partial void LogAlert(ILogger logger, string alertName, string status, string fingerprint, string outcome);
}

using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Autoscaler.Core;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Prometheus;

namespace Autoscaler.Service.Metrics;

/// <summary>
/// The service's Prometheus metrics, in a registry of its own (two services in one process, as in tests, never mix):
/// pool sizes and bounds, decisions, actions, skips, evaluation errors, webhook requests and alerts, metric-source
/// misses, operation durations, the service's own HTTP requests, the Linode client's calls (its <c>Autoscaler.Linode</c>
/// System.Diagnostics.Metrics meter, bridged), build information and prometheus-net's process and runtime metrics.
/// Every counter series whose labels are known at start (pools, directions, reasons, outcomes) exists from the first
/// scrape at zero, so <c>rate()</c> and <c>increase()</c> see the first event instead of the series appearing at 1.
/// HTTP status labels are named <c>code</c> and the method is a label of its own beside the route template, as the
/// Prometheus instrumentation guidelines and client libraries do.
/// </summary>
public sealed class ServiceMetrics : IDisposable
{
    private readonly Gauge _desired;
    private readonly Gauge _actual;
    private readonly Gauge _serving;
    private readonly Gauge _launching;
    private readonly Gauge _removing;
    private readonly Gauge _kept;
    private readonly Gauge _min;
    private readonly Gauge _max;
    private readonly Counter _decisions;
    private readonly Counter _actions;
    private readonly Counter _skips;
    private readonly Counter _evaluationErrors;
    private readonly Counter _webhookRequests;
    private readonly Counter _webhookAlerts;
    private readonly Counter _webhookUnmatched;
    private readonly Counter _alertsIgnored;
    private readonly Counter _metricMisses;
    private readonly Counter _engineCycles;
    private readonly Histogram _cycleDuration;
    private readonly Counter _nudgesDeferred;
    private readonly Histogram _operationDuration;
    private readonly Gauge _alertsHeld;
    private readonly Gauge _signals;
    private readonly Gauge _billed;
    private readonly Gauge _projected;
    private readonly Gauge _budget;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _operationStarts = new(StringComparer.Ordinal);
    private readonly Counter _linodeRequests;
    private readonly Counter _linodeRetries;
    private readonly Histogram _linodeDuration;
    private readonly Gauge _linodeBucketLimit;
    private readonly Gauge _linodeBucketRemaining;
    private readonly Gauge _budgetUsed;
    private readonly Gauge _budgetLimit;
    private readonly Counter _budgetWaits;
    private readonly Counter _budgetThrottled;
    private readonly MeterListener? _listener;
    private readonly object? _scope;

    /// <summary>The Linode client's meter.</summary>
    public const string LinodeMeterName = "Autoscaler.Linode";

    /// <summary>Creates the metrics; when <paramref name="linodeMeterScope"/> is given, the instruments of the
    /// <c>Autoscaler.Linode</c> meter created by that <see cref="IMeterFactory"/> feed the <c>autoscaler_linode_api_*</c>
    /// series.</summary>
    public ServiceMetrics(IMeterFactory? linodeMeterScope = null)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _desired = f.CreateGauge("autoscaler_pool_desired", "Desired size of the pool.", "pool");
        _actual = f.CreateGauge("autoscaler_pool_actual", "Members counted as capacity (serving, launching, or unhealthy but not yet replaced).", "pool");
        _serving = f.CreateGauge("autoscaler_pool_serving", "Members whose NodeBalancer node is UP.", "pool");
        _launching = f.CreateGauge("autoscaler_pool_launching", "Members launched and not serving yet.", "pool");
        _removing = f.CreateGauge("autoscaler_pool_removing", "Members being drained or removed.", "pool");
        _kept = f.CreateGauge("autoscaler_pool_kept", "Surplus members kept serving until their paid billing period ends (counted in autoscaler_pool_actual).", "pool");
        _min = f.CreateGauge("autoscaler_pool_min", "Effective minimum size of the pool (the configured one, raised by an active schedule).", "pool");
        _max = f.CreateGauge("autoscaler_pool_max", "Effective maximum size of the pool (the configured one, or an active schedule's).", "pool");
        _decisions = f.CreateCounter("autoscaler_decisions_total", "Evaluations by outcome (none, scale_up, scale_down, hold, dry_run).", "pool", "action");
        _actions = f.CreateCounter("autoscaler_actions_total", "Cloud actions by direction (up: launch, down: remove) and result (started, succeeded, failed, abandoned).", "pool", "direction", "result");
        _skips = f.CreateCounter("autoscaler_skips_total", "Wanted changes not made, by reason.", "pool", "reason");
        _evaluationErrors = f.CreateCounter("autoscaler_evaluation_errors_total", "Evaluations that could not read the pool or a signal.", "pool");
        _webhookRequests = f.CreateCounter("autoscaler_webhook_requests_total", "Webhook requests by outcome (accepted, unauthorized, bad_request, too_large, unsupported_media_type).", "outcome");
        _webhookAlerts = f.CreateCounter("autoscaler_webhook_alerts_total", "Alerts received by what the alert store did with them (added, changed, duplicate, stale, rejected; ignored: no pool's signal listens to it).", "outcome");
        _webhookUnmatched = f.CreateCounter("autoscaler_webhook_alerts_unmatched_total", "Alerts that no pool's signal listens to (e.g. a pool label naming no configured pool): not held, they scale nothing (as autoscaler_alerts_ignored_total{reason=\"unmatched\"}).");
        _alertsIgnored = f.CreateCounter("autoscaler_alerts_ignored_total", "Alerts received and not held, by reason (unmatched: no pool's signal "
            + "listens to it; too_large: labels over 16 KiB; store_full: the store is full of firing alerts).", "reason");
        _metricMisses = f.CreateCounter("autoscaler_metric_source_missing_total", "Prometheus readings without a usable value, by reason.", "reason");
        _engineCycles = f.CreateCounter("autoscaler_engine_cycles_total", "Pool evaluations run, by trigger (interval, webhook, api).", "trigger");
        _cycleDuration = f.CreateHistogram("autoscaler_engine_cycle_duration_seconds", "Time one pool evaluation took (snapshot, decide, act).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _nudgesDeferred = f.CreateCounter("autoscaler_engine_nudges_deferred_total", "Webhook nudges held to webhook.min_evaluation_interval after the pool's last evaluation (merged into one).");
        _operationDuration = f.CreateHistogram("autoscaler_operation_duration_seconds", "Time from an operation's start to its end, by kind and outcome.",
            new HistogramConfiguration
            {
                LabelNames = ["pool", "kind", "outcome"],
                Buckets = Histogram.ExponentialBuckets(0.05, 2, 14),
            });
        _alertsHeld = f.CreateGauge("autoscaler_alerts", "Alerts held by the alert store.");
        _signals = f.CreateGauge("autoscaler_pool_signals", "Signals of the pool by state (ok, firing, missing_data: the last evaluation had no "
            + "usable metric; expired: a firing alert Alertmanager stopped re-sending; unknown: not evaluated yet).", "pool", "state");
        _billed = f.CreateGauge("autoscaler_pool_billed_cost_usd", "USD billed so far this calendar month (UTC) for the pool's instances "
            + "(per started billing period, capped per month); absent when the pool's prices are unknown.", "pool");
        _projected = f.CreateGauge("autoscaler_pool_projected_cost_usd", "USD the pool's month comes to if every live member lives to the "
            + "month's end; absent when the pool's prices are unknown.", "pool");
        _budget = f.CreateGauge("autoscaler_pool_budget_usd", "The pool's configured monthly budget (budget.monthly_usd); absent without one.", "pool");

        _linodeRequests = f.CreateCounter("autoscaler_linode_api_requests_total", "Linode API requests (each attempt), by method, route template and "
            + "code (the HTTP status, or timeout or transport when no answer came).", "method", "route", "code");
        _linodeRetries = f.CreateCounter("autoscaler_linode_api_retries_total", "Linode API retries, by method, route template and the outcome that caused them.",
            "method", "route", "outcome");
        _linodeDuration = f.CreateHistogram("autoscaler_linode_api_request_duration_seconds", "Duration of one Linode API attempt, by method, route template and code.",
            new HistogramConfiguration { LabelNames = ["method", "route", "code"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });
        Http = new HttpMetrics(f);
        BuildInfo(f);
        DotNetStats.Register(Registry);
        _linodeBucketLimit = f.CreateGauge("autoscaler_linode_api_ratelimit_limit", "Requests a Linode rate-limit bucket (endpoint template) allows per window, as the API last announced (X-RateLimit-Limit).", "bucket");
        _linodeBucketRemaining = f.CreateGauge("autoscaler_linode_api_ratelimit_remaining", "Requests left in the bucket's window, as the API last announced (X-RateLimit-Remaining).", "bucket");
        _budgetUsed = f.CreateGauge("autoscaler_linode_api_budget_used", "Linode API requests of ours in the bucket's last window (create, paginated, images, stats, general: Linode's published buckets, per user).", "bucket");
        _budgetLimit = f.CreateGauge("autoscaler_linode_api_budget_limit", "Requests the bucket allows per window (as the API announced, else Linode's published figure).", "bucket");
        _budgetWaits = f.CreateCounter("autoscaler_linode_api_budget_waits_total", "Linode API requests that waited for budget before being sent (paced instead of refused).", "bucket");
        _budgetThrottled = f.CreateCounter("autoscaler_linode_api_budget_throttled_total", "Linode API answers 429 (too many requests), by bucket.", "bucket");
        if (linodeMeterScope is not null)
        {
            _scope = linodeMeterScope;
            // Bridged by hand: the client's instruments are few and known, and their names read better as ours.
            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == LinodeMeterName && ReferenceEquals(instrument.Meter.Scope, _scope))
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnLinodeMeasurement(instrument.Name, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnLinodeMeasurement(instrument.Name, value, tags));
            _listener.Start();
        }
    }

    /// <summary>The registry /metrics exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>The service's own HTTP requests.</summary>
    public HttpMetrics Http { get; }

    /// <summary>Webhook request outcomes, each series exported from the start.</summary>
    internal static readonly string[] WebhookRequestOutcomes = ["accepted", "unauthorized", "bad_request", "too_large", "unsupported_media_type"];

    /// <summary>Reasons a Prometheus reading has no value (the metric source's error kinds, and <c>nan</c>).</summary>
    internal static readonly string[] MetricMissingReasons =
        ["unreachable", "timeout", "http_error", "query_error", "bad_answer", "unsupported_result", "multiple_series", "empty", "nan"];

    /// <summary>What starts an evaluation.</summary>
    internal static readonly string[] CycleTriggers = ["interval", "webhook", "api"];

    private static readonly string[] ActionResults = ["started", "succeeded", "failed", "abandoned"];
    private static readonly string[] OperationOutcomes = ["succeeded", "failed", "abandoned"];

    /// <summary>Creates every series whose labels are known before anything happened: the pools' bounds and, at zero,
    /// their counters and the service-wide ones.</summary>
    public void InitialisePools(IEnumerable<PoolConfig> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        foreach (var outcome in WebhookRequestOutcomes)
        {
            _webhookRequests.WithLabels(outcome);
        }

        foreach (var reason in new[] { IgnoredUnmatched, IgnoredTooLarge, IgnoredStoreFull })
        {
            _alertsIgnored.WithLabels(reason);
        }

        foreach (var outcome in Enum.GetValues<Autoscaler.Core.Alerts.AlertRecordOutcome>())
        {
            _webhookAlerts.WithLabels(Snake(outcome.ToString()));
        }

        foreach (var reason in MetricMissingReasons)
        {
            _metricMisses.WithLabels(reason);
        }

        foreach (var trigger in CycleTriggers)
        {
            _engineCycles.WithLabels(trigger);
        }

        _alertsHeld.Set(0);
        foreach (var pool in pools)
        {
            var name = pool.Name;
            _min.WithLabels(name).Set(pool.Min);
            _max.WithLabels(name).Set(pool.Max);
            _evaluationErrors.WithLabels(name);
            foreach (var action in Enum.GetValues<DecisionAction>())
            {
                _decisions.WithLabels(name, Snake(action.ToString()));
            }

            foreach (var reason in Enum.GetValues<SkipReason>())
            {
                _skips.WithLabels(name, Snake(reason.ToString()));
            }

            foreach (var direction in (string[])["up", "down"])
            {
                foreach (var result in ActionResults)
                {
                    _actions.WithLabels(name, direction, result);
                }
            }

            foreach (var kind in Enum.GetValues<OperationKind>())
            {
                foreach (var outcome in OperationOutcomes)
                {
                    _operationDuration.WithLabels(name, Snake(kind.ToString()), outcome);
                }
            }
        }
    }

    /// <summary>Updates the pool gauges and the running totals from the engine's status.</summary>
    public void Observe(PoolStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var pool = status.Pool;
        _min.WithLabels(pool).Set(status.Min);
        _max.WithLabels(pool).Set(status.Max);
        if (status.Desired is { } d)
        {
            _desired.WithLabels(pool).Set(d);
        }

        if (status.View is { } v)
        {
            _actual.WithLabels(pool).Set(v.Live);
            _serving.WithLabels(pool).Set(v.Serving);
            _launching.WithLabels(pool).Set(v.Launching);
            _removing.WithLabels(pool).Set(v.Removing);
            _kept.WithLabels(pool).Set(v.Kept);
        }

        _evaluationErrors.WithLabels(pool).IncTo(status.Counters.EvaluationErrors);
        foreach (var (reason, count) in status.Counters.Skips)
        {
            _skips.WithLabels(pool, Snake(reason.ToString())).IncTo(count);
        }
    }

    /// <summary>Counts a decision.</summary>
    public void Decision(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        _decisions.WithLabels(decision.Pool, Snake(decision.Action.ToString())).Inc();
    }

    /// <summary>Counts an operation event and, when it ends one, observes its duration.</summary>
    public void Operation(OperationEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var direction = e.Kind == OperationKind.Launch ? "up" : "down";
        switch (e.Type)
        {
            case OperationEventType.Started:
                _operationStarts.TryAdd(e.OperationId, e.At);
                _actions.WithLabels(e.Pool, direction, "started").Inc();
                break;
            case OperationEventType.Succeeded or OperationEventType.Failed or OperationEventType.Abandoned:
                var result = Snake(e.Type.ToString());
                _actions.WithLabels(e.Pool, direction, result).Inc();
                if (_operationStarts.TryRemove(e.OperationId, out var start) && e.At >= start)
                {
                    _operationDuration.WithLabels(e.Pool, Snake(e.Kind.ToString()), result).Observe((e.At - start).TotalSeconds);
                }

                break;
        }
    }

    /// <summary>Counts a webhook request.</summary>
    public void WebhookRequest(string outcome) => _webhookRequests.WithLabels(outcome).Inc();

    /// <summary>Counts an alert of an accepted notification.</summary>
    public void WebhookAlert(string outcome) => _webhookAlerts.WithLabels(outcome).Inc();

    /// <summary>Counts an alert that no pool's signal listens to.</summary>
    public void WebhookAlertUnmatched() => _webhookUnmatched.Inc();

    /// <summary><c>autoscaler_alerts_ignored_total</c>: no pool's signal listens to the alert.</summary>
    public const string IgnoredUnmatched = "unmatched";

    /// <summary><c>autoscaler_alerts_ignored_total</c>: the alert's labels are over the store's cap.</summary>
    public const string IgnoredTooLarge = "too_large";

    /// <summary><c>autoscaler_alerts_ignored_total</c>: the store is full of firing alerts.</summary>
    public const string IgnoredStoreFull = "store_full";

    /// <summary>An alert received and not held.</summary>
    public void AlertIgnored(string reason) => _alertsIgnored.WithLabels(reason).Inc();

    /// <summary>Counts a metric reading without a value.</summary>
    public void MetricMissing(string reason) => _metricMisses.WithLabels(reason).Inc();

    /// <summary>Counts an evaluation run.</summary>
    public void Cycle(string trigger) => _engineCycles.WithLabels(trigger).Inc();

    /// <summary>Records how long one pool evaluation took (what must stay under the evaluation interval).</summary>
    public void CycleDuration(TimeSpan elapsed) => _cycleDuration.Observe(elapsed.TotalSeconds);

    /// <summary>Counts a webhook nudge held to the pool's minimum interval.</summary>
    public void NudgeDeferred() => _nudgesDeferred.Inc();

    /// <summary>Sets how many of a pool's signals are in each state (every state, zeros included).</summary>
    public void PoolSignals(string pool, IEnumerable<Autoscaler.Core.Signals.SignalState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        var counts = states.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        foreach (var state in Enum.GetValues<Autoscaler.Core.Signals.SignalState>())
        {
            _signals.WithLabels(pool, Snake(state.ToString())).Set(counts.GetValueOrDefault(state));
        }
    }

    /// <summary>Sets the pool's cost gauges, or removes them when its bill is unknown (no series rather than a false 0).</summary>
    public void PoolBill(string pool, Api.PoolBill? bill)
    {
        if (bill is null)
        {
            _billed.RemoveLabelled(pool);
            _projected.RemoveLabelled(pool);
            return;
        }

        _billed.WithLabels(pool).Set((double)bill.BilledUsd);
        _projected.WithLabels(pool).Set((double)bill.ProjectedUsd);
    }

    /// <summary>Sets the pool's budget gauge, or removes it when the pool has no budget.</summary>
    public void PoolBudget(string pool, decimal? monthlyUsd)
    {
        if (monthlyUsd is { } b)
        {
            _budget.WithLabels(pool).Set((double)b);
        }
        else
        {
            _budget.RemoveLabelled(pool);
        }
    }

    /// <summary>Sets the number of alerts held.</summary>
    public void AlertsHeld(int count) => _alertsHeld.Set(count);

    /// <summary>Writes every metric in the Prometheus text format.</summary>
    public Task ExportAsync(Stream stream, CancellationToken cancellationToken)
    {
        // The client's budget is read when collected (its observable instruments).
        _listener?.RecordObservableInstruments();
        return Registry.CollectAndExportAsTextAsync(stream, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => _listener?.Dispose();

    private void OnLinodeMeasurement(string instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string endpoint = "", code = "", outcome = "", bucket = "";
        foreach (var (key, v) in tags)
        {
            switch (key)
            {
                case "endpoint":
                    endpoint = v?.ToString() ?? "";
                    break;
                case "status":
                    code = v?.ToString() ?? "";
                    break;
                case "outcome":
                    outcome = v?.ToString() ?? "";
                    break;
                case "bucket":
                    bucket = v?.ToString() ?? "";
                    break;
            }
        }

        // The client names a call "GET /linode/instances/{linodeId}": method and route become labels of their own.
        var space = endpoint.IndexOf(' ', StringComparison.Ordinal);
        var (method, route) = space > 0 ? (endpoint[..space], endpoint[(space + 1)..]) : ("", endpoint);
        switch (instrument)
        {
            case "linode.client.requests":
                _linodeRequests.WithLabels(method, route, code).Inc(value);
                break;
            case "linode.client.retries":
                _linodeRetries.WithLabels(method, route, outcome).Inc(value);
                break;
            case "linode.client.request.duration":
                _linodeDuration.WithLabels(method, route, code).Observe(value);
                break;
            case "linode.client.ratelimit.limit":
                _linodeBucketLimit.WithLabels(bucket).Set(value);
                break;
            case "linode.client.ratelimit.remaining":
                _linodeBucketRemaining.WithLabels(bucket).Set(value);
                break;
            case "linode.client.budget.used":
                _budgetUsed.WithLabels(bucket).Set(value);
                break;
            case "linode.client.budget.limit":
                _budgetLimit.WithLabels(bucket).Set(value);
                break;
            case "linode.client.budget.waits":
                _budgetWaits.WithLabels(bucket).IncTo(value);
                break;
            case "linode.client.budget.throttled":
                _budgetThrottled.WithLabels(bucket).IncTo(value);
                break;
        }
    }

    /// <summary><c>autoscaler_build_info{version,revision,dotnet_version} 1</c>, as Prometheus' own <c>prometheus_build_info</c>.</summary>
    private static void BuildInfo(MetricFactory f)
    {
        var informational = typeof(ServiceMetrics).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var version = plus >= 0 ? informational[..plus] : informational;
        var revision = plus >= 0 ? informational[(plus + 1)..] : "unknown";
        f.CreateGauge("autoscaler_build_info", "Always 1; the labels say which build runs (version, source revision, .NET runtime).",
                "version", "revision", "dotnet_version")
            .WithLabels(version, revision, Environment.Version.ToString()).Set(1);
    }

    /// <summary><c>ScaleUp</c> → <c>scale_up</c>.</summary>
    internal static string Snake(string pascal)
    {
        var sb = new System.Text.StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    sb.Append('_');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}

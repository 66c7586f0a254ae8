using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Signals;
using Autoscaler.Service.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Dashboard;

/// <summary>
/// Samples every pool each <c>dashboard.sample_interval</c> on the <see cref="TimeProvider"/>: the engine's view of
/// its members (serving, booting, draining, desired, bounds, dry run) and the pool's dashboard queries, read from
/// Prometheus concurrently and bounded by the interval so a slow Prometheus never delays the next sample. A pool the
/// engine has not observed yet is not sampled (zeros would draw a drop that never happened). Stops with the host.
/// </summary>
public sealed partial class DashboardSampler : BackgroundService
{
    private readonly AutoscalerConfig _config;
    private readonly ScalingEngine _engine;
    private readonly IMetricSource _metrics;
    private readonly DashboardHistory _history;
    private readonly TimeProvider _time;
    private readonly ILogger<DashboardSampler> _logger;
    private readonly Dictionary<(string Pool, string Metric), string> _lastMissing = [];
    private readonly Dictionary<string, ForecastQueue> _forecasts = new(StringComparer.Ordinal);
    private long _samples;

    /// <summary>Creates the sampler; <paramref name="metrics"/> reads the dashboard queries.</summary>
    public DashboardSampler(AutoscalerConfig config, ScalingEngine engine, IMetricSource metrics, DashboardHistory history, TimeProvider time,
        ILogger<DashboardSampler> logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _engine = engine;
        _metrics = metrics;
        _history = history;
        _time = time;
        _logger = logger;
    }

    /// <summary>Samples taken so far, all pools.</summary>
    public long Samples => Interlocked.Read(ref _samples);

    /// <summary>Takes one sample of every observed pool now.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_engine.Pools.Select(p => SamplePoolAsync(p, cancellationToken))).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(_config.Dashboard.SampleInterval, _time);
        do
        {
            try
            {
                await SampleAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    /// <summary>The latest forecast a forecast signal made for a time at or before <paramref name="now"/>: forecasts are
    /// made ahead, so they are kept until the moment they were made for.</summary>
    private double? ForecastFor(string pool, Autoscaler.Core.Audit.Decision? decision, DateTimeOffset now)
    {
        lock (_forecasts)
        {
            if (!_forecasts.TryGetValue(pool, out var forecasts))
            {
                _forecasts[pool] = forecasts = new ForecastQueue();
            }

            var queue = forecasts.Ahead;
            var rec = decision?.Recommendations.FirstOrDefault(r => r.Inputs.ContainsKey("forecast_for"));
            if (rec is not null
                && DateTimeOffset.TryParse(rec.Inputs["forecast_for"], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
                && double.TryParse(rec.Inputs["forecast_load"], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var load)
                && (queue.Count == 0 || at > queue.Last().For)
                && (forecasts.Current is not { } c || at > c.For))
            {
                queue.Enqueue((at, load));
            }

            while (queue.Count > 0 && queue.Peek().For <= now)
            {
                forecasts.Current = queue.Dequeue();
            }

            return forecasts.Current?.Load;
        }
    }

    private sealed class ForecastQueue
    {
        public Queue<(DateTimeOffset For, double Load)> Ahead { get; } = new();

        public (DateTimeOffset For, double Load)? Current { get; set; }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task SamplePoolAsync(string pool, CancellationToken ct)
    {
        var status = _engine.GetStatus(pool);
        if (status.View is not { } view)
        {
            return;
        }

        var config = _config.FindPool(pool)!;
        var missing = new Dictionary<string, string>(StringComparer.Ordinal);
        double?[] values = [null, null, null];
        if (config.Dashboard is { } dash)
        {
            // Each query gets at most one interval (bounded to 1..10 s): the next sample must not wait on this one.
            var timeout = TimeSpan.FromTicks(Math.Clamp(_config.Dashboard.SampleInterval.Ticks, TimeSpan.TicksPerSecond, 10 * TimeSpan.TicksPerSecond));
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            var queries = new (string Name, string? Query)[] { ("requests", dash.Requests), ("cpu", dash.Cpu), ("latency_p95", dash.LatencyP95) };
            var readings = await Task.WhenAll(queries.Select(q => ReadAsync(pool, dash.Prometheus, q.Query, cts.Token, ct))).ConfigureAwait(false);
            for (var i = 0; i < queries.Length; i++)
            {
                if (queries[i].Query is null)
                {
                    continue;
                }

                if (readings[i].IsMissing)
                {
                    missing[queries[i].Name] = readings[i].MissingReason!;
                    NoteMissing(pool, queries[i].Name, readings[i].MissingReason!);
                }
                else
                {
                    values[i] = readings[i].Value;
                    lock (_lastMissing)
                    {
                        _lastMissing.Remove((pool, queries[i].Name));
                    }
                }
            }
        }

        var decision = status.LastDecision;
        var now = _time.GetUtcNow();
        var added = _history.Get(pool)!.Add(new DashboardSample
        {
            At = now,
            Requests = values[0],
            Forecast = ForecastFor(pool, decision, now),
            Cpu = values[1],
            LatencyP95 = values[2],
            Serving = view.Serving,
            Booting = view.Launching,
            Draining = view.Removing,
            Unhealthy = view.Unhealthy,
            Desired = status.Desired,
            Min = decision?.Min ?? status.Min,
            Max = decision?.Max ?? status.Max,
            DryRun = _engine.IsDryRun(pool),
            Missing = missing.Count > 0 ? missing : null,
        });
        if (added)
        {
            Interlocked.Increment(ref _samples);
        }
    }

    private async Task<MetricReading> ReadAsync(string pool, Uri prometheus, string? query, CancellationToken bounded, CancellationToken stopping)
    {
        if (query is null)
        {
            return MetricReading.Missing("not configured");
        }

        try
        {
            return await _metrics.ReadAsync(new MetricQuery(pool, prometheus, query), bounded).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return MetricReading.Missing("Prometheus did not answer within the sample interval");
        }
    }

    private void NoteMissing(string pool, string metric, string reason)
    {
        // Said once per change of reason, not every sample.
        lock (_lastMissing)
        {
            if (_lastMissing.TryGetValue((pool, metric), out var last) && last == reason)
            {
                return;
            }

            _lastMissing[(pool, metric)] = reason;
        }

        LogMissing(pool, metric, reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "dashboard: pool {Pool}: no {Metric} value: {Reason}")]
    private partial void LogMissing(string pool, string metric, string reason);
}

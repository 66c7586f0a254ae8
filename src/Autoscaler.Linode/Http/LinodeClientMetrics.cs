using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Autoscaler.Linode.Http;

/// <summary>Instruments of the <c>Autoscaler.Linode</c> meter: calls and retries by endpoint template and status.</summary>
internal sealed class LinodeClientMetrics : IDisposable
{
    public const string MeterName = "Autoscaler.Linode";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _retries;
    private readonly Gauge<long> _bucketLimit;
    private readonly Gauge<long> _bucketRemaining;

    public LinodeClientMetrics(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            _meter = new Meter(MeterName);
            _ownsMeter = true;
        }
        else
        {
            _meter = meterFactory.Create(MeterName);
        }

        _requests = _meter.CreateCounter<long>("linode.client.requests", "{request}",
            "HTTP requests sent to the Linode API (each attempt), by endpoint template and status.");
        _duration = _meter.CreateHistogram<double>("linode.client.request.duration", "s",
            "Duration of one attempt.");
        _retries = _meter.CreateCounter<long>("linode.client.retries", "{retry}",
            "Retries scheduled, by endpoint template and the outcome that caused them.");
        _bucketLimit = _meter.CreateGauge<long>("linode.client.ratelimit.limit", "{request}",
            "Requests the rate-limit window of a bucket (endpoint template) allows, as the API last announced.");
        _bucketRemaining = _meter.CreateGauge<long>("linode.client.ratelimit.remaining", "{request}",
            "Requests left in a bucket's window, as the API last announced.");
    }

    /// <summary>Publishes the budget's use per published bucket (read when metrics are collected).</summary>
    public void ObserveBudget(LinodeApiBudget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        _meter.CreateObservableGauge("linode.client.budget.used", () => Each(budget, u => (long)u.Used), "{request}",
            "Our requests in the bucket's last window.");
        _meter.CreateObservableGauge("linode.client.budget.limit", () => Each(budget, u => (long)u.Limit), "{request}",
            "Requests the bucket allows per window (announced, else published).");
        _meter.CreateObservableCounter("linode.client.budget.waits", () => Each(budget, u => u.Waits), "{request}",
            "Requests that waited for budget before being sent.");
        _meter.CreateObservableCounter("linode.client.budget.throttled", () => Each(budget, u => u.Throttled), "{request}",
            "429 answers received.");
    }

    private static IEnumerable<Measurement<long>> Each(LinodeApiBudget budget, Func<ApiBudgetUse, long> value) =>
        budget.Use().Select(u => new Measurement<long>(value(u), new KeyValuePair<string, object?>("bucket", u.Bucket)));

    /// <summary>Records a bucket's announced limit and what remains of it.</summary>
    public void RecordBucket(string bucket, RateLimitBucket state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var tags = new TagList { { "bucket", bucket } };
        _bucketLimit.Record(state.Limit, tags);
        if (state.Remaining is { } remaining)
        {
            _bucketRemaining.Record(remaining, tags);
        }
    }

    /// <param name="status">The status code, or an error name (<c>timeout</c>, <c>transport</c>) when none came.</param>
    public void RecordAttempt(string endpoint, string status, TimeSpan elapsed)
    {
        var tags = new TagList { { "endpoint", endpoint }, { "status", status } };
        _requests.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void RecordRetry(string endpoint, string outcome) =>
        _retries.Add(1, new TagList { { "endpoint", endpoint }, { "outcome", outcome } });

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}

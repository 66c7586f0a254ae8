using Autoscaler.Core.Signals;
using Autoscaler.PrometheusApi;

namespace Autoscaler.Service.Signals;

/// <summary>
/// <see cref="IMetricSource"/> over Prometheus' HTTP API (<c>GET /api/v1/query</c>, an instant query, through
/// <see cref="PrometheusClient"/>). A scalar or an instant vector with exactly one sample is a value; an empty vector,
/// several series, NaN/Inf, another result type, an error status, an HTTP error, a timeout or an unreachable server is
/// a missing reading with the reason. Nothing is thrown into the engine except the caller's own cancellation.
/// </summary>
public sealed class PrometheusMetricSource : IMetricSource
{
    private readonly PrometheusClient _client;
    private readonly TimeSpan _timeout;
    private readonly Action<string>? _onMissing;

    /// <summary>Creates the source.</summary>
    /// <param name="http">Client to use (the caller owns it; its own timeout should be infinite or longer than <paramref name="timeout"/>).</param>
    /// <param name="timeout">Time allowed for one query. Default 10 s.</param>
    /// <param name="onMissing">Called with a short reason key (<c>http_error</c>, <c>timeout</c>, <c>empty</c>, …) on each missing reading, for metrics.</param>
    public PrometheusMetricSource(HttpClient http, TimeSpan? timeout = null, Action<string>? onMissing = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _client = new PrometheusClient(http);
        _timeout = timeout ?? TimeSpan.FromSeconds(10);
        _onMissing = onMissing;
    }

    /// <inheritdoc />
    public async ValueTask<MetricReading> ReadAsync(MetricQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var answer = await _client.QueryAsync(query.Prometheus, query.Query, _timeout, cancellationToken).ConfigureAwait(false);
        if (answer.Error is { } error)
        {
            _onMissing?.Invoke(error.Kind);
            return MetricReading.Missing(error.Message);
        }

        var reading = MetricReading.Of(answer.Value);
        if (reading.IsMissing)
        {
            _onMissing?.Invoke("nan");
        }

        return reading;
    }
}

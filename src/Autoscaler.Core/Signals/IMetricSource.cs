namespace Autoscaler.Core.Signals;

/// <summary>Reads metrics for target tracking. The service implements it with Prometheus' instant query API, the
/// simulator with its model. Expected failures are readings with a reason, not exceptions.</summary>
public interface IMetricSource
{
    /// <summary>Reads <paramref name="query"/> now.</summary>
    ValueTask<MetricReading> ReadAsync(MetricQuery query, CancellationToken cancellationToken);
}

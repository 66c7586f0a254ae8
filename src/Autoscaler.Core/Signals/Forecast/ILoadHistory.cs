namespace Autoscaler.Core.Signals.Forecast;

/// <summary>Reads a pool's past load for the forecast: a range query of the expression the pool is sized on. The
/// service implements it with Prometheus' <c>query_range</c>, the simulator with the trace's past (never its future).
/// Expected failures are a <see cref="LoadHistory"/> with a reason, not exceptions.</summary>
public interface ILoadHistory
{
    /// <summary>The samples of <paramref name="query"/> on its step grid, oldest first.</summary>
    ValueTask<LoadHistory> ReadRangeAsync(LoadHistoryQuery query, CancellationToken cancellationToken);
}

/// <summary>A range of a pool's load to read.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="Prometheus">Prometheus base URL from the signal's configuration.</param>
/// <param name="Query">PromQL giving the pool's load as one series.</param>
/// <param name="From">First sample time (on the step grid).</param>
/// <param name="To">Last sample time.</param>
/// <param name="Step">Distance between samples.</param>
public sealed record LoadHistoryQuery(string Pool, Uri Prometheus, string Query, DateTimeOffset From, DateTimeOffset To, TimeSpan Step);

/// <summary>Samples (time, value) in time order, or why there are none. A step without a sample is a gap, not a zero.</summary>
public sealed record LoadHistory
{
    /// <summary>The samples, oldest first.</summary>
    public IReadOnlyList<(DateTimeOffset At, double Value)> Samples { get; init; } = [];

    /// <summary>Why the history could not be read (Prometheus down, an error); null when it was.</summary>
    public string? MissingReason { get; init; }

    /// <summary>True when the read failed.</summary>
    public bool IsMissing => MissingReason is not null;

    /// <summary>A failed read.</summary>
    public static LoadHistory Missing(string reason) => new() { MissingReason = reason };
}

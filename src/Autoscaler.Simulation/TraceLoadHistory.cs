using Autoscaler.Core.Signals.Forecast;

namespace Autoscaler.Simulation;

/// <summary>
/// The forecast's load history in a backtest: the trace's rows as Prometheus would have recorded the request rate, a
/// sample at each row's end, and only those that ended by the virtual clock's now: a forecast never sees the future.
/// </summary>
internal sealed class TraceLoadHistory(LoadTrace load, TimeProvider clock) : ILoadHistory
{
    public ValueTask<LoadHistory> ReadRangeAsync(LoadHistoryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var now = clock.GetUtcNow();
        var to = query.To < now ? query.To : now;
        var step = load.Step;
        // The row r is the sample at Start + (r + 1) × step.
        var first = (long)Math.Max(0, Math.Ceiling((query.From - load.Start) / step) - 1);
        var last = (long)Math.Min(load.Rates.Count - 1, Math.Floor((to - load.Start) / step) - 1);
        var samples = new List<(DateTimeOffset, double)>((int)Math.Max(0, last - first + 1));
        for (var r = first; r <= last; r++)
        {
            samples.Add((load.Start + (step * (r + 1)), load.Rates[(int)r]));
        }

        return ValueTask.FromResult(new LoadHistory { Samples = samples });
    }
}

using Autoscaler.Service.Storage;

namespace Autoscaler.Service.Dashboard;

/// <summary>
/// The dashboard's history after a restart, read back from the journal: every recorded decision carries the pool's
/// size then (live members, serving, desired, min, max), so the instances chart goes on where it stopped. Load, CPU and
/// latency are not journaled: those charts start again empty.
/// </summary>
internal static class HistoryFromJournal
{
    /// <summary>Adds to <paramref name="history"/> one sample per decision newer than <paramref name="since"/>, oldest
    /// first; returns how many.</summary>
    public static int Restore(DashboardHistory history, IAutoscalerStore store, IEnumerable<string> pools, DateTimeOffset since, int capacity)
    {
        var restored = 0;
        foreach (var pool in pools)
        {
            if (history.Get(pool) is not { } ring)
            {
                continue;
            }

            foreach (var d in store.GetEvents(pool, capacity).Select(e => e.Decision).OfType<Core.Audit.Decision>()
                .Where(d => d.At > since).OrderBy(d => d.At))
            {
                if (ring.Add(new DashboardSample
                {
                    At = d.At,
                    Serving = d.Serving,
                    Booting = Math.Max(0, d.Current - d.Serving),
                    Desired = d.Desired,
                    Min = d.Min,
                    Max = d.Max,
                }))
                {
                    restored++;
                }
            }
        }

        return restored;
    }
}

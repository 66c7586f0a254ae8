using System.Globalization;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Service.Signals;

/// <summary>How a pool's signal stands, for <c>/api/v1/pools</c>, <c>status</c> and <c>/metrics</c>.</summary>
public enum SignalState
{
    /// <summary>Evaluated with data; nothing to say.</summary>
    Ok,

    /// <summary>A matching alert fires (and was re-sent recently enough to be believed).</summary>
    Firing,

    /// <summary>The last evaluation had no usable data (Prometheus unreachable, an error, NaN, an empty result):
    /// the signal holds.</summary>
    MissingData,

    /// <summary>A matching alert was firing but Alertmanager stopped re-sending it: it is treated as resolved.</summary>
    Expired,

    /// <summary>Not evaluated yet.</summary>
    Unknown,
}

/// <summary>One signal of a pool: its state and why.</summary>
/// <param name="Signal">Its name as decisions show it (<c>signals[0] alert PoolCpuHigh (up)</c>).</param>
/// <param name="State">Its state.</param>
/// <param name="Detail">Why, in words (the missing-data reason, the expired alert and since when).</param>
/// <param name="At">When the state was observed (the last decision, or the expired alert's last notification).</param>
public sealed record SignalStatusDto(string Signal, SignalState State, string Detail, DateTimeOffset? At);

/// <summary>
/// Tells, per signal, whether the engine can see: from the pool's last decision (each signal's recommendation says
/// when it had no data) and the alert store (a firing alert that Alertmanager stopped re-sending has expired, which
/// the engine treats as resolved and no recommendation mentions).
/// </summary>
public static class SignalHealth
{
    /// <summary>Every signal of <paramref name="pool"/>, in configuration order.</summary>
    public static IReadOnlyList<SignalStatusDto> Describe(PoolConfig pool, Decision? last, AlertStateStore? alerts, TimeSpan staleAfter)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var result = new List<SignalStatusDto>(pool.Signals.Count);
        foreach (var signal in pool.Signals)
        {
            var name = signal.DisplayName;
            var rec = last?.Recommendations.FirstOrDefault(r => string.Equals(r.Signal, name, StringComparison.Ordinal));
            if (rec is { MissingData: true })
            {
                result.Add(new SignalStatusDto(name, SignalState.MissingData, rec.Reason, last!.At));
                continue;
            }

            if (signal is AlertSignalConfig a && alerts is not null)
            {
                var matcher = new AlertMatcher(a.AlertName, a.Labels);
                var held = alerts.Snapshot().Where(s => s.Status == AlertStatus.Firing && matcher.Matches(s.Labels, pool.Name)).ToArray();
                var live = held.Where(s => !alerts.IsExpired(s)).ToArray();
                if (live.Length > 0)
                {
                    result.Add(new SignalStatusDto(name, SignalState.Firing, rec?.Reason ?? $"{Names(live)} firing", last?.At));
                    continue;
                }

                if (held.Length > 0)
                {
                    var newest = held.MaxBy(s => s.LastSeenAt)!;
                    result.Add(new SignalStatusDto(name, SignalState.Expired,
                        $"{Names(held)} expired: firing since {Time(held.Min(s => s.StartsAt))} but not re-sent by Alertmanager since "
                        + $"{Time(newest.LastSeenAt)} (alerts.repeat_interval × expire_after_repeats = {Span(staleAfter)}); treated as resolved, "
                        + "no scaling from it until Alertmanager sends it again",
                        newest.LastSeenAt));
                    continue;
                }
            }

            result.Add(rec is null
                ? new SignalStatusDto(name, SignalState.Unknown, "not evaluated yet", null)
                : new SignalStatusDto(name, SignalState.Ok, rec.Reason, last!.At));
        }

        return result;
    }

    private static string Names(IEnumerable<AlertState> alerts) =>
        string.Join(", ", alerts.Select(s => $"{s.AlertName ?? "alert"} [{s.Fingerprint}]"));

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Span(TimeSpan t) => t.TotalHours >= 1 && t.TotalHours == Math.Floor(t.TotalHours)
        ? t.TotalHours.ToString("0", CultureInfo.InvariantCulture) + "h"
        : t.TotalMinutes >= 1 && t.TotalMinutes == Math.Floor(t.TotalMinutes)
            ? t.TotalMinutes.ToString("0", CultureInfo.InvariantCulture) + "m"
            : t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}

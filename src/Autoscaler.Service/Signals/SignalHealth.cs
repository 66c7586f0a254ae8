using Autoscaler.Core.Alerts;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Signals;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Signals;

/// <summary>One signal of a pool: its state and why.</summary>
/// <param name="Signal">Its name as decisions show it (<c>signals[0] alert PoolCpuHigh (up)</c>).</param>
/// <param name="State">Its state.</param>
/// <param name="Detail">Why, in words (the missing-data reason, the expired alert and since when).</param>
/// <param name="At">When the state was observed (the last decision, or the expired alert's last notification).</param>
public sealed record SignalStatusDto(string Signal, SignalState State, string Detail, DateTimeOffset? At);

/// <summary>
/// Tells, per signal, whether the engine can see: from the pool's last decision (each signal's recommendation says
/// when it had no data) and what the signal itself knows beyond it (<see cref="SignalConfig.Status"/>: an alert that
/// Alertmanager stopped re-sending has expired, which the engine treats as resolved and no recommendation mentions).
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

            if (signal.Status(new SignalStatusContext(pool.Name, rec, last?.At, alerts, staleAfter)) is { } status)
            {
                result.Add(new SignalStatusDto(name, status.State, status.Detail, status.At));
                continue;
            }

            result.Add(rec is null
                ? new SignalStatusDto(name, SignalState.Unknown, "not evaluated yet", null)
                : new SignalStatusDto(name, SignalState.Ok, rec.Reason, last!.At));
        }

        return result;
    }
}

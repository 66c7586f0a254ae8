using Autoscaler.Common;
using Autoscaler.Core.Audit;

namespace Autoscaler.Core.Engine;

/// <summary>
/// Under hourly billing a new instance costs a whole paid hour however briefly it is needed, so a scale-up that needs
/// new instances buys them only once the need has lasted <c>scale_up.billing_hold</c>: a one-minute burst is served
/// by what the pool has. Capacity the pool already pays for (members kept until their paid hour ends) is taken back
/// at once, and the effective minimum is never held. Pure: the engine keeps the history of what each cycle wanted.
/// </summary>
public static class BillingHold
{
    /// <summary>
    /// <paramref name="decision"/> held to what the need of the last <paramref name="hold"/> justifies:
    /// <paramref name="history"/> is what every cycle wanted (its decision's desired before this hold), oldest first,
    /// this cycle's included. A need counts once the history reaches back <paramref name="hold"/>; the size bought is
    /// the smallest wanted in that window, never less than <paramref name="live"/> (members the pool has) nor the
    /// effective min.
    /// </summary>
    public static Decision Apply(Decision decision, int live, TimeSpan hold, IReadOnlyList<(DateTimeOffset At, int Wanted)> history, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(history);
        if (decision.Action != DecisionAction.ScaleUp || hold <= TimeSpan.Zero || decision.Desired <= live)
        {
            return decision;
        }

        var from = now - hold;
        var covered = history.Count > 0 && history[0].At <= from;
        var lasting = covered ? history.Where(h => h.At >= from).Min(h => h.Wanted) : live;
        var allowed = Math.Max(Math.Max(lasting, live), decision.Min);
        if (allowed >= decision.Desired)
        {
            return decision;
        }

        var since = history.Reverse().TakeWhile(h => h.Wanted > live).LastOrDefault();
        var lasted = since.At == default ? TimeSpan.Zero : now - since.At;
        var why = $"held: new instances are bought for a need that lasts scale_up.billing_hold ({Durations.Format(hold)}), "
            + $"each costs a paid hour; more than {live} wanted for {Durations.Format(lasted)}";
        return ScalingPolicy.CutScaleUp(decision, allowed, SkipReason.BillingHold, $"{decision.Reason}; {why}", $"{decision.Reason}; {allowed} for now, {why}");
    }
}

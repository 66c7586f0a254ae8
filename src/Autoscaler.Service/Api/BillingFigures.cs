using Autoscaler.Core.Billing;
using Autoscaler.Core.Engine;

namespace Autoscaler.Service.Api;

/// <summary>A pool's bill as the billing model computes it at one instant.</summary>
/// <param name="At">When it was computed.</param>
/// <param name="BilledUsd">Billed so far in the calendar month (UTC) of <paramref name="At"/>: the periods started this
/// month by the members alive in the last snapshot and by the lifetimes the ledger holds, each capped.</param>
/// <param name="ProjectedUsd">The month's whole bill if every live member lives to the month's end.</param>
/// <param name="PaidUntil">Per live member id: the end of the period already paid.</param>
public sealed record PoolBill(DateTimeOffset At, decimal BilledUsd, decimal ProjectedUsd, IReadOnlyDictionary<string, DateTimeOffset> PaidUntil);

/// <summary>
/// The live cost figures of a pool (API, dashboard, /metrics, status) from the billing model only: the snapshot's
/// terms, each member's <c>created</c> (the cloud's, so the figures survive a restart) and the ledger's lifetimes of
/// members deleted this month. No terms (a provider that does not know its prices) means no figures.
/// </summary>
public sealed class BillingFigures(IBillingLedger ledger, TimeProvider time)
{
    /// <summary>The pool's bill now, or null when its terms are unknown or it has not been observed yet.</summary>
    public async ValueTask<PoolBill?> ComputeAsync(PoolStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (status.View is not { Snapshot.Billing: { } terms } view)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var ended = await ledger.DeletedSinceAsync(status.Pool, HourlyBilling.MonthStart(now), cancellationToken).ConfigureAwait(false);
        return Compute(terms, view.Members.Select(m => m.Member), ended, now);
    }

    /// <summary>The bill of <paramref name="live"/> members under <paramref name="terms"/> plus the
    /// <paramref name="ended"/> lifetimes (each under its own terms) at <paramref name="now"/>.</summary>
    public static PoolBill Compute(BillingTerms terms, IEnumerable<Core.Pools.PoolMember> live, IReadOnlyList<EndedLifetime> ended, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(ended);
        var model = terms.Model;
        // A member the ledger already holds as deleted may still be in a snapshot taken before its delete: it is
        // billed once, as the ended lifetime.
        var gone = ended.Select(l => l.MemberId).ToHashSet(StringComparer.Ordinal);
        var alive = live.Where(m => !gone.Contains(m.Id)).ToArray();
        var lives = alive.Select(m => new Lifetime(m.CreatedAt)).ToArray();
        var billed = model.MonthToDate(lives, now);
        var projected = model.ProjectedMonth(lives, now);
        foreach (var l in ended)
        {
            var life = new[] { new Lifetime(l.Created, l.Deleted) };
            var m = l.Terms.Model;
            billed += m.MonthToDate(life, now);
            projected += m.ProjectedMonth(life, now);
        }

        var paidUntil = alive.ToDictionary(m => m.Id, m => model.PaidUntil(m.CreatedAt, now), StringComparer.Ordinal);
        return new PoolBill(now, billed, projected, paidUntil);
    }
}

using Linode.Emulator.Catalog;

namespace Linode.Emulator.State;

/// <summary>
/// The account's running bill, by Linode's rules (SUBSET.md §13): each instance is billed from its create call to its
/// delete call, per started billing period (an hour on Linode: 1 minute costs an hour, 2.5 h cost 3 h) at its type's
/// price in its region, capped at the type's monthly price per calendar month (UTC), powered off or not. Periods are
/// anchored at creation and each is billed in the month in which it starts (Linode does not document the period that
/// straddles midnight of the 1st). Only instances are billed here (NodeBalancers, backups and transfer are not):
/// simpler than Linode, said in the README's emulator section.
/// </summary>
/// <remarks>This is the cloud's own arithmetic, written apart from the autoscaler's billing model on purpose: an
/// end-to-end test holds one against the other.</remarks>
internal sealed class AccountBilling(TimeSpan period)
{
    private readonly List<Lifetime> _ended = [];

    /// <summary>The billing period (1 h on Linode; shorter for demos).</summary>
    public TimeSpan Period { get; } = period > TimeSpan.Zero ? period : TimeSpan.FromHours(1);

    /// <summary>Records a deleted instance's lifetime, from its creation to the delete call.</summary>
    public void Ended(Instance instance, DateTimeOffset deletedAt)
    {
        if (instance.DeleteRequestedAt is not null)
        {
            return;
        }

        instance.DeleteRequestedAt = deletedAt;
        _ended.Add(new Lifetime(instance.Created, deletedAt, instance.Type, instance.Region.Id));
    }

    /// <summary>The current calendar month's charges so far (USD, unrounded): every lifetime
    /// that touched this month, the live ones up to <paramref name="now"/>.</summary>
    public decimal UninvoicedAt(DateTimeOffset now, IEnumerable<Instance> live)
    {
        var monthStart = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var total = 0m;
        foreach (var l in _ended)
        {
            total += Charge(l.Created, l.Deleted, l.Type, l.Region, monthStart, now);
        }

        foreach (var i in live)
        {
            if (i.DeleteRequestedAt is null)
            {
                total += Charge(i.Created, now, i.Type, i.Region.Id, monthStart, now);
            }
        }

        return total;
    }

    private decimal Charge(DateTimeOffset created, DateTimeOffset deleted, LinodeType type, string region, DateTimeOffset monthStart, DateTimeOffset now)
    {
        var monthEnd = monthStart.AddMonths(1);
        if (deleted < monthStart || created >= monthEnd)
        {
            return 0m;
        }

        // Periods started so far (an instance created and deleted in the same instant still started one), and of those
        // the ones that started inside this month.
        var to = deleted > now ? now : deleted;
        var started = Math.Max(1L, CeilDiv((to - created).Ticks, Period.Ticks));
        var before = created >= monthStart ? 0 : Math.Min(started, CeilDiv((monthStart - created).Ticks, Period.Ticks));
        var periods = started - before;
        if (periods <= 0)
        {
            return 0m;
        }

        var (hourly, monthly) = PriceIn(type, region);
        return Math.Min(periods * hourly, monthly);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    // Jakarta and São Paulo are priced 20 % and 40 % above the base list, as GET /linode/types shows them.
    private static (decimal Hourly, decimal Monthly) PriceIn(LinodeType type, string region)
    {
        var factor = region switch { "id-cgk" => 1.2m, "br-gru" => 1.4m, _ => 1m };
        return (decimal.Round((decimal)type.Hourly * factor, 4, MidpointRounding.AwayFromZero),
            decimal.Round((decimal)type.Monthly * factor, 2, MidpointRounding.AwayFromZero));
    }

    private sealed record Lifetime(DateTimeOffset Created, DateTimeOffset Deleted, LinodeType Type, string Region);
}

namespace Autoscaler.Sandbox;

/// <summary>The autoscaler's bill as one side reads it: its month-to-date figure and the paid-until of every live
/// member (null figure when the autoscaler does not know the prices).</summary>
/// <param name="BilledUsd">Month to date, USD.</param>
/// <param name="PaidUntil">Each live member's end of paid period.</param>
public sealed record OurBill(decimal? BilledUsd, IReadOnlyCollection<DateTimeOffset> PaidUntil);

/// <summary>
/// Reads the autoscaler's billed figure and the emulated cloud's <c>balance_uninvoiced</c> at one moment, so that they
/// can be held against each other to the cent. Two things can make honest figures differ by a period: a period that
/// starts between the two reads, and the API's <c>created</c> being whole seconds while the cloud bills from the
/// exact instant (a member's periods start up to a second apart on the two sides). So the reads are retried until the
/// balance is the same before and after ours and no live member's period starts within a margin of them.
/// </summary>
public static class BillCheck
{
    /// <summary>How far from every period start the reads must be.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(1.5);

    /// <summary>Ours and the cloud's, read together (after at most <paramref name="attempts"/> tries, the last
    /// reads whatever they are).</summary>
    public static async Task<(decimal? Ours, decimal Cloud)> ReadAsync(SandboxEmulator cloud, Func<CancellationToken, Task<OurBill>> ours, TimeSpan period,
        TimeProvider? time = null, int attempts = 10, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cloud);
        ArgumentNullException.ThrowIfNull(ours);
        time ??= TimeProvider.System;
        for (var attempt = 1; ; attempt++)
        {
            var before = await cloud.BalanceUninvoicedAsync(cancellationToken);
            var t0 = time.GetUtcNow();
            var bill = await ours(cancellationToken);
            var t1 = time.GetUtcNow();
            var after = await cloud.BalanceUninvoicedAsync(cancellationToken);
            var quiet = before == after && !bill.PaidUntil.Any(p => NearPeriodStart(p, t0, t1, period));
            if (quiet || attempt >= attempts)
            {
                return (bill.BilledUsd, after);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
        }
    }

    /// <summary>Whether a period of a member paid until <paramref name="paidUntil"/> starts within <see cref="Margin"/>
    /// of [<paramref name="from"/>, <paramref name="to"/>] (its periods start at paidUntil + n·period).</summary>
    public static bool NearPeriodStart(DateTimeOffset paidUntil, DateTimeOffset from, DateTimeOffset to, TimeSpan period)
    {
        var sinceStart = ((from - paidUntil).Ticks % period.Ticks + period.Ticks) % period.Ticks;
        return sinceStart < Margin.Ticks || sinceStart > period.Ticks - (to - from).Ticks - Margin.Ticks;
    }
}

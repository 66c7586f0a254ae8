namespace Autoscaler.Core.Billing;

/// <summary>
/// The one billing model every cost figure uses: an instance is billed per started period from its create call to its
/// delete call (a one-minute instance costs a full period, 2.5 periods cost 3), powered on or not, and per calendar
/// month (UTC) never more than the type's monthly cap. The period is an hour on the clouds this models; a demo that
/// compresses time shortens it (say 30 s) and still charges the hourly price per period.
/// </summary>
/// <remarks>
/// <para>Periods are anchored at creation: period <c>j</c> runs [created + j·period, created + (j+1)·period), so the
/// total is always <c>ceil(lifetime / period)</c> and <see cref="PaidUntil"/> is the same arithmetic.</para>
/// <para>Month boundaries (one simplification): a period is billed in the calendar month in which it starts, and each
/// month's charge is <c>min(periods × hourly, monthly)</c>. The cloud's exact rule for the one period that straddles
/// midnight of the 1st is not documented; billing it once, in the month it starts, keeps a lifetime's periods equal to
/// <c>ceil(lifetime / period)</c> (the figure the engine's paid-until reasoning and the oracle's objective use) and
/// differs from splitting the lifetime at the boundary by at most one period per instance per month boundary.</para>
/// </remarks>
public sealed class HourlyBilling
{
    /// <summary>The billing period of hourly clouds.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromHours(1);

    /// <summary>Creates the model; throws when the price is negative or the period not positive.</summary>
    public HourlyBilling(InstancePrice price, TimeSpan? period = null)
    {
        ArgumentNullException.ThrowIfNull(price);
        var errors = price.Validate().ToList();
        var p = period ?? DefaultPeriod;
        if (p <= TimeSpan.Zero)
        {
            errors.Add($"billing period ({p}) is not positive");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(price));
        }

        Price = price;
        Period = p;
    }

    /// <summary>The price per period and the monthly cap.</summary>
    public InstancePrice Price { get; }

    /// <summary>The billing period (an hour unless a demo shortens it).</summary>
    public TimeSpan Period { get; }

    /// <summary>
    /// Periods billed for a life from <paramref name="created"/> to <paramref name="deleted"/>:
    /// <c>ceil(lifetime / period)</c>, at least one. A zero-length life (deleted at the instant of its creation) is
    /// one period: the cloud bills every started hour, and a create call that was accepted has started one.
    /// </summary>
    public long BilledPeriods(DateTimeOffset created, DateTimeOffset deleted)
    {
        var ticks = (deleted - created).Ticks;
        if (ticks < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(deleted), $"deleted ({deleted:O}) is before created ({created:O})");
        }

        return ticks == 0 ? 1 : CeilDiv(ticks, Period.Ticks);
    }

    /// <summary>
    /// The end of the period already paid at <paramref name="now"/>: the smallest <c>created + k·period ≥ now</c> with
    /// k ≥ 1 (at <c>now == created</c> that is <c>created + period</c>). Deleting at any instant up to it costs nothing
    /// more; deleting after it starts a new period. A <paramref name="now"/> before <paramref name="created"/> (clock
    /// skew between the cloud and us) gives the end of the first period.
    /// </summary>
    public DateTimeOffset PaidUntil(DateTimeOffset created, DateTimeOffset now)
    {
        var periods = now <= created ? 1 : BilledPeriods(created, now);
        return created + TimeSpan.FromTicks(periods * Period.Ticks);
    }

    /// <summary>The charge of each calendar month (UTC) in which a period of the life started, oldest first.</summary>
    public IReadOnlyList<MonthCharge> Charges(DateTimeOffset created, DateTimeOffset deleted)
    {
        var periods = BilledPeriods(created, deleted);
        var lastStart = created + TimeSpan.FromTicks((periods - 1) * Period.Ticks);
        var charges = new List<MonthCharge>();
        for (var month = MonthStart(created); month <= lastStart; month = month.AddMonths(1))
        {
            var n = PeriodsStartedIn(created, periods, month, month.AddMonths(1));
            if (n > 0)
            {
                charges.Add(new MonthCharge(month, n, Charge(n)));
            }
        }

        return charges;
    }

    /// <summary>USD billed for a life from <paramref name="created"/> to <paramref name="deleted"/>, caps applied.</summary>
    public decimal Cost(DateTimeOffset created, DateTimeOffset deleted)
    {
        var total = 0m;
        foreach (var c in Charges(created, deleted))
        {
            total += c.Charge;
        }

        return total;
    }

    /// <summary>USD billed so far for a life; one still alive is billed up to <paramref name="now"/> (the period in
    /// progress included: it is owed once started).</summary>
    public decimal Cost(Lifetime lifetime, DateTimeOffset now) => Cost(lifetime.Created, lifetime.Deleted ?? Max(now, lifetime.Created));

    /// <summary>USD billed so far for a set of lives (see <see cref="Cost(Lifetime, DateTimeOffset)"/>).</summary>
    public decimal Cost(IEnumerable<Lifetime> lifetimes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(lifetimes);
        var total = 0m;
        foreach (var l in lifetimes)
        {
            total += Cost(l, now);
        }

        return total;
    }

    /// <summary>USD billed so far in the calendar month of <paramref name="now"/>: periods of these lives that started
    /// in that month up to <paramref name="now"/>, each life capped separately.</summary>
    public decimal MonthToDate(IEnumerable<Lifetime> lifetimes, DateTimeOffset now) => InMonth(lifetimes, now, projectAlive: false);

    /// <summary>
    /// The whole bill of the calendar month of <paramref name="now"/> if every instance alive now lives to the month's
    /// end: what is billed so far this month plus what the alive instances will add. The figure a monthly budget is
    /// held against: a scale-up that would push it over the budget breaks the budget.
    /// </summary>
    public decimal ProjectedMonth(IEnumerable<Lifetime> lifetimes, DateTimeOffset now) => InMonth(lifetimes, now, projectAlive: true);

    /// <summary>First instant (UTC) of the calendar month that holds <paramref name="t"/>.</summary>
    public static DateTimeOffset MonthStart(DateTimeOffset t)
    {
        var u = t.UtcDateTime;
        return new DateTimeOffset(u.Year, u.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>USD for <paramref name="periods"/> periods in one month: the hourly price each, at most the cap.</summary>
    public decimal Charge(long periods)
    {
        var hourly = periods * Price.Hourly;
        return Price.Monthly is { } cap && cap < hourly ? cap : hourly;
    }

    private decimal InMonth(IEnumerable<Lifetime> lifetimes, DateTimeOffset now, bool projectAlive)
    {
        ArgumentNullException.ThrowIfNull(lifetimes);
        var month = MonthStart(now);
        var next = month.AddMonths(1);
        var total = 0m;
        foreach (var l in lifetimes)
        {
            var end = l.Deleted ?? (projectAlive ? next : now);
            if (end < l.Created)
            {
                // Created after now (a clock skew) and still alive: its first period is owed all the same.
                end = l.Created;
            }

            var n = PeriodsStartedIn(l.Created, BilledPeriods(l.Created, end), month, next);
            total += Charge(n);
        }

        return total;
    }

    /// <summary>How many of a life's <paramref name="periods"/> periods start in [from, until).</summary>
    private long PeriodsStartedIn(DateTimeOffset created, long periods, DateTimeOffset from, DateTimeOffset until) =>
        Math.Max(0, StartsBefore(created, periods, until) - StartsBefore(created, periods, from));

    private long StartsBefore(DateTimeOffset created, long periods, DateTimeOffset t)
    {
        var ticks = (t - created).Ticks;
        return ticks <= 0 ? 0 : Math.Min(periods, CeilDiv(ticks, Period.Ticks));
    }

    private static long CeilDiv(long a, long b) => (a / b) + (a % b == 0 ? 0 : 1);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}

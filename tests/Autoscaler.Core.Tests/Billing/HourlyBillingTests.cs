using Autoscaler.Core.Billing;

namespace Autoscaler.Core.Tests.Billing;

public sealed class HourlyBillingTests
{
    private static readonly DateTimeOffset T0 = new(2025, 7, 10, 14, 7, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly HourlyBilling Small = new(new InstancePrice(0.0075m, 5m));

    [Theory]
    [InlineData(1, 1)] // a one-minute instance costs a full hour
    [InlineData(59, 1)]
    [InlineData(60, 1)]
    [InlineData(61, 2)]
    [InlineData(150, 3)] // 2.5 h cost 3 h
    [InlineData(180, 3)]
    public void BilledPeriods_Lifetime_RoundsUpToWholeHours(int minutes, long expected)
    {
        Assert.Equal(expected, Small.BilledPeriods(T0, T0.AddMinutes(minutes)));
        Assert.Equal(expected * 0.0075m, Small.Cost(T0, T0.AddMinutes(minutes)));
    }

    [Fact]
    public void BilledPeriods_DeletedTheInstantItWasCreated_BillsOnePeriod()
    {
        Assert.Equal(1, Small.BilledPeriods(T0, T0));
        Assert.Equal(0.0075m, Small.Cost(T0, T0));
    }

    [Fact]
    public void BilledPeriods_OneTickPastAnHour_StartsTheNextHour()
    {
        Assert.Equal(2, Small.BilledPeriods(T0, T0 + Hour + TimeSpan.FromTicks(1)));
    }

    [Fact]
    public void BilledPeriods_DeletedBeforeCreated_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Small.BilledPeriods(T0, T0.AddSeconds(-1)));
    }

    [Theory]
    [InlineData(0, 60)] // at creation the first hour is paid
    [InlineData(1, 60)]
    [InlineData(3_599, 60)]
    [InlineData(3_600, 60)] // deleting exactly at the hour costs one hour
    [InlineData(3_601, 120)]
    [InlineData(7_200, 120)]
    [InlineData(-30, 60)] // a clock behind the cloud's created: still the first hour
    public void PaidUntil_Now_IsTheEndOfTheHourAlreadyPaid(int secondsAfterCreation, int expectedMinutes)
    {
        var now = T0.AddSeconds(secondsAfterCreation);

        var paidUntil = Small.PaidUntil(T0, now);

        Assert.Equal(T0.AddMinutes(expectedMinutes), paidUntil);
        if (now >= T0)
        {
            // Deleting at the paid-until instant costs what deleting now does.
            Assert.Equal(Small.BilledPeriods(T0, now), Small.BilledPeriods(T0, paidUntil));
        }
    }

    [Fact]
    public void PaidUntil_DemoPeriodOfThirtySeconds_UsesThatPeriod()
    {
        var demo = new HourlyBilling(new InstancePrice(0.0075m, 5m), TimeSpan.FromSeconds(30));

        Assert.Equal(T0.AddSeconds(90), demo.PaidUntil(T0, T0.AddSeconds(61)));
        Assert.Equal(3, demo.BilledPeriods(T0, T0.AddSeconds(61)));
        Assert.Equal(3 * 0.0075m, demo.Cost(T0, T0.AddSeconds(61)));
    }

    [Fact]
    public void Cost_WholeMonth_PaysTheMonthlyCap()
    {
        var july = new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);

        // 744 hours × 0.0075 = 5.58 > 5.
        Assert.Equal(5m, Small.Cost(july, july.AddMonths(1)));
        // 600 hours × 0.0075 = 4.50 < 5.
        Assert.Equal(4.5m, Small.Cost(july, july.AddHours(600)));
    }

    [Fact]
    public void Cost_AcrossAMonthBoundary_CapsEachMonthSeparately()
    {
        // From July 10 to the end of August: 22 days of July (528 h, $3.96) and all of August (capped at $5).
        var created = new DateTimeOffset(2025, 7, 10, 0, 0, 0, TimeSpan.Zero);
        var deleted = new DateTimeOffset(2025, 9, 1, 0, 0, 0, TimeSpan.Zero);

        var charges = Small.Charges(created, deleted);

        Assert.Equal(
            [
                new MonthCharge(new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero), 528, 3.96m),
                new MonthCharge(new DateTimeOffset(2025, 8, 1, 0, 0, 0, TimeSpan.Zero), 744, 5m),
            ],
            charges);
        Assert.Equal(8.96m, Small.Cost(created, deleted));
    }

    [Fact]
    public void Charges_HourStraddlingMidnightOfTheFirst_IsBilledOnceInTheMonthItStarts()
    {
        var created = new DateTimeOffset(2025, 7, 31, 23, 30, 0, TimeSpan.Zero);

        Assert.Equal([new MonthCharge(new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero), 1, 0.0075m)], Small.Charges(created, created.AddMinutes(50)));
        var twoHours = Small.Charges(created, created.AddMinutes(61));
        Assert.Equal([1L, 1L], twoHours.Select(c => c.Periods));
        Assert.Equal(8, twoHours[1].Month.Month);
    }

    [Fact]
    public void Charges_OffsetTimestamps_UseTheUtcCalendarMonth()
    {
        // 21:00 on July 31 at -04:00 is 01:00 on August 1 UTC.
        var created = new DateTimeOffset(2025, 7, 31, 21, 0, 0, TimeSpan.FromHours(-4));

        Assert.Equal(8, Assert.Single(Small.Charges(created, created.AddMinutes(10))).Month.Month);
    }

    [Fact]
    public void Cost_SetOfLifetimes_BillsTheAliveOnesUpToNow()
    {
        var now = T0.AddMinutes(150);
        Lifetime[] lives = [new(T0, T0.AddMinutes(1)), new(T0, null), new(T0.AddMinutes(149), null)];

        // 1 + 3 + 1 hours.
        Assert.Equal(5 * 0.0075m, Small.Cost(lives, now));
    }

    [Fact]
    public void MonthToDate_LivesInThisAndLastMonth_CountsOnlyHoursStartedThisMonth()
    {
        var now = new DateTimeOffset(2025, 8, 1, 2, 30, 0, TimeSpan.Zero);
        Lifetime[] lives =
        [
            new(new DateTimeOffset(2025, 7, 31, 22, 0, 0, TimeSpan.Zero), null), // hours from 00:00, 01:00, 02:00 in August
            new(new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 7, 2, 0, 0, 0, TimeSpan.Zero)),
        ];

        Assert.Equal(3 * 0.0075m, Small.MonthToDate(lives, now));
    }

    [Fact]
    public void ProjectedMonth_AliveInstances_AreBilledToTheMonthsEndCapped()
    {
        var now = new DateTimeOffset(2025, 8, 20, 0, 0, 0, TimeSpan.Zero);
        Lifetime[] lives =
        [
            new(new DateTimeOffset(2025, 8, 1, 0, 0, 0, TimeSpan.Zero), null), // all of August: capped at 5
            new(new DateTimeOffset(2025, 8, 19, 0, 0, 0, TimeSpan.Zero), null), // Aug 19 to Sep 1: 13 days = 312 h
            new(new DateTimeOffset(2025, 8, 2, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 8, 2, 10, 0, 0, TimeSpan.Zero)), // 10 h
        ];

        Assert.Equal(5m + (312 * 0.0075m) + (10 * 0.0075m), Small.ProjectedMonth(lives, now));
        Assert.Equal((456 * 0.0075m) + (24 * 0.0075m) + (10 * 0.0075m), Small.MonthToDate(lives, now));
    }

    [Fact]
    public void Constructor_NegativePricesAndZeroPeriod_ReportsEveryError()
    {
        var error = Assert.Throws<ArgumentException>(() => new HourlyBilling(new InstancePrice(-1m, -2m), TimeSpan.Zero));

        Assert.Contains("hourly price (-1) is negative", error.Message, StringComparison.Ordinal);
        Assert.Contains("monthly price (-2) is negative", error.Message, StringComparison.Ordinal);
        Assert.Contains("billing period (00:00:00) is not positive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cost_NoMonthlyCap_BillsEveryHour()
    {
        var uncapped = new HourlyBilling(new InstancePrice(0.0075m));
        var july = new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(744 * 0.0075m, uncapped.Cost(july, july.AddMonths(1)));
    }
}

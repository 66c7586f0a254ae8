using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Linode.Emulator.Tests.Api;

/// <summary>GET /account's balance_uninvoiced follows Linode's rules: per started period, from create to the delete
/// call, at the type's regional price, capped at the monthly price per calendar month.</summary>
public sealed class AccountBillingTests
{
    private static readonly DateTimeOffset Start = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Balance_OneMinuteInstance_CostsAFullHour()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.None, time);
        Assert.Equal(0m, await BalanceAsync(h));

        var id = (await h.CreateInstanceAsync(b => b["type"] = "g6-standard-1"))["id"]!.GetValue<long>();
        Assert.Equal(0.018m, await BalanceAsync(h));

        time.Advance(TimeSpan.FromMinutes(1));
        await h.DeleteOkAsync($"linode/instances/{id}");
        time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(0.018m, await BalanceAsync(h));
    }

    [Fact]
    public async Task Balance_TwoAndAHalfHours_CostThreeHours()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.None, time);
        var id = (await h.CreateInstanceAsync(b => b["type"] = "g6-standard-2"))["id"]!.GetValue<long>();

        time.Advance(TimeSpan.FromMinutes(150));
        Assert.Equal(0.108m, await BalanceAsync(h));
        await h.DeleteOkAsync($"linode/instances/{id}");
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(0.108m, await BalanceAsync(h));
    }

    [Fact]
    public async Task Balance_AliveAllMonth_StopsAtTheMonthlyPrice()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.None, time);
        await h.CreateInstanceAsync(b => b["type"] = "g6-standard-1");

        time.Advance(TimeSpan.FromDays(28));
        Assert.Equal(12m, await BalanceAsync(h));
    }

    [Fact]
    public async Task Balance_AcrossMidnightOfTheFirst_BillsEachPeriodInTheMonthItStarts()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 5, 31, 23, 30, 0, TimeSpan.Zero));
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.None, time);
        await h.CreateInstanceAsync(b => b["type"] = "g6-standard-1");

        time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(0.018m, await BalanceAsync(h));

        // June 1, 01:20: the period that started at 23:30 belongs to May, the one of 00:30 to June.
        time.Advance(TimeSpan.FromMinutes(90));
        Assert.Equal(0.018m, await BalanceAsync(h));

        // 01:40: a third period started, in June.
        time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(2 * 0.018m, await BalanceAsync(h));
    }

    [Fact]
    public async Task Balance_PricedRegion_UsesItsRegionPrice()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.None, time);
        await h.CreateInstanceAsync(b =>
        {
            b["type"] = "g6-standard-1";
            b["region"] = "br-gru";
        });

        time.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(2 * 0.0252m, await BalanceAsync(h));
    }

    [Fact]
    public async Task Balance_ShortBillingPeriod_ChargesEachStartedPeriod()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o =>
        {
            o.Delays = EmulatorDelays.None;
            o.BillingPeriod = TimeSpan.FromSeconds(30);
        }, time);
        var id = (await h.CreateInstanceAsync(b => b["type"] = "g6-nanode-1"))["id"]!.GetValue<long>();

        time.Advance(TimeSpan.FromSeconds(75));
        await h.DeleteOkAsync($"linode/instances/{id}");
        Assert.Equal(3 * 0.0075m, await BalanceAsync(h));
    }

    [Fact]
    public void Validate_NonPositiveBillingPeriod_NamesTheSetting()
    {
        var options = new EmulatorOptions { BillingPeriod = TimeSpan.Zero };
        Assert.Contains(options.Validate(), e => e.StartsWith("billing_period:", StringComparison.Ordinal));
    }

    private static async Task<decimal> BalanceAsync(EmulatorHarness h)
    {
        var account = await h.GetOkAsync("account");
        return account["balance_uninvoiced"]!.GetValue<decimal>();
    }
}

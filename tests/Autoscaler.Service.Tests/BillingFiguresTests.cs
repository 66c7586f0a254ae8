using System.Text.Json;
using Autoscaler.Core.Billing;
using Autoscaler.Core.Pools;
using Autoscaler.Service.Api;
using Autoscaler.Service.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Service.Tests;

public sealed class BillingFiguresTests
{
    // Mid-month, so the month's start and end are far from every life below.
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly BillingTerms Terms = new(new InstancePrice(0.015m, 10m), TimeSpan.FromHours(1));

    private static async Task<(AutoscalerHost Host, HttpClient Http, TempDir Dir)> StartAsync()
    {
        var dir = new TempDir();
        var time = new FakeTimeProvider(Now);
        var config = TestConfig.Build(dir, TestConfig.Pool("web", min: 2, max: 2, extra: "    budget: { monthly_usd: 25 }") + "\n" + TestConfig.Pool("api", min: 1, max: 1));
        var host = await AutoscalerHost.StartAsync(config, new AutoscalerServices
        {
            Time = time,
            InstancePools = p => p.Name == "web"
                ? new BilledPool("web", time, Terms, ("1", Now.AddHours(-2.5)), ("2", Now.AddMinutes(-10)))
                : new BilledPool("api", time, null, ("3", Now.AddHours(-1))),
        });
        return (host, new HttpClient { BaseAddress = host.BaseAddress }, dir);
    }

    private static async Task ObservedAsync(AutoscalerHost host) =>
        await Wait.UntilAsync(() => host.Engine.GetStatus("web").View is not null && host.Engine.GetStatus("api").View is not null, "both pools observed");

    [Fact]
    public async Task GetPools_TermsAndKnownCreationTimes_ExactPaidUntilBilledAndProjected()
    {
        var (host, http, dir) = await StartAsync();
        await using var _ = host;
        using var __ = http;
        using var ___ = dir;
        // Ended lives: one that straddles the month's start (only its March period is billed this month), one deleted
        // in February (not this month's bill at all).
        await host.Store.RecordAsync(new EndedLifetime("web", "7", new(2026, 2, 28, 23, 30, 0, TimeSpan.Zero), new(2026, 3, 1, 1, 10, 0, TimeSpan.Zero), Terms), default);
        await host.Store.RecordAsync(new EndedLifetime("web", "8", new(2026, 2, 20, 0, 0, 0, TimeSpan.Zero), new(2026, 2, 21, 0, 0, 0, TimeSpan.Zero), Terms), default);
        await ObservedAsync(host);

        var web = JsonDocument.Parse(await http.GetStringAsync("api/v1/pools/web")).RootElement;
        // 3 periods (2.5 h) + 1 (10 min) + 1 (the ended life's March period) at $0.015.
        Assert.Equal(0.075m, web.GetProperty("billed_cost_usd").GetDecimal());
        // To April 1st: 519 periods from 09:30 and 517 from 11:50 (no cap reached at $10), plus the ended life's one.
        Assert.Equal(7.785m + 7.755m + 0.015m, web.GetProperty("projected_cost_usd").GetDecimal());
        var paid = web.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("paid_until").GetDateTimeOffset());
        Assert.Equal(Now.AddMinutes(30), paid["1"]);
        Assert.Equal(Now.AddMinutes(50), paid["2"]);

        Assert.Equal(25m, web.GetProperty("budget_usd").GetDecimal());
        var api = JsonDocument.Parse(await http.GetStringAsync("api/v1/pools/api")).RootElement;
        Assert.Equal(JsonValueKind.Null, api.GetProperty("billed_cost_usd").ValueKind);
        Assert.Equal(JsonValueKind.Null, api.GetProperty("projected_cost_usd").ValueKind);
        Assert.Equal(JsonValueKind.Null, api.GetProperty("members")[0].GetProperty("paid_until").ValueKind);
    }

    [Fact]
    public async Task Metrics_TermsKnown_BilledAndProjectedGaugesOnlyForThatPool()
    {
        var (host, http, dir) = await StartAsync();
        await using var _ = host;
        using var __ = http;
        using var ___ = dir;
        await ObservedAsync(host);

        var lines = (await http.GetStringAsync("metrics")).Split('\n');
        Assert.Contains("autoscaler_pool_billed_cost_usd{pool=\"web\"} 0.06", lines);
        Assert.Contains("autoscaler_pool_projected_cost_usd{pool=\"web\"} 15.54", lines);
        Assert.Contains("autoscaler_pool_budget_usd{pool=\"web\"} 25", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("autoscaler_pool_budget_usd{pool=\"api\"}", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("autoscaler_pool_billed_cost_usd{pool=\"api\"}", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("autoscaler_pool_projected_cost_usd{pool=\"api\"}", StringComparison.Ordinal));
    }

    [Fact]
    public void Compute_MemberStillInSnapshotButInLedger_BilledOnceAsEnded()
    {
        var created = Now.AddMinutes(-90);
        var member = new PoolMember { Id = "5", Label = "web-5", CreatedAt = created };
        var ended = new EndedLifetime("web", "5", created, Now.AddMinutes(-1), Terms);

        var bill = BillingFigures.Compute(Terms, [member], [ended], Now);

        Assert.Equal(0.030m, bill.BilledUsd);
        Assert.Equal(0.030m, bill.ProjectedUsd);
        Assert.Empty(bill.PaidUntil);
    }
}

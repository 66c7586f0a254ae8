using Autoscaler.Core.Configuration;
using Autoscaler.Core.Tests.Seams;

namespace Autoscaler.Core.Tests.Configuration;

/// <summary><c>scale_down.billing</c>, <c>scale_down.release_margin</c> and <c>budget.monthly_usd</c>.</summary>
public sealed class BillingConfigTests
{
    private static ConfigResult Parse(string extra) => SeamSchemas.Schema.Parse($$"""
        pools:
          web:
            min: 1
            max: 6
            boot_time: 20s
        {{extra}}
            signals: [{ fixed: 3 }]
        """, new Dictionary<string, string>());

    private static string[] Errors(ConfigResult result)
    {
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.Message).ToArray();
    }

    [Fact]
    public void Parse_NoBillingKeys_HourlyWithThreeMinuteMarginAndNoBudget()
    {
        var pool = Parse("").Config!.Pools[0];
        Assert.Equal(BillingMode.Hourly, pool.ScaleDown.Billing);
        Assert.Equal(TimeSpan.FromMinutes(3), pool.ScaleDown.ReleaseMargin);
        Assert.Null(pool.Budget);
    }

    [Fact]
    public void Parse_BillingKeys_ReadAndDescribed()
    {
        var config = Parse("    scale_down: { billing: none, release_margin: 90s }\n    budget: { monthly_usd: 120.5 }").Config!;
        var pool = config.Pools[0];
        Assert.Equal(BillingMode.None, pool.ScaleDown.Billing);
        Assert.Equal(TimeSpan.FromSeconds(90), pool.ScaleDown.ReleaseMargin);
        Assert.Equal(120.5m, pool.Budget!.MonthlyUsd);
        var text = config.Describe();
        Assert.Contains("billing: none, release_margin: 1m30s", text, StringComparison.Ordinal);
        Assert.Contains("budget: { monthly_usd: 120.5 }", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ZeroReleaseMargin_Accepted()
    {
        Assert.Equal(TimeSpan.Zero, Parse("    scale_down: { release_margin: 0s }").Config!.Pools[0].ScaleDown.ReleaseMargin);
    }

    [Fact]
    public void Parse_BadBillingKeys_ReportsEveryErrorWithPoolAndField()
    {
        var errors = Errors(Parse("    scale_down: { billing: daily, release_margin: 3 }\n    budget: { monthly_usd: 0, cap: 2 }"));
        Assert.Contains("pool 'web': scale_down.billing must be hourly or none, got 'daily'", errors);
        Assert.Contains(errors, e => e.StartsWith("pool 'web': scale_down.release_margin must be a duration", StringComparison.Ordinal));
        Assert.Contains("pool 'web': budget.monthly_usd must be > 0 (got 0)", errors);
        Assert.Contains(errors, e => e.Contains("'budget.cap'", StringComparison.Ordinal) || e.Contains("unknown key 'cap'", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_BudgetWithoutMonthlyUsd_NamesTheField()
    {
        Assert.Equal(["pool 'web': budget.monthly_usd is required"], Errors(Parse("    budget: {}")));
    }
}

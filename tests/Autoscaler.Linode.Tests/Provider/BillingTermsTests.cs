using Autoscaler.Core.Billing;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Providers;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Provider;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>The pool's billing terms: the type's price in the pool's region, read once, with the configured period.</summary>
public sealed class BillingTermsTests
{
    [Fact]
    public async Task Snapshot_TypeReadAtSetup_ReportsItsPriceAndThePeriodWithoutAnotherRead()
    {
        await using var h = await ProviderHarness.StartAsync();
        var config = ProviderHarness.PoolConfig();
        await h.CreateNodeBalancerAsync("web-nb", ProviderHarness.Region, 80);
        var pool = await h.Factory(options: new LinodeInstancePoolFactoryOptions { BillingPeriod = TimeSpan.FromSeconds(30) })
            .CreateAsync(config, CancellationToken.None);
        h.Recorder.Clear();

        var snapshot = await pool.SnapshotAsync(CancellationToken.None);

        Assert.Equal(new BillingTerms(new InstancePrice(0.0075m, 5m), TimeSpan.FromSeconds(30)), snapshot.Billing);
        Assert.DoesNotContain(h.Recorder.Requests, r => r.Path.Contains("/linode/types", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Snapshot_RegionWithItsOwnPrice_ReportsTheRegionPrice()
    {
        await using var h = await ProviderHarness.StartAsync();
        var config = ProviderHarness.PoolConfig();
        config = config with { Provider = config.Linode with { Region = "id-cgk" } };
        await h.CreateNodeBalancerAsync("web-nb", "id-cgk", 80);
        var pool = await h.Factory().CreateAsync(config, CancellationToken.None);

        var snapshot = await pool.SnapshotAsync(CancellationToken.None);

        Assert.Equal(new BillingTerms(new InstancePrice(0.009m, 6m), TimeSpan.FromHours(1)), snapshot.Billing);
    }

    [Fact]
    public async Task Snapshot_NoCatalogCheck_ReadsTheTypeOnceAndCachesIt()
    {
        await using var h = await ProviderHarness.StartAsync();
        await h.CreateNodeBalancerAsync("web-nb", ProviderHarness.Region, 80);
        var pool = await h.Factory(options: new LinodeInstancePoolFactoryOptions { CheckCatalog = false })
            .CreateAsync(ProviderHarness.PoolConfig(), CancellationToken.None);

        var first = await pool.SnapshotAsync(CancellationToken.None);
        var second = await pool.SnapshotAsync(CancellationToken.None);

        Assert.Equal(0.0075m, first.Billing!.Price.Hourly);
        Assert.Equal(first.Billing, second.Billing);
        Assert.Single(h.Recorder.Requests, r => r.Path.EndsWith("/linode/types/g6-nanode-1", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_BillingPeriod_ReadDescribedAndValidated()
    {
        var schema = new ConfigSchema(new ProviderKinds([new LinodeProvider()]));
        const string Pools = """

            pools:
              web: { min: 1, max: 2, region: us-east, type: g6-nanode-1, image: linode/debian12, nodebalancer: { label: nb, port: 80 } }
            """;
        var env = new Dictionary<string, string>();

        var ok = schema.Parse("linode: { token: t, billing_period: 30s }" + Pools, env);
        var byDefault = schema.Parse("linode: { token: t }" + Pools, env);
        var bad = schema.Parse("linode: { token: t, billing_period: 0s }" + Pools, env);

        Assert.Empty(ok.Errors.Select(e => e.Message));
        Assert.Equal(TimeSpan.FromSeconds(30), ok.Config!.Linode!.BillingPeriod);
        Assert.Contains("billing_period: 30s", ok.Config!.Describe(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromHours(1), byDefault.Config!.Linode!.BillingPeriod);
        Assert.Equal(["linode.billing_period must be > 0"], bad.Errors.Select(e => e.Message));
    }
}

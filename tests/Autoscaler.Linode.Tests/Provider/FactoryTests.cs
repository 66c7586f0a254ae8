using Autoscaler.Core.Configuration;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Microsoft.Extensions.DependencyInjection;
using PoolNodeBalancer = Autoscaler.Linode.Configuration.NodeBalancerConfig;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>LinodeInstancePoolFactory: NodeBalancer and config resolution by label, id, port and config id, creation
/// when asked, and errors that name the pool.</summary>
public sealed class FactoryTests
{
    [Fact]
    public async Task Create_ByLabel_ResolvesNodeBalancerAndTheConfigOfItsPort()
    {
        await using var h = await ProviderHarness.StartAsync();
        var (nb, configs) = await h.CreateNodeBalancerAsync("web-nb", ProviderHarness.Region, 443, 80);

        var pool = await h.Factory().CreateAsync(ProviderHarness.PoolConfig(), CancellationToken.None);

        Assert.Equal("web", pool.Name);
        Assert.Equal(new NodeBalancerTarget(nb.Id, "web-nb", ProviderHarness.Region, configs[1].Id, 80), pool.Target);
        Assert.Contains(h.Logs.Entries, e => e.EventId.Id == 200 && e.Message.Contains("autoscaler:web", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_ByIdAndConfigId_Resolves()
    {
        await using var h = await ProviderHarness.StartAsync();
        await h.CreateNodeBalancerAsync("other-nb", ProviderHarness.Region, 80);
        var (nb, configs) = await h.CreateNodeBalancerAsync("web-nb", ProviderHarness.Region, 80, 8443);
        var config = ProviderHarness.PoolConfig().WithLinode(l => l with
        {
            NodeBalancer = new PoolNodeBalancer { Id = (int)nb.Id, Port = 8443, ConfigId = (int)configs[1].Id, NodePort = 8080 },
        });

        var pool = await h.Factory().CreateAsync(config, CancellationToken.None);

        Assert.Equal(new NodeBalancerTarget(nb.Id, "web-nb", ProviderHarness.Region, configs[1].Id, 8443), pool.Target);
    }

    [Fact]
    public async Task Create_LabelMissingWithCreateIfMissing_CreatesNodeBalancerAndCheckedConfigOnce()
    {
        await using var h = await ProviderHarness.StartAsync();
        var config = ProviderHarness.PoolConfig().WithLinode(l => l with
        {
            NodeBalancer = new PoolNodeBalancer { Label = "fresh-nb", Port = 8088, NodePort = 8080, CreateIfMissing = true },
        });

        var pool = await h.Factory().CreateAsync(config, CancellationToken.None);
        var again = await h.Factory().CreateAsync(config, CancellationToken.None);

        var nb = Assert.Single(await h.Client.NodeBalancers.ListAsync().ToListAsync());
        Assert.Equal(("fresh-nb", ProviderHarness.Region), (nb.Label, nb.Region));
        var created = Assert.Single(await h.Client.NodeBalancers.ListConfigsAsync(nb.Id).ToListAsync());
        Assert.Equal(8088, created.Port);
        Assert.Equal(ConfigProtocol.Http, created.Protocol);
        Assert.Equal(HealthCheck.Http, created.Check);
        Assert.Equal("/health", created.CheckPath);
        Assert.True(created.CheckInterval > created.CheckTimeout);
        Assert.Equal(pool.Target, again.Target);
        Assert.Equal(created.Id, pool.Target.ConfigId);
    }

    [Fact]
    public async Task Create_NodeBalancerExistsWithoutConfigAndCreateIfMissing_AddsTheConfig()
    {
        await using var h = await ProviderHarness.StartAsync();
        var nb = await h.Client.NodeBalancers.CreateAsync(new CreateNodeBalancerRequest { Region = ProviderHarness.Region, Label = "bare-nb" });
        var config = ProviderHarness.PoolConfig().WithLinode(l => l with
        {
            NodeBalancer = new PoolNodeBalancer { Label = "bare-nb", Port = 80, NodePort = 8080, CreateIfMissing = true },
        });

        var pool = await h.Factory().CreateAsync(config, CancellationToken.None);

        Assert.Equal(nb.Id, pool.Target.NodeBalancerId);
        Assert.Equal(80, Assert.Single(await h.Client.NodeBalancers.ListConfigsAsync(nb.Id).ToListAsync()).Port);
    }

    [Fact]
    public async Task CreateAll_EveryKindOfProblem_ReportsEachNamingItsPool()
    {
        await using var h = await ProviderHarness.StartAsync();
        var (nb, configs) = await h.CreateNodeBalancerAsync("web-nb", ProviderHarness.Region, 80, 443);
        var (west, _) = await h.CreateNodeBalancerAsync("west-nb", "us-west", 80);
        var tooBig = Path.Combine(Path.GetTempPath(), $"provider-big-{Guid.NewGuid():N}.yaml");
        await File.WriteAllBytesAsync(tooBig, new byte[70_000]);
        try
        {
            PoolConfig Pool(string name, PoolNodeBalancer balancer) => ProviderHarness.PoolConfig(name).WithLinode(l => l with { NodeBalancer = balancer });
            var pools = new[]
            {
                Pool("byid", new PoolNodeBalancer { Id = 999999, Port = 80, NodePort = 8080 }),
                Pool("bylabel", new PoolNodeBalancer { Label = "missing-nb", Port = 80, NodePort = 8080 }),
                Pool("noport", new PoolNodeBalancer { Label = "web-nb", Port = 8081, NodePort = 8080 }),
                Pool("noconfig", new PoolNodeBalancer { Id = (int)nb.Id, Port = 80, ConfigId = 999999, NodePort = 8080 }),
                Pool("wrongport", new PoolNodeBalancer { Id = (int)nb.Id, Port = 80, ConfigId = (int)configs[1].Id, NodePort = 8080 }),
                Pool("region", new PoolNodeBalancer { Label = "west-nb", Port = 80, NodePort = 8080 }),
                ProviderHarness.PoolConfig("catalog").WithLinode(l => l with { Type = "g6-nonexistent-1", Image = "linode/nonexistent", Region = "xx-nowhere" }),
                ProviderHarness.PoolConfig("userdata").WithLinode(l => l with { UserDataFile = tooBig }),
                ProviderHarness.PoolConfig("fine"),
            };

            var ex = await Assert.ThrowsAsync<LinodePoolSetupException>(() => h.Factory().CreateAllAsync(pools, CancellationToken.None));

            Assert.Equal(
            [
                "pool 'byid': NodeBalancer 999999 does not exist",
                "pool 'bylabel': NodeBalancer 'missing-nb' does not exist (create it, or set nodebalancer.create_if_missing)",
                $"pool 'noport': NodeBalancer 'web-nb' ({nb.Id}) has no config on port 8081",
                $"pool 'noconfig': NodeBalancer 'web-nb' ({nb.Id}) has no config 999999",
                $"pool 'wrongport': config {configs[1].Id} of NodeBalancer 'web-nb' ({nb.Id}) is on port 443, not nodebalancer.port 80",
                $"pool 'region': NodeBalancer 'west-nb' ({west.Id}) is in region 'us-west' but the pool creates instances in 'us-east' (nodes need a private IP of the same region)",
                "pool 'catalog': region 'xx-nowhere' does not exist",
                "pool 'catalog': type 'g6-nonexistent-1' does not exist",
                "pool 'catalog': image 'linode/nonexistent' does not exist",
                $"pool 'catalog': NodeBalancer 'web-nb' ({nb.Id}) is in region 'us-east' but the pool creates instances in 'xx-nowhere' (nodes need a private IP of the same region)",
                $"pool 'userdata': user_data file '{tooBig}' has 70000 bytes; Linode takes at most 16384 (after base64 decoding)",
            ], ex.Errors);
            foreach (var error in ex.Errors)
            {
                Assert.Contains(error, ex.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(tooBig);
        }
    }

    [Fact]
    public async Task Create_OnePoolWithMissingNodeBalancer_ThrowsWithThatMessage()
    {
        await using var h = await ProviderHarness.StartAsync();

        var ex = await Assert.ThrowsAsync<LinodePoolSetupException>(() => h.Factory().CreateAsync(ProviderHarness.PoolConfig(), CancellationToken.None));

        Assert.Equal("pool 'web': NodeBalancer 'web-nb' does not exist (create it, or set nodebalancer.create_if_missing)", ex.Message);
    }

    [Fact]
    public async Task AddLinodeInstancePools_OneLimiterSharedByTheFactory()
    {
        await using var h = await ProviderHarness.StartAsync();
        await h.CreateNodeBalancerAsync();
        var services = new ServiceCollection();
        services.AddSingleton<ILinodeClient>(h.Client);
        services.AddLinodeInstancePools();
        await using var provider = services.BuildServiceProvider();

        var factory = provider.GetRequiredService<LinodeInstancePoolFactory>();
        var pools = await factory.CreateAllAsync([ProviderHarness.PoolConfig()], CancellationToken.None);

        Assert.Same(provider.GetRequiredService<InstanceCreateRateLimiter>(), factory.CreateLimiter);
        Assert.Equal("web", Assert.Single(pools).Name);
    }
}

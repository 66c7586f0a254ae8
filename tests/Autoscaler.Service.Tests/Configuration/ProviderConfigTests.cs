using Autoscaler.Core.Providers.Virtual;
using Autoscaler.Core.Configuration;
using Autoscaler.Linode.Configuration;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Configuration;

/// <summary>The shipped provider registry: <c>linode</c> by default or by name, the in-memory <c>virtual</c> cloud,
/// and the host building each pool through the provider it names.</summary>
public sealed class ProviderConfigTests
{
    private const string LinodePool = "region: us-east\n    type: g6-standard-1\n    image: linode/debian12\n    nodebalancer: { label: web-nb, port: 80 }";

    private static ConfigResult Parse(string top, string pool) => ServiceSchema.Parse($$"""
        {{top}}
        pools:
          web:
            min: 1
            max: 3
            {{pool}}
        """, new Dictionary<string, string>());

    [Fact]
    public void Parse_ProviderLinodeNamed_SameAsTheDefault()
    {
        var named = Parse("linode: { token: t }", "provider: linode\n    " + LinodePool);
        var implicitly = Parse("linode: { token: t }", LinodePool);

        Assert.True(named.IsValid, string.Join("\n", named.Errors));
        Assert.True(implicitly.IsValid, string.Join("\n", implicitly.Errors));
        Assert.Equal(implicitly.Config.Describe(), named.Config.Describe());
        Assert.Equal("autoscaler:web", named.Config.Pools[0].EffectivePoolTag);
        Assert.Contains("    provider: linode\n    region: us-east\n", named.Config.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownProvider_ErrorNamesTheKnownProviders()
    {
        // No linode section either: only a provider a pool uses needs its account settings.
        var result = Parse("", "provider: aws\n    region: us-east-1");

        Assert.Equal(["pool 'web': provider 'aws' is unknown (known: linode, virtual)"], result.Errors.Select(e => e.Message));
    }

    [Fact]
    public void Parse_VirtualPools_NeedNoLinodeSectionAndRefuseLinodeKeys()
    {
        var ok = Parse("", "provider: virtual\n    boot_time: 5s");
        var linodeKey = Parse("", "provider: virtual\n    region: us-east");

        Assert.True(ok.IsValid, string.Join("\n", ok.Errors));
        Assert.Equal(TimeSpan.FromSeconds(5), Assert.IsType<VirtualPoolConfig>(ok.Config.Pools[0].Provider).Cloud.BootTime);
        Assert.Null(ok.Config.Linode);
        Assert.Equal(["pool 'web': unknown key 'region'"], linodeKey.Errors.Select(e => e.Message));
    }

    [Fact]
    public async Task StartAsync_VirtualPool_HostBuildsItThroughTheRegistryAndScalesIt()
    {
        using var dir = new TempDir();
        var result = Parse($"listen: 127.0.0.1:0\nengine: {{ evaluation_interval: 1h }}\njournal: {{ path: {dir.File("autoscaler.db")} }}",
            "provider: virtual\n    provision_time: 0s\n    boot_time: 0s\n    health_check_delay: 0s");
        Assert.True(result.IsValid, string.Join("\n", result.Errors));

        await using var host = await AutoscalerHost.StartAsync(result.Config);
        var set = await host.Engine.SetDesiredAsync("web", 2, CancellationToken.None);
        Assert.True(set.Accepted, set.Message);
        await Wait.UntilAsync(async () =>
        {
            await host.Engine.RunPoolCycleAsync("web", CancellationToken.None);
            return host.Engine.GetStatus("web").View?.Serving == 2;
        }, "two virtual instances serving");
    }
}

using Autoscaler.Core.Configuration;
using Autoscaler.Core.Providers;
using Autoscaler.Core.Signals;
using Autoscaler.Core.Providers.Virtual;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Core.Tests.Seams;

/// <summary>The seams hold: a signal kind and a provider that only the tests know are read from YAML, validated, and
/// run through the engine, with nothing outside this folder knowing them.</summary>
public sealed class SeamTests
{
    private static ConfigResult Parse(string pool, string signals = "[{ fixed: 3 }]") => SeamSchemas.Schema.Parse($$"""
        pools:
          web:
            min: 1
            max: 6
        {{pool}}
            signals: {{signals}}
        """, new Dictionary<string, string>());

    private static string[] Errors(ConfigResult result)
    {
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.Message).ToArray();
    }

    [Fact]
    public async Task FixedSignal_RegisteredInOneLine_ParsedFromYamlAndScalesThroughEngine()
    {
        var result = Parse("    boot_time: 20s", "[{ fixed: 4 }]");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var pool = result.Config.Pools.Single();
        var signal = Assert.IsType<FixedSignalConfig>(Assert.Single(pool.Signals));
        Assert.Equal(4, signal.Size);
        Assert.Contains("      - fixed: 4\n", result.Config.Describe(), StringComparison.Ordinal);
        var h = new Harness(pool, cloud: Assert.IsType<VirtualPoolConfig>(pool.Provider).Cloud);
        await h.RunUntilAsync(() => h.Serving == 4, TimeSpan.FromMinutes(5));

        Assert.Equal(4, h.Desired);
        Assert.Contains(h.Log.Decisions, d => d.Recommendations.Any(r => r.Signal == "signals[0] fixed 4" && r.Desired == 4));
    }

    [Fact]
    public async Task ShelfProvider_NamedInYaml_ParsedAndItsPoolScalesThroughEngine()
    {
        var result = Parse("    provider: shelf\n    shelf_size: 5");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var config = result.Config;
        Assert.Equal(5, Assert.IsType<ShelfPoolConfig>(config.Pools[0].Provider).ShelfSize);
        Assert.Contains("    provider: shelf\n    shelf_size: 5\n", config.Describe(), StringComparison.Ordinal);
        var time = new FakeTimeProvider(Pools.Epoch);
        var pools = await SeamSchemas.Schema.Providers.CreatePoolsAsync(config, new ProviderContext { Config = config, Time = time }, CancellationToken.None);
        var shelf = Assert.IsType<ShelfPool>(Assert.Single(pools));
        var h = new Harness(config.Pools[0], shelf, time: time);
        await h.RunUntilAsync(() => shelf.Taken == 3, TimeSpan.FromMinutes(5));

        Assert.Equal(3, h.Desired);
    }

    [Fact]
    public void Parse_UnknownProvider_ErrorNamesTheKnownProviders()
    {
        Assert.Equal(["pool 'web': provider 'gcp' is unknown (known: virtual, shelf)"], Errors(Parse("    provider: gcp\n    zone: x")));
    }

    [Fact]
    public void Parse_AnotherProvidersKey_IsUnknownForThisOne()
    {
        Assert.Equal(["pool 'web': unknown key 'boot_time'"], Errors(Parse("    provider: shelf\n    shelf_size: 2\n    boot_time: 5s")));
    }

    [Fact]
    public void Parse_ProviderValidation_ReportedWithPoolAndField()
    {
        Assert.Equal(["pool 'web': shelf_size must be >= 1"], Errors(Parse("    provider: shelf\n    shelf_size: 0")));
    }

    [Fact]
    public void Parse_UnknownSignalKind_ReportedAsBeforeWithTheRegisteredKinds()
    {
        Assert.Equal(
            ["pool 'web': signals[0] must be exactly one of: an alert signal (alert and/or labels, with action), target_tracking, schedule, forecast, fixed"],
            Errors(Parse("    boot_time: 20s", "[{ bogus: 1 }]")));
    }

    [Fact]
    public void Parse_RegisteredSignalKind_ValidatesItsEntries()
    {
        Assert.Equal(["pool 'web': signals[0].fixed must be >= 0"], Errors(Parse("    boot_time: 20s", "[{ fixed: -1 }]")));
    }

    [Fact]
    public void SignalKinds_SameNameTwice_Refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SignalKinds([new FixedSignalKind(), new FixedSignalKind()]));
        Assert.StartsWith("signal kind 'fixed' is registered twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ProviderKinds_With_ReplacesByNameInPlaceAndKeepsTheDefault()
    {
        var replacement = new VirtualCloudProvider();
        var kinds = new ProviderKinds([new VirtualCloudProvider(), new ShelfProvider()]).With(replacement);

        Assert.Same(replacement, kinds.Default);
        Assert.Equal(["virtual", "shelf"], kinds.All.Select(k => k.Name));
        Assert.Null(kinds.Find("linode"));
    }

    [Fact]
    public async Task ProviderKinds_PoolWithoutProviderSettings_SetupErrorNamesThePool()
    {
        var config = new AutoscalerConfig { Pools = [Pools.Web()] };

        var ex = await Assert.ThrowsAsync<ProviderSetupException>(() =>
            SeamSchemas.Schema.Providers.CreatePoolsAsync(config, new ProviderContext { Config = config }, CancellationToken.None));
        Assert.Equal(["pool 'web': has no provider settings"], ex.Errors);
    }
}

using Autoscaler.Core.Configuration;
using Autoscaler.Core.Providers;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Provider;

namespace Autoscaler.Linode.Tests.Unit;

/// <summary>The configuration keys a real account needs: apply_delay, firewall_label, the user data limit, and the
/// drain warning for a real API address.</summary>
public sealed class RealAccountConfigTests
{
    private static readonly ConfigSchema Schema = new(new ProviderKinds([new LinodeProvider()]));
    private static readonly Dictionary<string, string> Env = [];

    private static string Pool(string extra = "", string drain = "") => $$"""

        pools:
          web: { min: 1, max: 2, region: us-east, type: g6-nanode-1, image: linode/debian12, nodebalancer: { label: nb, port: 80 }{{extra}}{{drain}} }
        """;

    [Fact]
    public void Parse_ApplyDelay_DefaultsBySixtySecondsForRealUrlsAndZeroForLoopback()
    {
        var real = Schema.Parse("linode: { token: t }" + Pool(), Env);
        var local = Schema.Parse("linode: { token: t, url: 'http://127.0.0.1:8081/v4' }" + Pool(), Env);
        var set = Schema.Parse("linode: { token: t, url: 'http://127.0.0.1:8081/v4', apply_delay: 45s }" + Pool(), Env);
        var bad = Schema.Parse("linode: { token: t, apply_delay: 11m }" + Pool(), Env);

        Assert.Equal(TimeSpan.FromSeconds(60), real.Config!.Linode!.ApplyDelay);
        Assert.Equal(TimeSpan.Zero, local.Config!.Linode!.ApplyDelay);
        Assert.Equal(TimeSpan.FromSeconds(45), set.Config!.Linode!.ApplyDelay);
        Assert.Contains("apply_delay: 45s", set.Config!.Describe(), StringComparison.Ordinal);
        Assert.Equal(["linode.apply_delay must be between 0s and 10m"], bad.Errors.Select(e => e.Message));
    }

    [Fact]
    public void Parse_FirewallLabel_ReadAndExclusiveWithFirewallId()
    {
        var ok = Schema.Parse("linode: { token: t }" + Pool(", firewall_label: autoscaler-web"), Env);
        var both = Schema.Parse("linode: { token: t }" + Pool(", firewall_label: autoscaler-web, firewall_id: 7"), Env);
        var bad = Schema.Parse("linode: { token: t }" + Pool(", firewall_label: 'x'"), Env);

        Assert.Equal("autoscaler-web", ((LinodePoolConfig)ok.Config!.Pools[0].Provider!).FirewallLabel);
        Assert.Contains("firewall_label: autoscaler-web", ok.Config!.Describe(), StringComparison.Ordinal);
        Assert.Equal(["pool 'web': firewall_id and firewall_label name the same thing: give one"], both.Errors.Select(e => e.Message));
        Assert.Contains(bad.Errors, e => e.Message.StartsWith("pool 'web': firewall_label 'x' must be 3 to 32", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_UserDataOver16384Bytes_ErrorNamesFieldAndLimit()
    {
        var dir = Directory.CreateTempSubdirectory("linode-userdata-");
        try
        {
            File.WriteAllBytes(Path.Combine(dir.FullName, "big.yaml"), new byte[20_000]);
            File.WriteAllBytes(Path.Combine(dir.FullName, "fits.yaml"), new byte[16_384]);
            var options = new ConfigLoadOptions { BaseDirectory = dir.FullName };

            var big = Schema.Parse("linode: { token: t }" + Pool(", user_data: big.yaml"), Env, options);
            var fits = Schema.Parse("linode: { token: t }" + Pool(", user_data: fits.yaml"), Env, options);

            var error = Assert.Single(big.Errors).Message;
            Assert.StartsWith("pool 'web': user_data file", error, StringComparison.Ordinal);
            Assert.Contains("has 20000 bytes; Linode takes at most 16384", error, StringComparison.Ordinal);
            Assert.Empty(fits.Errors);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Warnings_DrainUnderSixtySecondsOnARealUrl_NamePoolAndField()
    {
        var real = Schema.Parse("linode: { token: t }" + Pool(drain: ", scale_down: { drain: 30s }"), Env);
        var realLong = Schema.Parse("linode: { token: t }" + Pool(drain: ", scale_down: { drain: 60s }"), Env);
        var local = Schema.Parse("linode: { token: t, url: 'http://127.0.0.1:8081/v4' }" + Pool(drain: ", scale_down: { drain: 5s }"), Env);

        var warning = Assert.Single(LinodeConfigWarnings.Of(real.Config!));
        Assert.StartsWith("pool 'web': scale_down.drain (30s) is under 60s for a real Linode API", warning, StringComparison.Ordinal);
        Assert.Empty(LinodeConfigWarnings.Of(realLong.Config!));
        Assert.Empty(LinodeConfigWarnings.Of(local.Config!));
    }

    [Fact]
    public void Warnings_EvaluationIntervalOverThePaginatedGetLimit_NameTheIntervalAndTheFloor()
    {
        var tooFast = Schema.Parse("linode: { token: t }\nengine: { evaluation_interval: 500ms }" + Pool(drain: ", scale_down: { drain: 60s }"), Env);
        var fine = Schema.Parse("linode: { token: t }\nengine: { evaluation_interval: 1s }" + Pool(drain: ", scale_down: { drain: 60s }"), Env);

        var warning = Assert.Single(LinodeConfigWarnings.Of(tooFast.Config!));
        Assert.Equal("engine.evaluation_interval (500ms) with 1 pool(s) makes up to 240 paginated GETs a minute while its pools scale; "
            + "Linode allows 200 per user, so calls will wait for the budget: set evaluation_interval to at least 1s", warning);
        Assert.Empty(LinodeConfigWarnings.Of(fine.Config!));
    }
}

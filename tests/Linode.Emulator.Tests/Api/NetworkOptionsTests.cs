namespace Linode.Emulator.Tests.Api;

public sealed class NetworkOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("emulator-network-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Profiles_ApplyDelay_ZeroWhenFastRandomUpTo60sWhenRealistic()
    {
        Assert.Equal((TimeSpan.Zero, false), (EmulatorDelays.Fast.NodeBalancerApply, EmulatorDelays.Fast.NodeBalancerApplyRandom));
        Assert.Equal((TimeSpan.FromSeconds(60), true), (EmulatorDelays.Realistic.NodeBalancerApply, EmulatorDelays.Realistic.NodeBalancerApplyRandom));
        Assert.Null(new EmulatorOptions().Network.DefaultFirewall);
    }

    [Fact]
    public void Load_NetworkKeys_Mapped()
    {
        var options = EmulatorOptions.Load(Write("""
            delays: { profile: fast, nodebalancer_apply: 45s, nodebalancer_apply_random: false }
            private_loopback_pool: 127.13.0.0/16
            network:
              stackscript_ids: [1001, 1002]
              default_firewall:
                label: acct-default
                inbound_policy: DROP
                outbound_policy: ACCEPT
                inbound:
                  - { action: ACCEPT, protocol: TCP, ports: "8080, 9100", ipv4: [192.168.255.0/24], label: nb-range }
            """));

        Assert.Empty(options.Validate());
        Assert.Equal(TimeSpan.FromSeconds(45), options.Delays.NodeBalancerApply);
        Assert.False(options.Delays.NodeBalancerApplyRandom);
        Assert.Equal("127.13.0.0/16", options.PrivateLoopbackPool);
        Assert.Equal([1001L, 1002L], options.Network.StackScriptIds);
        var fw = options.Network.DefaultFirewall!;
        Assert.Equal(("acct-default", "DROP"), (fw.Label, fw.InboundPolicy));
        var rule = Assert.Single(fw.Inbound);
        Assert.Equal(("8080, 9100", "192.168.255.0/24"), (rule.Ports, Assert.Single(rule.Ipv4)));
    }

    [Fact]
    public void Validate_BadNetworkSettings_EveryOneNamingItsField()
    {
        var options = EmulatorOptions.Load(Write("""
            delays: { nodebalancer_apply: -1s }
            private_loopback_pool: 127.10.0.0/16
            network:
              colour: blue
              default_firewall:
                label: x
                inbound_policy: MAYBE
                inbound:
                  - { action: KEEP, protocol: SCTP, ports: "0-70000" }
            """));

        var errors = options.Validate();
        string[] fields =
        [
            "delays.nodebalancer_apply:", "private_loopback_pool:", "network.colour:", "network.default_firewall.label:",
            "network.default_firewall.inbound_policy:", "network.default_firewall.inbound[0].action:",
            "network.default_firewall.inbound[0].protocol:", "network.default_firewall.inbound[0].ports:",
            "network.default_firewall.inbound[0].ipv4:",
        ];
        foreach (var field in fields)
        {
            Assert.Contains(errors, e => e.StartsWith(field, StringComparison.Ordinal));
        }
    }
}

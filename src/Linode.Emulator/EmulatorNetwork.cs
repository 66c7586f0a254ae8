namespace Linode.Emulator;

/// <summary>Network settings of the emulated account: an account default Cloud Firewall and the StackScripts that
/// exist. See examples/emulator.yaml (<c>network:</c>).</summary>
public sealed class EmulatorNetwork
{
    /// <summary>The account's default firewall, created at start and attached to every new instance whose create
    /// names no <c>firewall_id</c>; null (the default): none.</summary>
    public EmulatorFirewall? DefaultFirewall { get; set; }

    /// <summary>StackScript ids an instance create may name; others are refused (400 on <c>stackscript_id</c>).
    /// Empty (the default): any id, since the emulator has no StackScripts of its own.</summary>
    public List<long> StackScriptIds { get; } = [];

    internal IEnumerable<string> Validate()
    {
        if (DefaultFirewall is not { } fw)
        {
            yield break;
        }
        if (string.IsNullOrWhiteSpace(fw.Label) || fw.Label.Length is < 3 or > 32)
        {
            yield return $"default_firewall.label: must be 3 to 32 characters (is '{fw.Label}')";
        }
        foreach (var (name, value) in new[] { ("inbound_policy", fw.InboundPolicy), ("outbound_policy", fw.OutboundPolicy) })
        {
            if (value is not ("ACCEPT" or "DROP"))
            {
                yield return $"default_firewall.{name}: must be ACCEPT or DROP (is '{value}')";
            }
        }
        for (var i = 0; i < fw.Inbound.Count; i++)
        {
            var rule = fw.Inbound[i];
            var at = $"default_firewall.inbound[{i}]";
            if (rule.Action is not ("ACCEPT" or "DROP"))
            {
                yield return $"{at}.action: must be ACCEPT or DROP (is '{rule.Action}')";
            }
            if (rule.Protocol is not ("TCP" or "UDP" or "ICMP" or "IPENCAP"))
            {
                yield return $"{at}.protocol: must be TCP, UDP, ICMP or IPENCAP (is '{rule.Protocol}')";
            }
            if (Runtime.InboundRule.ParsePorts(rule.Ports) is null)
            {
                yield return $"{at}.ports: '{rule.Ports}' is not a list of ports and ranges, e.g. \"22, 8000-9000\"";
            }
            if (rule.Ipv4.Count == 0)
            {
                yield return $"{at}.ipv4: must list at least one address or network";
            }
            foreach (var address in rule.Ipv4.Where(a => Runtime.InboundRule.ParseNetwork(a) is null))
            {
                yield return $"{at}.ipv4: '{address}' is not an IPv4 address or network";
            }
        }
    }
}

/// <summary>A Cloud Firewall given in the emulator's config.</summary>
public sealed class EmulatorFirewall
{
    public string Label { get; set; } = "account-default";

    /// <summary>What inbound traffic no rule matches gets: ACCEPT or DROP.</summary>
    public string InboundPolicy { get; set; } = "DROP";

    /// <summary>What outbound traffic no rule matches gets (kept for the API; the emulator filters inbound only).</summary>
    public string OutboundPolicy { get; set; } = "ACCEPT";

    /// <summary>Inbound rules, in order; the first match decides.</summary>
    public List<EmulatorFirewallRule> Inbound { get; } = [];
}

/// <summary>One inbound rule of a configured firewall.</summary>
public sealed class EmulatorFirewallRule
{
    public string Action { get; set; } = "ACCEPT";

    public string Protocol { get; set; } = "TCP";

    /// <summary>"22", "80, 443", "8000-9000"; null or empty: every port.</summary>
    public string? Ports { get; set; }

    /// <summary>IPv4 addresses or networks, e.g. 0.0.0.0/0 or 192.168.255.0/24.</summary>
    public List<string> Ipv4 { get; } = [];

    public string? Label { get; set; }
}

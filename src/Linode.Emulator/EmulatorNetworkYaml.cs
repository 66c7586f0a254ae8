using YamlDotNet.RepresentationModel;

namespace Linode.Emulator;

/// <summary>Reads the <c>network:</c> block of the emulator's YAML onto <see cref="EmulatorNetwork"/>.</summary>
internal static class EmulatorNetworkYaml
{
    public static void Read(EmulatorOptionsYaml.Reader r, YamlNode node, string at, EmulatorNetwork network)
    {
        foreach (var (key, value) in r.Entries(node, at))
        {
            var path = at + "." + key;
            switch (key)
            {
                case "default_firewall":
                    network.DefaultFirewall = ReadFirewall(r, value, path);
                    break;
                case "stackscript_ids":
                    foreach (var (text, i) in r.Strings(value, path).Select((t, i) => (t, i)))
                    {
                        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                        {
                            network.StackScriptIds.Add(id);
                        }
                        else
                        {
                            r.Error($"{path}[{i}]", $"'{text}' is not a StackScript id");
                        }
                    }
                    break;
                default:
                    r.Unknown(path);
                    break;
            }
        }
    }

    private static EmulatorFirewall? ReadFirewall(EmulatorOptionsYaml.Reader r, YamlNode node, string at)
    {
        if (node is YamlScalarNode { Value: null or "" or "null" or "~" })
        {
            return null;
        }
        var firewall = new EmulatorFirewall();
        foreach (var (key, value) in r.Entries(node, at))
        {
            var path = at + "." + key;
            switch (key)
            {
                case "label":
                    firewall.Label = r.String(value, path) ?? firewall.Label;
                    break;
                case "inbound_policy":
                    firewall.InboundPolicy = r.String(value, path) ?? firewall.InboundPolicy;
                    break;
                case "outbound_policy":
                    firewall.OutboundPolicy = r.String(value, path) ?? firewall.OutboundPolicy;
                    break;
                case "inbound":
                    if (value is not YamlSequenceNode rules)
                    {
                        r.Error(path, "must be a list of rules");
                        break;
                    }
                    for (var i = 0; i < rules.Children.Count; i++)
                    {
                        firewall.Inbound.Add(ReadRule(r, rules.Children[i], $"{path}[{i}]"));
                    }
                    break;
                default:
                    r.Unknown(path);
                    break;
            }
        }
        return firewall;
    }

    private static EmulatorFirewallRule ReadRule(EmulatorOptionsYaml.Reader r, YamlNode node, string at)
    {
        var rule = new EmulatorFirewallRule();
        foreach (var (key, value) in r.Entries(node, at))
        {
            var path = at + "." + key;
            switch (key)
            {
                case "action":
                    rule.Action = r.String(value, path) ?? rule.Action;
                    break;
                case "protocol":
                    rule.Protocol = r.String(value, path) ?? rule.Protocol;
                    break;
                case "ports":
                    rule.Ports = r.String(value, path);
                    break;
                case "label":
                    rule.Label = r.String(value, path);
                    break;
                case "ipv4":
                    rule.Ipv4.AddRange(r.Strings(value, path));
                    break;
                default:
                    r.Unknown(path);
                    break;
            }
        }
        return rule;
    }
}

using System.Globalization;
using System.Net;

namespace Linode.Emulator.Runtime;

/// <summary>One inbound rule of a Cloud Firewall as the emulated network applies it: TCP only (the balancer carries
/// nothing else), the rule's ports (empty: all) and IPv4 networks.</summary>
/// <param name="Accept">ACCEPT (true) or DROP.</param>
/// <param name="Ports">Port ranges, inclusive; empty means every port.</param>
/// <param name="Networks">Source networks; a plain address is a /32.</param>
public sealed record InboundRule(bool Accept, IReadOnlyList<(int From, int To)> Ports, IReadOnlyList<IPNetwork> Networks)
{
    /// <summary>Whether the rule speaks about TCP traffic from <paramref name="source"/> to <paramref name="port"/>.</summary>
    public bool Matches(IPAddress source, int port) =>
        (Ports.Count == 0 || Ports.Any(p => port >= p.From && port <= p.To))
        && Networks.Any(n => n.Contains(source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source));

    /// <summary>Reads Linode's <c>ports</c> text ("22, 80, 8000-9000"); null when it is not valid.</summary>
    public static IReadOnlyList<(int From, int To)>? ParsePorts(string? ports)
    {
        var result = new List<(int, int)>();
        if (string.IsNullOrWhiteSpace(ports))
        {
            return result;
        }
        foreach (var part in ports.Split(',', StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var fromText = dash < 0 ? part : part[..dash];
            var toText = dash < 0 ? part : part[(dash + 1)..];
            if (!int.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !int.TryParse(toText, NumberStyles.None, CultureInfo.InvariantCulture, out var to)
                || from is < 1 or > 65535 || to is < 1 or > 65535 || to < from)
            {
                return null;
            }
            result.Add((from, to));
        }
        return result;
    }

    /// <summary>Reads an address or network ("192.0.2.0/24", "198.51.100.2/32", "203.0.113.7").</summary>
    public static IPNetwork? ParseNetwork(string text)
    {
        if (IPNetwork.TryParse(text, out var network))
        {
            return network;
        }
        return IPAddress.TryParse(text, out var address)
            ? new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : null;
    }
}

/// <summary>The inbound half of a Cloud Firewall: rules in order, the first match decides, else the policy.</summary>
/// <param name="Label">The firewall's label (for logs and reasons).</param>
/// <param name="AcceptByDefault">inbound_policy ACCEPT (true) or DROP.</param>
/// <param name="Rules">The inbound rules, in order.</param>
public sealed record InboundFilter(string Label, bool AcceptByDefault, IReadOnlyList<InboundRule> Rules)
{
    /// <summary>Whether TCP traffic from <paramref name="source"/> to <paramref name="port"/> gets through.</summary>
    public bool Allows(IPAddress source, int port) =>
        Rules.FirstOrDefault(r => r.Matches(source, port)) is { } rule ? rule.Accept : AcceptByDefault;
}

using System.Net;
using System.Net.Sockets;
using System.Text.Json.Serialization;

namespace Autoscaler.Linode.Models;

/// <summary>An IP address object (<c>/networking/ips</c>, <c>/linode/instances/{id}/ips</c>).</summary>
public sealed record IpAddress
{
    public string Address { get; init; } = "";

    public string? Gateway { get; init; }

    public string? SubnetMask { get; init; }

    public int Prefix { get; init; }

    /// <summary><c>ipv4</c>, <c>ipv6</c>, <c>ipv6/pool</c>, <c>ipv6/range</c>.</summary>
    public string Type { get; init; } = "";

    public bool Public { get; init; }

    public string? Rdns { get; init; }

    public long? LinodeId { get; init; }

    public string? Region { get; init; }

    /// <summary>True for Linode's private IPv4 range, 192.168.128.0/17.</summary>
    public static bool IsLinodePrivateIpv4(string address)
    {
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        return ip.TryWriteBytes(bytes, out _) && bytes[0] == 192 && bytes[1] == 168 && bytes[2] >= 128;
    }
}

/// <summary><c>GET /linode/instances/{id}/ips</c>.</summary>
public sealed record InstanceIps
{
    public InstanceIpv4? Ipv4 { get; init; }

    public InstanceIpv6? Ipv6 { get; init; }
}

public sealed record InstanceIpv4
{
    [JsonPropertyName("public")]
    public IReadOnlyList<IpAddress> PublicAddresses { get; init; } = [];

    [JsonPropertyName("private")]
    public IReadOnlyList<IpAddress> PrivateAddresses { get; init; } = [];

    public IReadOnlyList<IpAddress> Shared { get; init; } = [];

    public IReadOnlyList<IpAddress> Reserved { get; init; } = [];
}

public sealed record InstanceIpv6
{
    public IpAddress? Slaac { get; init; }

    public IpAddress? LinkLocal { get; init; }

    public IReadOnlyList<Ipv6Range> Global { get; init; } = [];
}

/// <summary>An IPv6 range (<c>GET /networking/ipv6/ranges</c>).</summary>
public sealed record Ipv6Range
{
    public string Range { get; init; } = "";

    public int Prefix { get; init; }

    public string? Region { get; init; }

    public string? RouteTarget { get; init; }
}

/// <summary>A Cloud Firewall (<c>GET /networking/firewalls</c>, <c>GET /linode/instances/{id}/firewalls</c>); devices
/// are not read here.</summary>
public sealed record Firewall
{
    public long Id { get; init; }

    public string Label { get; init; } = "";

    /// <summary><c>enabled</c>, <c>disabled</c> or <c>deleted</c>.</summary>
    public string Status { get; init; } = "";

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Its rules, when the answer carries them.</summary>
    public FirewallRules? Rules { get; init; }
}

/// <summary>A firewall's rules: the first inbound rule that matches decides, else <see cref="InboundPolicy"/>.</summary>
public sealed record FirewallRules
{
    /// <summary><c>ACCEPT</c> or <c>DROP</c>.</summary>
    public string InboundPolicy { get; init; } = "ACCEPT";

    public IReadOnlyList<FirewallRule> Inbound { get; init; } = [];

    public string OutboundPolicy { get; init; } = "ACCEPT";

    public IReadOnlyList<FirewallRule> Outbound { get; init; } = [];
}

/// <summary>One firewall rule.</summary>
public sealed record FirewallRule
{
    /// <summary><c>ACCEPT</c> or <c>DROP</c>.</summary>
    public string Action { get; init; } = "";

    /// <summary><c>TCP</c>, <c>UDP</c>, <c>ICMP</c> or <c>IPENCAP</c>.</summary>
    public string Protocol { get; init; } = "";

    /// <summary>e.g. <c>22, 80, 8000-9000</c>; null or empty for every port.</summary>
    public string? Ports { get; init; }

    public FirewallRuleAddresses? Addresses { get; init; }

    public string? Label { get; init; }
}

/// <summary>The networks a rule applies to.</summary>
public sealed record FirewallRuleAddresses
{
    public IReadOnlyList<string>? Ipv4 { get; init; }

    public IReadOnlyList<string>? Ipv6 { get; init; }
}

/// <summary>Body of <c>PUT /networking/firewalls/{id}</c>; null fields are left unchanged.</summary>
public sealed record UpdateFirewallRequest
{
    public string? Label { get; init; }

    public string? Status { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }
}

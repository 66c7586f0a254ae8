using System.Globalization;
using System.Net;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Provider;

/// <summary>Why a member's node stays DOWN: the usual cause on Linode is a Cloud Firewall that drops the NodeBalancer's
/// private range, so the instance's firewalls and their rules are read (one paged GET, asked by Core once per member)
/// and evaluated the way Linode does (first matching inbound rule, else the inbound policy).</summary>
public sealed partial class LinodeInstancePool
{
    /// <summary>The range Linode's NodeBalancers reach their nodes from.</summary>
    public const string NodeBalancerRange = "192.168.255.0/24";

    private static readonly IPNetwork BalancerNetwork = IPNetwork.Parse(NodeBalancerRange);

    /// <inheritdoc/>
    public async Task<string?> DiagnoseAsync(PoolMember member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (member.Node is not { Status: Autoscaler.Core.Pools.NodeStatus.Down } node
            || !long.TryParse(member.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var instanceId))
        {
            return null;
        }

        var colon = node.Address.LastIndexOf(':');
        var port = colon >= 0 && int.TryParse(node.Address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : _linode.NodeBalancer.NodePort;
        await foreach (var firewall in _client.Instances.ListFirewallsAsync(instanceId, cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(firewall.Status, "enabled", StringComparison.Ordinal) && firewall.Rules is { } rules
                && DroppedBy(rules, port) is { } why)
            {
                return $"{member.Label} DOWN behind the NodeBalancer: firewall '{firewall.Label}' (id {firewall.Id}) drops TCP {port} " +
                    $"from the NodeBalancer range {NodeBalancerRange} ({why}); allow it";
            }
        }

        return $"{member.Label} DOWN: no firewall blocks {NodeBalancerRange}:{port}; is the app listening on its private address ({node.Address})?";
    }

    /// <summary>What drops TCP <paramref name="port"/> from the balancer range ("rule 'x'", "inbound policy DROP"), or
    /// null when it gets through: the first inbound rule about TCP, that port and an address of the range decides.</summary>
    internal static string? DroppedBy(FirewallRules rules, int port)
    {
        foreach (var rule in rules.Inbound)
        {
            if (string.Equals(rule.Protocol, "TCP", StringComparison.OrdinalIgnoreCase) && CoversPort(rule.Ports, port)
                && (rule.Addresses?.Ipv4 ?? []).Any(CoversBalancers))
            {
                return string.Equals(rule.Action, "DROP", StringComparison.OrdinalIgnoreCase)
                    ? $"rule '{rule.Label ?? "unlabelled"}'"
                    : null;
            }
        }

        return string.Equals(rules.InboundPolicy, "DROP", StringComparison.OrdinalIgnoreCase)
            ? "inbound policy DROP, no rule accepts it"
            : null;
    }

    private static bool CoversBalancers(string cidr)
    {
        if (!IPNetwork.TryParse(cidr.Contains('/', StringComparison.Ordinal) ? cidr : cidr + "/32", out var network))
        {
            return false;
        }

        // Overlapping networks: one contains the other's base address.
        return network.Contains(BalancerNetwork.BaseAddress) || BalancerNetwork.Contains(network.BaseAddress);
    }

    private static bool CoversPort(string? ports, int port)
    {
        if (string.IsNullOrWhiteSpace(ports))
        {
            return true;
        }

        foreach (var part in ports.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var from = dash < 0 ? part : part[..dash];
            var to = dash < 0 ? part : part[(dash + 1)..];
            if (int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var f)
                && int.TryParse(to, NumberStyles.None, CultureInfo.InvariantCulture, out var t) && port >= f && port <= t)
            {
                return true;
            }
        }

        return false;
    }
}

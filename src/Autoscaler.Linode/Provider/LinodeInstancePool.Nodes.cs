using System.Globalization;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Models;
using ApiNodeMode = Autoscaler.Linode.Models.NodeMode;
using ApiNodeStatus = Autoscaler.Linode.Models.NodeStatus;
using CoreNodeMode = Autoscaler.Core.Pools.NodeMode;
using CoreNodeStatus = Autoscaler.Core.Pools.NodeStatus;

namespace Autoscaler.Linode.Provider;

/// <summary>The NodeBalancer side of the pool: mapping node health and mode, finding a member's node and the orphans,
/// removing nodes, and the private address a node needs.</summary>
public sealed partial class LinodeInstancePool
{
    /// <summary>Maps node health; <c>Unknown</c>/<c>unknown</c> and anything new are <see cref="CoreNodeStatus.Unknown"/>.</summary>
    internal static CoreNodeStatus MapStatus(ApiNodeStatus status) => status switch
    {
        ApiNodeStatus.Up => CoreNodeStatus.Up,
        ApiNodeStatus.Down => CoreNodeStatus.Down,
        _ => CoreNodeStatus.Unknown,
    };

    /// <summary>Maps node mode. <c>backup</c> (only ever set by hand) counts as accept: read as drain it would make the
    /// reconciler remove the member.</summary>
    internal static CoreNodeMode MapMode(ApiNodeMode mode) => mode switch
    {
        ApiNodeMode.Drain => CoreNodeMode.Drain,
        ApiNodeMode.Reject => CoreNodeMode.Reject,
        _ => CoreNodeMode.Accept,
    };

    /// <inheritdoc />
    public async Task UndrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        var instance = await GetMemberInstanceAsync(member, "undrain", cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            LogMemberGone(_config.Name, member.Id, member.Label, "undrain");
            return;
        }

        var nodes = NodeAddress(instance) is { } address
            ? FindNodes(await _view.NodesForWriteAsync(Target, cancellationToken).ConfigureAwait(false), address)
            : [];
        if (nodes.Count == 0)
        {
            LogNoNode(_config.Name, instance.Label, "undrain");
            return;
        }

        foreach (var node in nodes.Where(n => n.Mode == ApiNodeMode.Drain))
        {
            try
            {
                var undrained = await _client.NodeBalancers.UpdateNodeAsync(Target.NodeBalancerId, Target.ConfigId, node.Id,
                    new NodeRequest { Mode = ApiNodeMode.Accept }, cancellationToken).ConfigureAwait(false);
                _view.NodeWritten(Target, undrained);
                LogUndrained(_config.Name, instance.Label, node.Address, node.Id);
            }
            catch (LinodeNotFoundException)
            {
                // Removed meanwhile: the reconciler sees the member without node and joins it again.
                _view.NodeDeleted(Target, node.Id);
            }
        }
    }

    private async Task<IReadOnlyList<OrphanNode>> FindOrphansAsync(List<NodeBalancerNode> nodes, HashSet<string> memberAddresses, CancellationToken ct)
    {
        var candidates = new List<NodeBalancerNode>();
        foreach (var node in nodes.Where(n => !memberAddresses.Contains(n.Address)))
        {
            if (NodeLabels.IsOurs(_config.EffectiveLabelPrefix, node.Label))
            {
                candidates.Add(node);
            }
            else
            {
                bool first;
                lock (_lock)
                {
                    first = _foreignNodesLogged.Add(node.Id);
                }

                if (first)
                {
                    LogForeignNode(_config.Name, node.Id, node.Label, node.Address);
                }
            }
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        // Only when there is a candidate: an address no managed instance holds is looked up in one list of the whole
        // account, which every pool shares for the cycle.
        var orphans = new List<OrphanNode>();
        foreach (var node in candidates)
        {
            if (!await _view.AddressHeldAsync(HostOf(node.Address), ct).ConfigureAwait(false))
            {
                orphans.Add(new OrphanNode(node.Id.ToString(CultureInfo.InvariantCulture), node.Address, node.Label));
            }
        }

        return orphans;
    }

    private LoadBalancerNode ToLoadBalancerNode(NodeBalancerNode node, DateTimeOffset now)
    {
        var status = MapStatus(node.Status);
        var since = now;
        if (_nodeSeen.TryGetValue(node.Id, out var seen) && seen.Status == status)
        {
            since = seen.Since;
        }

        _nodeSeen[node.Id] = (status, since);
        return new LoadBalancerNode(node.Id.ToString(CultureInfo.InvariantCulture), node.Address, status, MapMode(node.Mode), since);
    }

    private string? NodeAddress(Instance instance) => instance.PrivateIpv4 is { } ip ? FormatAddress(ip) : null;

    private string FormatAddress(string privateIp) =>
        string.Create(CultureInfo.InvariantCulture, $"{privateIp}:{_linode.NodeBalancer.NodePort}");

    private static string HostOf(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 ? address[..colon] : address;
    }

    private static List<NodeBalancerNode> FindNodes(IReadOnlyList<NodeBalancerNode> nodes, string address) =>
        [.. nodes.Where(n => string.Equals(n.Address, address, StringComparison.Ordinal))];

    /// <summary>Whether the config's nodes must be read this cycle: a member is on its way (its node comes soon), or a
    /// member's node, as last seen, is not UP yet or is draining.</summary>
    private bool Changing(List<Instance> members)
    {
        if (members.Any(i => MapState(i.Status) is InstanceState.Provisioning or InstanceState.Booting))
        {
            return true;
        }

        if (_view.CachedNodes(Target) is not { } cached)
        {
            return true;
        }

        var addresses = members.Select(NodeAddress).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return cached.Any(n => addresses.Contains(n.Address) && (n.Status != ApiNodeStatus.Up || n.Mode == ApiNodeMode.Drain));
    }

    private async Task DeleteNodeAsync(long nodeId, CancellationToken ct)
    {
        try
        {
            await _client.NodeBalancers.DeleteNodeAsync(Target.NodeBalancerId, Target.ConfigId, nodeId, ct).ConfigureAwait(false);
        }
        catch (LinodeNotFoundException)
        {
            // Already gone: the goal is reached.
        }

        _view.NodeDeleted(Target, nodeId);
    }

    private async Task<string> AllocatePrivateIpv4Async(Instance instance, CancellationToken ct)
    {
        try
        {
            var ip = await _client.Instances.AllocateIpv4Async(instance.Id, isPublic: false, ct).ConfigureAwait(false);
            _view.Put(instance with { Ipv4 = [.. instance.Ipv4, ip.Address] });
            LogPrivateIpAllocated(_config.Name, instance.Label, ip.Address);
            return ip.Address;
        }
        catch (LinodeValidationException)
        {
            // At most one private IPv4 per Linode: an earlier attempt whose answer was lost may have added it.
            var again = await _client.Instances.GetAsync(instance.Id, ct).ConfigureAwait(false);
            if (again.PrivateIpv4 is { } existing)
            {
                return existing;
            }

            throw;
        }
    }
}

using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Provider;

/// <summary>The nodes of each NodeBalancer config the pools use. Linode has no account-wide list of nodes, so each
/// config is one paginated GET: read when something of ours is changing there (the pool says so: a member booting, a
/// member's node not UP or draining), while a change of ours may not be applied yet (the apply delay), when the config's
/// own count of nodes UP and DOWN (one non-paginated GET a pass) differs from the cached list's (a node went DOWN), and
/// otherwise every <see cref="NodeRefresh"/>, staggered so that the configs do not all fall due in the same cycle.</summary>
public sealed partial class LinodeAccountView
{
    // Spreads the first refreshes over the period: the k-th config seen is due after (0.5 + 0.5 × frac(k × φ)) periods.
    private const double GoldenFraction = 0.6180339887498949;

    /// <summary>The config's nodes as last read or written by us; null before the first read.</summary>
    internal IReadOnlyList<NodeBalancerNode>? CachedNodes(NodeBalancerTarget target)
    {
        lock (_lock)
        {
            return _nodes.TryGetValue(Key(target), out var list) ? [.. list.Nodes] : null;
        }
    }

    /// <summary>The config's nodes for a snapshot: read again when <paramref name="changing"/>, when a change of ours
    /// is younger than <paramref name="applyDelay"/>, when <see cref="NodeRefresh"/> has passed, or when never read.</summary>
    internal async Task<IReadOnlyList<NodeBalancerNode>> NodesAsync(NodeBalancerTarget target, bool changing,
        TimeSpan applyDelay, CancellationToken cancellationToken)
    {
        List<NodeBalancerNode>? cached = null;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_nodes.TryGetValue(Key(target), out var list) && !changing && NodeRefresh > TimeSpan.Zero
                && now < list.NextRefresh && now - list.ChangedAt >= applyDelay)
            {
                cached = [.. list.Nodes];
            }
        }

        if (cached is not null && await StillAsCachedAsync(target, cached, cancellationToken).ConfigureAwait(false))
        {
            return cached;
        }

        return await ReadNodesAsync(target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Health must not wait for <see cref="NodeRefresh"/>: a member's process can die while its instance stays
    /// running, and only its node tells. The config itself (one GET in the general bucket, not a page) counts its
    /// nodes UP and DOWN; when those counts differ from the cached list's, the nodes are read now.</summary>
    private async Task<bool> StillAsCachedAsync(NodeBalancerTarget target, List<NodeBalancerNode> cached, CancellationToken ct)
    {
        NodeBalancerConfig config;
        try
        {
            config = await _client.NodeBalancers.GetConfigAsync(target.NodeBalancerId, target.ConfigId, ct).ConfigureAwait(false);
        }
        catch (LinodeException)
        {
            // The read that follows reports what is wrong (or finds the nodes after all).
            return false;
        }

        if (config.NodesStatus is not { } status)
        {
            return false;
        }

        var up = cached.Count(n => n.Status == NodeStatus.Up);
        var down = cached.Count(n => n.Status == NodeStatus.Down);
        return status.Up == up && status.Down == down;
    }

    /// <summary>The config's nodes for a write (join, drain, remove): the cached list when it was read within
    /// <see cref="Freshness"/> (our writes since are in it), else a read.</summary>
    internal async Task<IReadOnlyList<NodeBalancerNode>> NodesForWriteAsync(NodeBalancerTarget target,
        CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(Key(target), out var list) && _time.GetUtcNow() - list.ReadAt < Freshness)
            {
                return [.. list.Nodes];
            }
        }

        return await ReadNodesAsync(target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A node as the API answered our create or update.</summary>
    internal void NodeWritten(NodeBalancerTarget target, NodeBalancerNode node)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(Key(target), out var list))
            {
                list.Nodes.RemoveAll(n => n.Id == node.Id);
                list.Nodes.Add(node);
                list.ChangedAt = _time.GetUtcNow();
            }
        }
    }

    /// <summary>A node we deleted (or found already gone).</summary>
    internal void NodeDeleted(NodeBalancerTarget target, long nodeId)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(Key(target), out var list))
            {
                list.Nodes.RemoveAll(n => n.Id == nodeId);
                list.ChangedAt = _time.GetUtcNow();
            }
        }
    }

    private async Task<IReadOnlyList<NodeBalancerNode>> ReadNodesAsync(NodeBalancerTarget target, CancellationToken ct)
    {
        var started = _time.GetUtcNow();
        var nodes = new List<NodeBalancerNode>();
        await foreach (var node in _client.NodeBalancers.ListNodesAsync(target.NodeBalancerId, target.ConfigId, ct).ConfigureAwait(false))
        {
            nodes.Add(node);
        }

        lock (_lock)
        {
            var key = Key(target);
            var next = started + NodeRefresh;
            if (_nodes.TryGetValue(key, out var list))
            {
                list.Nodes = nodes;
                list.ReadAt = started;
                list.NextRefresh = next;
            }
            else
            {
                var k = ++_nodeListsSeen;
                var fraction = (k * GoldenFraction) % 1.0;
                _nodes[key] = new NodeList
                {
                    Nodes = nodes,
                    ReadAt = started,
                    NextRefresh = started + NodeRefresh * (0.5 + (0.5 * fraction)),
                };
            }
        }

        return [.. nodes];
    }

    private static (long, long) Key(NodeBalancerTarget target) => (target.NodeBalancerId, target.ConfigId);

    private sealed class NodeList
    {
        public required List<NodeBalancerNode> Nodes { get; set; }

        public DateTimeOffset ReadAt { get; set; }

        public DateTimeOffset NextRefresh { get; set; }

        public DateTimeOffset ChangedAt { get; set; } = DateTimeOffset.MinValue;
    }
}

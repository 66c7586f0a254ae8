using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Linode.Emulator.Runtime;

// Backend selection: which node a request or connection goes to (algorithm, stickiness, mode, health).
internal sealed partial class BalancerListener
{
    /// <summary>Picks the backend for a new request (or connection) and reserves an in-flight slot on it.</summary>
    private BalancerNodeState? Choose(IPAddress? client, long? cookieNode, HashSet<long>? exclude, out bool newSticky)
    {
        newSticky = false;
        var spec = Spec;
        var stickiness = spec.Stickiness.ToLowerInvariant();
        lock (_gate)
        {
            var nodes = _nodes;
            var anyAcceptUp = nodes.Any(n => n.Mode == NodeMode.Accept && n.Status == NodeStatus.Up);

            long? stickyId = stickiness switch
            {
                "table" when client is not null && _stickyTable.TryGetValue(client, out var id) => id,
                "http_cookie" => cookieNode,
                _ => null,
            };
            if (stickyId is { } sticky
                && Array.Find(nodes, n => n.NodeId == sticky) is { } remembered
                && exclude?.Contains(remembered.NodeId) != true
                && StickyUsable(remembered, anyAcceptUp))
            {
                remembered.Begin();
                return remembered;
            }

            var pool = nodes.Where(n => n.Mode == NodeMode.Accept && n.Status == NodeStatus.Up
                                        && exclude?.Contains(n.NodeId) != true).ToList();
            if (pool.Count == 0)
            {
                // Backups serve only while no accept node is UP at all (not merely excluded by a retry).
                pool = anyAcceptUp
                    ? []
                    : nodes.Where(n => n.Mode == NodeMode.Backup && n.Status == NodeStatus.Up
                                       && exclude?.Contains(n.NodeId) != true).ToList();
            }

            if (pool.Count == 0)
            {
                return null;
            }

            var chosen = spec.Algorithm.ToLowerInvariant() switch
            {
                "leastconn" => LeastConnections(pool),
                "source" when client is not null => SourceHash(pool, client),
                _ => WeightedRoundRobin(pool),
            };

            if (stickiness == "table" && client is not null)
            {
                if (_stickyTable.Count >= StickyTableLimit)
                {
                    _stickyTable.Clear();
                }

                _stickyTable[client] = chosen.NodeId;
            }

            newSticky = stickiness == "http_cookie" && cookieNode != chosen.NodeId;
            chosen.Begin();
            return chosen;
        }
    }

    // Sticky clients keep a draining node; a backup only while it is in service (no accept node UP).
    private static bool StickyUsable(BalancerNodeState node, bool anyAcceptUp) =>
        node.Status == NodeStatus.Up && node.Mode switch
        {
            NodeMode.Accept or NodeMode.Drain => true,
            NodeMode.Backup => !anyAcceptUp,
            _ => false,
        };

    // nginx's smooth weighted round robin: exact proportions, interleaved (3:1 gives a a b a, not a a a b).
    private static BalancerNodeState WeightedRoundRobin(List<BalancerNodeState> pool)
    {
        long total = 0;
        BalancerNodeState? best = null;
        foreach (var node in pool)
        {
            node.CurrentWeight += node.Weight;
            total += node.Weight;
            if (best is null || node.CurrentWeight > best.CurrentWeight)
            {
                best = node;
            }
        }

        best!.CurrentWeight -= total;
        return best;
    }

    private BalancerNodeState LeastConnections(List<BalancerNodeState> pool)
    {
        var fewest = pool.Min(n => n.InFlight);
        var tied = pool.Where(n => n.InFlight == fewest).ToList();
        var heaviest = tied.Max(n => n.Weight);
        tied = tied.Where(n => n.Weight == heaviest).ToList();
        return tied[(int)(_rr++ % tied.Count)];
    }

    // Weighted rendezvous hashing: a client keeps its node while that node stays in the pool, and only the clients
    // of a node that leaves are moved.
    private static BalancerNodeState SourceHash(List<BalancerNodeState> pool, IPAddress client)
    {
        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        BalancerNodeState? best = null;
        var bestScore = double.NegativeInfinity;
        foreach (var node in pool)
        {
            var hash = Mix(Fnv1a(bytes[..length], node.NodeId));
            var unit = ((hash >> 11) + 0.5) / (1UL << 53);
            var score = node.Weight / -Math.Log(unit);
            if (score > bestScore)
            {
                (best, bestScore) = (node, score);
            }
        }

        return best!;
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> data, long salt)
    {
        var hash = 14695981039346656037UL;
        Span<byte> saltBytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(saltBytes, salt);
        foreach (var b in data)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        foreach (var b in saltBytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}

using System.Net;

namespace Linode.Emulator.Runtime;

/// <summary>Health of a NodeBalancer backend, spelled as the API shows it.</summary>
internal static class NodeStatus
{
    public const string Unknown = "Unknown";
    public const string Up = "UP";
    public const string Down = "DOWN";
}

/// <summary>Node modes of the API.</summary>
internal static class NodeMode
{
    public const string Accept = "accept";
    public const string Reject = "reject";
    public const string Drain = "drain";
    public const string Backup = "backup";
}

/// <summary>Counters of one backend, for tests and diagnostics.</summary>
internal readonly record struct NodeCounters(long Requests, int InFlight, long PassiveFailures, string Status);

/// <summary>One backend of a config: what the API set (mode, weight, address) and what the balancer learnt
/// (health, traffic). The object survives config updates for as long as the node id and backend stay.</summary>
internal sealed class BalancerNodeState(BalancerNode node)
{
    private long _requests;
    private int _inFlight;
    private long _passiveFailures;

    public long NodeId { get; } = node.NodeId;

    public IPEndPoint Backend { get; } = node.Backend;

    public string Mode { get; set; } = node.Mode.ToLowerInvariant();

    public int Weight { get; set; } = Math.Clamp(node.Weight, 1, 255);

    /// <summary>The node's firewall drops the balancer's traffic (see <see cref="BalancerNode.Blocked"/>).</summary>
    public volatile bool Blocked = node.Blocked;

    /// <summary>Written under the config's lock; read without it.</summary>
    public volatile string Status = NodeStatus.Unknown;

    /// <summary>Consecutive failed checks (active or passive); guarded by the config's lock.</summary>
    public int Failures;

    /// <summary>Smooth weighted round-robin state; guarded by the config's lock.</summary>
    public long CurrentWeight;

    public string DestinationPrefix => $"http://{Backend}/";

    public int InFlight => Volatile.Read(ref _inFlight);

    public void Begin()
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
    }

    public void End() => Interlocked.Decrement(ref _inFlight);

    public void CountPassiveFailure() => Interlocked.Increment(ref _passiveFailures);

    public NodeCounters Counters() =>
        new(Interlocked.Read(ref _requests), InFlight, Interlocked.Read(ref _passiveFailures), Status);
}

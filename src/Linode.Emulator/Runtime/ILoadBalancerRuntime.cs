using System.Net;

namespace Linode.Emulator.Runtime;

// The seam between the emulator's API state (what the Linode API says exists) and the machine (what really runs on
// loopback). The API layer decides; the runtimes act. Keeping the seam narrow lets the API layer be tested without
// processes and the runtime without HTTP routes. IInstanceRuntime.cs and ILoadBalancerRuntime.cs are its two halves.

/// <summary>A backend of a NodeBalancer config as the load balancer sees it.</summary>
/// <param name="NodeId">The node's id in the API.</param>
/// <param name="Backend">Where traffic really goes: the instance's loopback address and the node's port.
/// The emulator maps the node's private 192.168.x.y address to this; no packet goes to 192.168.</param>
/// <param name="Mode">accept | reject | drain | backup.</param>
/// <param name="Weight">1..255.</param>
/// <param name="Blocked">The node's Cloud Firewall drops what the NodeBalancer sends it (from 192.168.255.0/24 to
/// the node's port): health checks time out and requests cannot reach it, as with a dropped SYN.</param>
public sealed record BalancerNode(long NodeId, IPEndPoint Backend, string Mode, int Weight, bool Blocked = false);

/// <summary>One NodeBalancer config = one listener on the NodeBalancer's loopback address and the config's port.</summary>
public sealed record BalancerConfigSpec(
    long NodeBalancerId,
    long ConfigId,
    IPAddress ListenAddress,
    int Port,
    string Protocol,
    string Algorithm,
    string Stickiness,
    string Check,
    int CheckIntervalSeconds,
    int CheckTimeoutSeconds,
    int CheckAttempts,
    string CheckPath,
    string CheckBody,
    bool CheckPassive,
    IReadOnlyList<BalancerNode> Nodes)
{
    /// <summary>The NodeBalancer's own Cloud Firewall (its inbound rules decide which clients may connect); null: none.</summary>
    public InboundFilter? ClientFilter { get; init; }
}

/// <summary>Runs NodeBalancer configs as real HTTP load balancers (YARP) with active health checks.</summary>
public interface ILoadBalancerRuntime : IAsyncDisposable
{
    /// <summary>Creates the listener for the config, or updates it in place (algorithm, checks, nodes) when it exists.
    /// A changed port or address rebinds. Node health already known for kept nodes is preserved.</summary>
    Task ApplyAsync(BalancerConfigSpec spec, CancellationToken cancellationToken);

    /// <summary>Stops the config's listener and its health checks.</summary>
    Task RemoveAsync(long configId, CancellationToken cancellationToken);

    /// <summary>The node's health as the API shows it: <c>Unknown</c> until the first checks decide, then
    /// <c>UP</c> or <c>DOWN</c>. Unknown ids give <c>Unknown</c>.</summary>
    string GetNodeStatus(long configId, long nodeId);
}

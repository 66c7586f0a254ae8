using System.Net;

namespace Linode.Emulator.Runtime;

// The seam between the emulator's API state (what the Linode API says exists) and the machine (what really runs on
// loopback). The API layer decides; these act. Keeping the seam narrow lets the API layer be tested without
// processes and the runtime without HTTP routes.

/// <summary>What to run when an emulated instance boots.</summary>
/// <param name="LinodeId">The instance's id in the API.</param>
/// <param name="Label">The instance's label (for logs and the process's environment).</param>
/// <param name="Address">The instance's own loopback address; it is also its public IPv4 in the API.</param>
/// <param name="Image">The image id, e.g. <c>linode/debian12</c>; selects the command.</param>
/// <param name="Vcpus">vCPUs of the instance's type (the Workload's virtual CPU count).</param>
/// <param name="UserData">Decoded <c>metadata.user_data</c>, if any.</param>
/// <param name="Environment">Extra environment for the process.</param>
public sealed record InstanceProcessSpec(
    long LinodeId,
    string Label,
    IPAddress Address,
    string Image,
    int Vcpus,
    string? UserData,
    IReadOnlyDictionary<string, string> Environment);

/// <summary>Runs emulated instances as OS processes bound to their loopback address.</summary>
public interface IInstanceRuntime : IAsyncDisposable
{
    /// <summary>Raised when a started process exits without <see cref="StopAsync"/> having been called
    /// (a crash, or <see cref="Kill"/>). The argument is the Linode id.</summary>
    event Action<long>? ProcessExited;

    /// <summary>Starts the image's command for the instance; returns once the process has been spawned.
    /// Throws <see cref="InstanceBootException"/> when the command cannot be started.</summary>
    Task StartAsync(InstanceProcessSpec spec, CancellationToken cancellationToken);

    /// <summary>Stops the instance's process (SIGTERM, then SIGKILL after a grace period) and waits for it.
    /// A no-op when nothing runs for that id.</summary>
    Task StopAsync(long linodeId, CancellationToken cancellationToken);

    /// <summary>True while a process for the id is alive.</summary>
    bool IsRunning(long linodeId);

    /// <summary>Kills the process abruptly (fault injection). Returns false if none was running.</summary>
    bool Kill(long linodeId);
}

/// <summary>The command could not be started (missing binary, bad image command).</summary>
public sealed class InstanceBootException : Exception
{
    public InstanceBootException() { }
    public InstanceBootException(string message) : base(message) { }
    public InstanceBootException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A backend of a NodeBalancer config as the load balancer sees it.</summary>
/// <param name="NodeId">The node's id in the API.</param>
/// <param name="Backend">Where traffic really goes: the instance's loopback address and the node's port.
/// The emulator maps the node's private 192.168.x.y address to this; no packet goes to 192.168.</param>
/// <param name="Mode">accept | reject | drain | backup.</param>
/// <param name="Weight">1..255.</param>
public sealed record BalancerNode(long NodeId, IPEndPoint Backend, string Mode, int Weight);

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
    IReadOnlyList<BalancerNode> Nodes);

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

using System.Net;

namespace Linode.Emulator.Runtime;

// The seam between the emulator's API state (what the Linode API says exists) and the machine (what really runs on
// loopback). The API layer decides; the runtimes act. Keeping the seam narrow lets the API layer be tested without
// processes and the runtime without HTTP routes. IInstanceRuntime.cs and ILoadBalancerRuntime.cs are its two halves.

/// <summary>What to run when an emulated instance boots.</summary>
/// <param name="LinodeId">The instance's id in the API.</param>
/// <param name="Label">The instance's label (for logs and the process's environment).</param>
/// <param name="Address">The instance's own loopback address; it is also its public IPv4 in the API.</param>
/// <param name="Image">The image id, e.g. <c>linode/debian12</c>; selects the command.</param>
/// <param name="Vcpus">vCPUs of the instance's type (the Workload's virtual CPU count).</param>
/// <param name="UserData">Decoded <c>metadata.user_data</c>, if any.</param>
/// <param name="Environment">Extra environment for the process.</param>
/// <param name="PrivateAddress">The loopback address standing for the instance's private IPv4 (where NodeBalancers
/// connect); null when it has none.</param>
public sealed record InstanceProcessSpec(
    long LinodeId,
    string Label,
    IPAddress Address,
    string Image,
    int Vcpus,
    string? UserData,
    IReadOnlyDictionary<string, string> Environment,
    IPAddress? PrivateAddress = null);

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

namespace Linode.Emulator.Runtime;

/// <summary>What an emulated instance is: an OS process (the default) or listeners inside the emulator.</summary>
public enum InstanceRuntimeKind
{
    /// <summary>Each instance runs its image's command as an OS process (<see cref="ProcessInstanceRuntime"/>):
    /// what the demo shows, and the only kind that runs a user's own command.</summary>
    Process,

    /// <summary>Each instance is the Workload's app and metrics listeners inside the emulator process
    /// (<see cref="LightweightInstanceRuntime"/>): a thousand fit on a 2-core machine.</summary>
    Lightweight,
}

/// <summary>Options of the instance runtimes: <see cref="Kind"/> picks one; the image commands are the process
/// runtime's, <see cref="WorkMs"/> and <see cref="Queue"/> the lightweight one's.</summary>
public sealed class InstanceRuntimeOptions
{
    /// <summary>Image id → command. Images not listed boot <see cref="DefaultCommand"/>.</summary>
    public Dictionary<string, ImageCommand> Images { get; } = new(StringComparer.Ordinal);

    /// <summary>What an image without its own entry boots; null → the sample Workload.</summary>
    public ImageCommand? DefaultCommand { get; set; }

    /// <summary>Path of the Workload program (apphost or .dll); null → found beside the emulator's assembly.</summary>
    public string? WorkloadPath { get; set; }

    /// <summary>How long a stopped process gets between SIGTERM and SIGKILL.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Which runtime runs instances (<c>runtime.kind</c>).</summary>
    public InstanceRuntimeKind Kind { get; set; } = InstanceRuntimeKind.Process;

    /// <summary>Lightweight instances: CPU milliseconds one <c>/</c> request costs (the Workload's
    /// <c>--work-ms</c>; <c>?work_ms=</c> overrides it per request).</summary>
    public int WorkMs { get; set; } = 50;

    /// <summary>Lightweight instances: requests that may wait for a virtual CPU before 503 (the Workload's
    /// <c>--queue</c>).</summary>
    public int Queue { get; set; } = 64;
}

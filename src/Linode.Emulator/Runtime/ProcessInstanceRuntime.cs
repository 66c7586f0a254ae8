using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Runtime;

/// <summary>The command an image boots. Arguments may use the placeholders <c>{address}</c>, <c>{vcpus}</c>,
/// <c>{id}</c>, <c>{label}</c>; <c>{workload}</c> in <see cref="Command"/> is the sample Workload's program.</summary>
public sealed record ImageCommand(string Command, IReadOnlyList<string> Args);

/// <summary>Options of <see cref="ProcessInstanceRuntime"/>.</summary>
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
}

/// <summary>Runs each emulated instance as a real OS process bound to its loopback address.</summary>
public sealed class ProcessInstanceRuntime : IInstanceRuntime
{
    // Placeholder until the runtime lands; the constructor signature is the contract the host wires.
#pragma warning disable CS0067, IDE0052, CA1823
    private readonly InstanceRuntimeOptions _options;
    private readonly ILogger<ProcessInstanceRuntime> _logger;
#pragma warning restore CS0067, IDE0052, CA1823

    public ProcessInstanceRuntime(InstanceRuntimeOptions options, ILogger<ProcessInstanceRuntime> logger)
    {
        _options = options;
        _logger = logger;
    }

#pragma warning disable CS0067
    public event Action<long>? ProcessExited;
#pragma warning restore CS0067

    public Task StartAsync(InstanceProcessSpec spec, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task StopAsync(long linodeId, CancellationToken cancellationToken) => throw new NotImplementedException();

    public bool IsRunning(long linodeId) => throw new NotImplementedException();

    public bool Kill(long linodeId) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging;

namespace Linode.Emulator;

/// <summary>What the emulator runs on. Anything left null gets the real one: the system clock, no logging,
/// <see cref="ProcessInstanceRuntime"/> and <see cref="YarpLoadBalancerRuntime"/>.</summary>
public sealed class EmulatorServices
{
    /// <summary>The clock behind every delay and timestamp (tests pass a FakeTimeProvider).</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>Where the emulator and its runtimes log.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Runs instances. When given, the caller owns it (the host stops the instances it started, but does
    /// not dispose it).</summary>
    public IInstanceRuntime? Instances { get; init; }

    /// <summary>Runs NodeBalancer configs. When given, the caller owns it (the host removes the configs it applied,
    /// but does not dispose it).</summary>
    public ILoadBalancerRuntime? Balancers { get; init; }
}

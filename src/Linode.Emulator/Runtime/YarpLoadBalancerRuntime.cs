using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Runtime;

/// <summary>Runs NodeBalancer configs as YARP listeners with active health checks.</summary>
public sealed class YarpLoadBalancerRuntime : ILoadBalancerRuntime
{
    // Placeholder until the runtime lands; the constructor signature is the contract the host wires.
#pragma warning disable IDE0052, CA1823
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
#pragma warning restore IDE0052, CA1823

    public YarpLoadBalancerRuntime(TimeProvider time, ILoggerFactory loggerFactory)
    {
        _time = time;
        _loggerFactory = loggerFactory;
    }

    public Task ApplyAsync(BalancerConfigSpec spec, CancellationToken cancellationToken) => throw new NotImplementedException();

    public Task RemoveAsync(long configId, CancellationToken cancellationToken) => throw new NotImplementedException();

    public string GetNodeStatus(long configId, long nodeId) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

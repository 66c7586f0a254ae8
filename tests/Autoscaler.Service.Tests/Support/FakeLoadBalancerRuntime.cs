using System.Collections.Concurrent;
using Linode.Emulator.Runtime;

namespace Autoscaler.Service.Tests.Support;

/// <summary>Pretends to run NodeBalancer configs: keeps the applied specs and reports every known node with a fixed
/// status (default <c>UP</c>), so client tests need no listeners.</summary>
public sealed class FakeLoadBalancerRuntime(string nodeStatus = "UP") : ILoadBalancerRuntime
{
    private readonly ConcurrentDictionary<long, BalancerConfigSpec> _configs = new();

    public IReadOnlyDictionary<long, BalancerConfigSpec> Configs => _configs;

    public Task ApplyAsync(BalancerConfigSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _configs[spec.ConfigId] = spec;
        return Task.CompletedTask;
    }

    public Task RemoveAsync(long configId, CancellationToken cancellationToken)
    {
        _configs.TryRemove(configId, out _);
        return Task.CompletedTask;
    }

    public string GetNodeStatus(long configId, long nodeId) =>
        _configs.TryGetValue(configId, out var spec) && spec.Nodes.Any(n => n.NodeId == nodeId) ? nodeStatus : "Unknown";

    public ValueTask DisposeAsync()
    {
        _configs.Clear();
        return ValueTask.CompletedTask;
    }
}

using System.Collections.Concurrent;
using Linode.Emulator.Runtime;

namespace Linode.Emulator.Tests.Api.Fakes;

/// <summary>Records the configs the emulator applies and removes; tests decide what the health checks say.</summary>
public sealed class FakeLoadBalancerRuntime : ILoadBalancerRuntime
{
    private readonly ConcurrentDictionary<(long Config, long Node), string> _statuses = new();
    private readonly ConcurrentDictionary<long, BalancerConfigSpec> _current = new();

    /// <summary>Every spec ApplyAsync was given, in order.</summary>
    public ConcurrentQueue<BalancerConfigSpec> Applied { get; } = new();

    /// <summary>Every config id RemoveAsync was given, in order.</summary>
    public ConcurrentQueue<long> Removed { get; } = new();

    public bool Disposed { get; private set; }

    /// <summary>The last spec applied per config still in place.</summary>
    public IReadOnlyDictionary<long, BalancerConfigSpec> Current => _current;

    public void SetNodeStatus(long configId, long nodeId, string status) => _statuses[(configId, nodeId)] = status;

    public Task ApplyAsync(BalancerConfigSpec spec, CancellationToken cancellationToken)
    {
        _current[spec.ConfigId] = spec;
        Applied.Enqueue(spec);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(long configId, CancellationToken cancellationToken)
    {
        _current.TryRemove(configId, out _);
        Removed.Enqueue(configId);
        return Task.CompletedTask;
    }

    public string GetNodeStatus(long configId, long nodeId) =>
        _statuses.TryGetValue((configId, nodeId), out var status) ? status : "Unknown";

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

using Autoscaler.Core.Providers.Virtual;
using System.Collections.Concurrent;
using Autoscaler.Core.Pools;
using Autoscaler.Simulation;

namespace Autoscaler.Service.Tests.Support;

/// <summary>A <see cref="VirtualCloud"/> that records every call and can hold snapshots until released, to observe
/// what the service does while cloud work is in progress.</summary>
public sealed class GatedPool : IInstancePool
{
    private readonly VirtualCloud _cloud;
    private volatile TaskCompletionSource? _gate;

    public GatedPool(string name, TimeProvider time)
    {
        _cloud = new VirtualCloud(name, time, new VirtualCloudOptions
        {
            ProvisionTime = TimeSpan.FromMilliseconds(10),
            BootTime = TimeSpan.FromMilliseconds(10),
            HealthCheckDelay = TimeSpan.FromMilliseconds(10),
        });
    }

    public VirtualCloud Cloud => _cloud;

    public string Name => _cloud.Name;

    /// <summary>Every call, in order ("snapshot", "launch", …).</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Set when a snapshot is waiting at the gate.</summary>
    public TaskCompletionSource SnapshotWaiting { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Makes the next snapshots wait until <see cref="Open"/>.</summary>
    public void Close()
    {
        SnapshotWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Open() => _gate?.TrySetResult();

    public async Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        Calls.Enqueue("snapshot");
        if (_gate is { } gate)
        {
            SnapshotWaiting.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }

        return await _cloud.SnapshotAsync(cancellationToken);
    }

    public Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        Calls.Enqueue("launch");
        return _cloud.LaunchAsync(request, cancellationToken);
    }

    public Task JoinAsync(PoolMember member, CancellationToken cancellationToken)
    {
        Calls.Enqueue("join");
        return _cloud.JoinAsync(member, cancellationToken);
    }

    public Task DrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        Calls.Enqueue("drain");
        return _cloud.DrainAsync(member, cancellationToken);
    }

    public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        Calls.Enqueue("undrain");
        return _cloud.UndrainAsync(member, cancellationToken);
    }

    public Task RemoveAsync(PoolMember member, CancellationToken cancellationToken)
    {
        Calls.Enqueue("remove");
        return _cloud.RemoveAsync(member, cancellationToken);
    }

    public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken)
    {
        Calls.Enqueue("orphan");
        return _cloud.RemoveOrphanNodeAsync(node, cancellationToken);
    }
}

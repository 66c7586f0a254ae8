using System.Collections.Concurrent;
using Linode.Emulator.Runtime;

namespace Autoscaler.Service.Tests.Support;

/// <summary>Pretends to run instances: remembers which ids are "running" and starts nothing, so client tests need no
/// processes.</summary>
public sealed class FakeInstanceRuntime : IInstanceRuntime
{
    private readonly ConcurrentDictionary<long, InstanceProcessSpec> _running = new();

    public event Action<long>? ProcessExited;

    public IReadOnlyCollection<InstanceProcessSpec> Started => [.. _running.Values];

    public Task StartAsync(InstanceProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _running[spec.LinodeId] = spec;
        return Task.CompletedTask;
    }

    public Task StopAsync(long linodeId, CancellationToken cancellationToken)
    {
        _running.TryRemove(linodeId, out _);
        return Task.CompletedTask;
    }

    public bool IsRunning(long linodeId) => _running.ContainsKey(linodeId);

    public bool Kill(long linodeId)
    {
        if (!_running.TryRemove(linodeId, out _))
        {
            return false;
        }

        ProcessExited?.Invoke(linodeId);
        return true;
    }

    public ValueTask DisposeAsync()
    {
        _running.Clear();
        return ValueTask.CompletedTask;
    }
}

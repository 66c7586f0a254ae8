using System.Collections.Concurrent;
using Linode.Emulator.Runtime;

namespace Linode.Emulator.Tests.Api.Fakes;

/// <summary>Records what the emulator asks of the process runtime; tests make starts fail and processes die.</summary>
public sealed class FakeInstanceRuntime : IInstanceRuntime
{
    private readonly ConcurrentDictionary<long, InstanceProcessSpec> _running = new();

    public event Action<long>? ProcessExited;

    /// <summary>Every spec StartAsync was given, in order.</summary>
    public ConcurrentQueue<InstanceProcessSpec> Started { get; } = new();

    /// <summary>Every id StopAsync was given, in order.</summary>
    public ConcurrentQueue<long> Stopped { get; } = new();

    /// <summary>When set, StartAsync throws this for the spec instead of starting (null: start).</summary>
    public Func<InstanceProcessSpec, Exception?>? FailStart { get; set; }

    public bool Disposed { get; private set; }

    public IReadOnlyCollection<long> Running => [.. _running.Keys];

    public Task StartAsync(InstanceProcessSpec spec, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (FailStart?.Invoke(spec) is { } failure)
        {
            throw failure;
        }
        _running[spec.LinodeId] = spec;
        Started.Enqueue(spec);
        return Task.CompletedTask;
    }

    public Task StopAsync(long linodeId, CancellationToken cancellationToken)
    {
        _running.TryRemove(linodeId, out _);
        Stopped.Enqueue(linodeId);
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

    /// <summary>The process dies by itself (a crash).</summary>
    public void Crash(long linodeId)
    {
        _running.TryRemove(linodeId, out _);
        ProcessExited?.Invoke(linodeId);
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

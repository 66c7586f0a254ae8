namespace Workload;

/// <summary>How a request fared on the CPUs.</summary>
internal enum CpuOutcome
{
    Served,

    /// <summary>Every CPU was busy and the queue was full.</summary>
    Rejected,
}

/// <summary>Busy time per CPU since start, as node_exporter would count it.</summary>
internal readonly record struct CpuTimes(double UptimeSeconds, double[] BusySeconds);

/// <summary>
/// <c>vcpus</c> workers in front of a bounded FIFO queue. A request takes a free CPU or waits in the queue; when the
/// queue is full it is rejected. While it holds a CPU, the CPU's busy time grows. What "holding a CPU" costs is the
/// <see cref="CpuMode"/>: a timer wait (virtual) or a real spin on the thread pool.
/// </summary>
internal sealed class CpuScheduler
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly CpuMode _mode;
    private readonly int _queueLimit;
    private readonly Stack<int> _free = new();
    private readonly LinkedList<TaskCompletionSource<int>> _waiting = new();
    private readonly long[] _busyTicks;
    private readonly long[] _busySince;
    private readonly bool[] _onCpu;
    private readonly long _started;
    private long _workStarted;

    public CpuScheduler(int vcpus, int queueLimit, CpuMode mode, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpus, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLimit);
        _time = time;
        _mode = mode;
        _queueLimit = queueLimit;
        _busyTicks = new long[vcpus];
        _busySince = new long[vcpus];
        _onCpu = new bool[vcpus];
        for (var cpu = vcpus - 1; cpu >= 0; cpu--)
        {
            _free.Push(cpu);
        }

        _started = time.GetTimestamp();
    }

    public int Vcpus => _busyTicks.Length;

    public int QueueLimit => _queueLimit;

    /// <summary>Requests whose CPU work has begun (its timer armed, in virtual mode); lets tests that drive a fake
    /// clock advance it only once the work is waiting on it.</summary>
    internal long WorkStarted => Interlocked.Read(ref _workStarted);

    /// <summary>Requests waiting for a CPU.</summary>
    public int QueueDepth
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>CPUs running a request.</summary>
    public int Busy
    {
        get
        {
            lock (_gate)
            {
                return Vcpus - _free.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> of CPU time for one request. Cancellation only withdraws a request that
    /// is still queued: once on a CPU the work completes, as a real server's handler would.</summary>
    public async Task<(CpuOutcome Outcome, TimeSpan Queued)> RunAsync(TimeSpan work, CancellationToken cancellationToken)
    {
        var arrived = _time.GetTimestamp();
        int cpu;
        TaskCompletionSource<int>? waiter = null;
        LinkedListNode<TaskCompletionSource<int>>? node = null;
        lock (_gate)
        {
            if (_free.Count > 0)
            {
                cpu = _free.Pop();
                _busySince[cpu] = _time.GetTimestamp();
                _onCpu[cpu] = true;
            }
            else if (_waiting.Count < _queueLimit)
            {
                cpu = -1;
                waiter = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                node = _waiting.AddLast(waiter);
            }
            else
            {
                return (CpuOutcome.Rejected, TimeSpan.Zero);
            }
        }

        if (waiter is not null)
        {
            using (cancellationToken.Register(() => Withdraw(node!)))
            {
                cpu = await waiter.Task.ConfigureAwait(false);
            }
        }

        var queued = _time.GetElapsedTime(arrived);
        try
        {
            if (work > TimeSpan.Zero)
            {
                var running = _mode == CpuMode.Virtual
                    ? Task.Delay(work, _time, CancellationToken.None)
                    : Task.Run(() => Burn(work), CancellationToken.None);
                Interlocked.Increment(ref _workStarted);
                await running.ConfigureAwait(false);
            }
            else
            {
                Interlocked.Increment(ref _workStarted);
            }
        }
        finally
        {
            Release(cpu);
        }

        return (CpuOutcome.Served, queued);
    }

    /// <summary>Busy seconds per CPU, counting the running part of requests still on a CPU.</summary>
    public CpuTimes Snapshot()
    {
        var busy = new double[Vcpus];
        long now;
        lock (_gate)
        {
            now = _time.GetTimestamp();
            for (var cpu = 0; cpu < busy.Length; cpu++)
            {
                var ticks = _busyTicks[cpu];
                if (_onCpu[cpu])
                {
                    ticks += now - _busySince[cpu];
                }

                busy[cpu] = ticks / (double)_time.TimestampFrequency;
            }
        }

        return new CpuTimes((now - _started) / (double)_time.TimestampFrequency, busy);
    }

    private void Withdraw(LinkedListNode<TaskCompletionSource<int>> node)
    {
        lock (_gate)
        {
            // A waiter already handed a CPU is no longer in the list; then the request runs as if not cancelled.
            if (node.List is null)
            {
                return;
            }

            _waiting.Remove(node);
        }

        node.Value.TrySetCanceled();
    }

    private void Release(int cpu)
    {
        TaskCompletionSource<int>? next = null;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _busyTicks[cpu] += now - _busySince[cpu];
            if (_waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                next = first.Value;
                _busySince[cpu] = now;
            }
            else
            {
                _onCpu[cpu] = false;
                _free.Push(cpu);
            }
        }

        next?.TrySetResult(cpu);
    }

    private void Burn(TimeSpan work)
    {
        var start = _time.GetTimestamp();
        var spins = 0;
        while (_time.GetElapsedTime(start) < work)
        {
            // Arithmetic the JIT cannot remove, between clock reads.
            spins = unchecked((spins * 31) + 7);
        }

        GC.KeepAlive(spins);
    }
}

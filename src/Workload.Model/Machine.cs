using System.Globalization;

namespace Workload;

/// <summary>
/// The emulated machine: its CPUs are the scheduler's virtual CPUs (busy time counted as <c>user</c>), its load
/// average is computed like Linux's (an exponential average of runnable requests sampled every 5 s), its memory is the
/// configured size, and its network counters are the bytes the Workload itself received and sent.
/// </summary>
internal sealed class VirtualMachine : IMachine
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(5);
    private static readonly double Decay1 = Math.Exp(-5.0 / 60);
    private static readonly double Decay5 = Math.Exp(-5.0 / 300);
    private static readonly double Decay15 = Math.Exp(-5.0 / 900);

    // What the operating system and the runtime of a small instance hold before the app allocates anything.
    private const long BaseUsedBytes = 160L * 1024 * 1024;

    private readonly CpuScheduler _cpu;
    private readonly WorkloadMetrics _metrics;
    private readonly long _memoryBytes;
    private readonly ITimer _sampler;
    private readonly Func<long> _appBytes;
    private readonly object _gate = new();
    private (double Idle, double User)[]? _lastCpus;
    private double _load1;
    private double _load5;
    private double _load15;

    /// <param name="appBytes">Memory the app itself holds; null: this process's working set (a Workload process is
    /// the app). An instance hosted inside the emulator passes a fixed figure, since the process is shared.</param>
    public VirtualMachine(CpuScheduler cpu, WorkloadMetrics metrics, long memoryBytes, TimeProvider time,
        Func<long>? appBytes = null)
    {
        _appBytes = appBytes ?? (static () => Environment.WorkingSet);
        _cpu = cpu;
        _metrics = metrics;
        _memoryBytes = memoryBytes;
        _sampler = time.CreateTimer(_ => Sample(), null, SampleEvery, SampleEvery);
    }

    private static long Micros(double seconds) => (long)Math.Round(seconds * 1e6);

    public MachineSnapshot Snapshot()
    {
        var times = _cpu.Snapshot();
        var cpus = new (double Idle, double User)[times.BusySeconds.Length];
        lock (_gate)
        {
            _lastCpus ??= new (double Idle, double User)[cpus.Length];
            for (var i = 0; i < cpus.Length; i++)
            {
                // Counters must never go down: Prometheus reads any drop as a reset, and rate() then jumps. Idle is
                // uptime minus busy, which in floating point can lose its last digit while the CPU is saturated, so
                // both are kept in whole microseconds and never below what was last exported.
                var busy = Micros(times.BusySeconds[i]);
                var idle = Math.Max(0, Micros(times.UptimeSeconds) - busy);
                var last = _lastCpus[i];
                cpus[i] = (Math.Max(last.Idle, idle / 1e6), Math.Max(last.User, busy / 1e6));
                _lastCpus[i] = cpus[i];
            }
        }

        double l1, l5, l15;
        lock (_gate)
        {
            (l1, l5, l15) = (_load1, _load5, _load15);
        }

        var used = Math.Min(_memoryBytes, BaseUsedBytes + _appBytes());
        return new MachineSnapshot(cpus, l1, l5, l15, _memoryBytes, _memoryBytes - used,
            _metrics.ReceivedBytes, _metrics.TransmittedBytes);
    }

    public void Dispose() => _sampler.Dispose();

    private void Sample()
    {
        double runnable = _cpu.Busy + _cpu.QueueDepth;
        lock (_gate)
        {
            _load1 = (_load1 * Decay1) + (runnable * (1 - Decay1));
            _load5 = (_load5 * Decay5) + (runnable * (1 - Decay5));
            _load15 = (_load15 * Decay15) + (runnable * (1 - Decay15));
        }
    }
}

/// <summary>
/// A real machine: the same values node_exporter reads from /proc. Where /proc is not readable (not Linux), it falls
/// back to the emulated view of the scheduler.
/// </summary>
internal sealed class RealMachine(VirtualMachine fallback) : IMachine
{
    public MachineSnapshot Snapshot()
    {
        var emulated = fallback.Snapshot();
        try
        {
            var cpus = ReadCpus() ?? emulated.Cpus;
            var (l1, l5, l15) = ReadLoad() ?? (emulated.Load1, emulated.Load5, emulated.Load15);
            var (total, available) = ReadMemory() ?? (emulated.MemTotalBytes, emulated.MemAvailableBytes);
            var (rx, tx) = ReadNetwork() ?? (emulated.ReceiveBytes, emulated.TransmitBytes);
            return new MachineSnapshot(cpus, l1, l5, l15, total, available, rx, tx);
        }
        catch (IOException)
        {
            return emulated;
        }
        catch (UnauthorizedAccessException)
        {
            return emulated;
        }
    }

    public void Dispose() => fallback.Dispose();

    // USER_HZ is 100 on every Linux architecture the runtime supports.
    private const double UserHz = 100.0;

    private static List<(double Idle, double User)>? ReadCpus()
    {
        if (!File.Exists("/proc/stat"))
        {
            return null;
        }

        var cpus = new List<(double, double)>();
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            // "cpuN user nice system idle iowait irq softirq steal ..."; busy time other than idle/iowait is
            // counted as user, as in the virtual model.
            if (!line.StartsWith("cpu", StringComparison.Ordinal) || line.Length < 4 || !char.IsDigit(line[3]))
            {
                continue;
            }

            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            double Field(int i) => i < f.Length ? double.Parse(f[i], CultureInfo.InvariantCulture) / UserHz : 0;
            var idle = Field(4) + Field(5);
            var busy = Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8);
            cpus.Add((idle, busy));
        }

        return cpus.Count > 0 ? cpus : null;
    }

    private static (double, double, double)? ReadLoad()
    {
        if (!File.Exists("/proc/loadavg"))
        {
            return null;
        }

        var f = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (Parse(f[0]), Parse(f[1]), Parse(f[2]));
    }

    private static (double, double)? ReadMemory()
    {
        if (!File.Exists("/proc/meminfo"))
        {
            return null;
        }

        double? total = null, available = null;
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 2 && f[0] == "MemTotal:")
            {
                total = Parse(f[1]) * 1024;
            }
            else if (f.Length >= 2 && f[0] == "MemAvailable:")
            {
                available = Parse(f[1]) * 1024;
            }
        }

        return total is { } t && available is { } a ? (t, a) : null;
    }

    private static (double, double)? ReadNetwork()
    {
        if (!File.Exists("/proc/net/dev"))
        {
            return null;
        }

        foreach (var line in File.ReadLines("/proc/net/dev"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || line[..colon].Trim() != "eth0")
            {
                continue;
            }

            var f = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return (Parse(f[0]), Parse(f[8]));
        }

        return null;
    }

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Net;

namespace Workload;

/// <summary>Which addresses the Workload's listeners bind.</summary>
public enum BindTo
{
    /// <summary>The public and the private address (what the emulator boots by default).</summary>
    Both,

    /// <summary>Only the public address: a NodeBalancer, which connects to the private one, finds nothing.</summary>
    Public,

    /// <summary>Only the private address: reachable from the NodeBalancer, not from outside.</summary>
    Private,
}

/// <summary>Settings of the Workload. Every one can come from a command-line flag (<c>--work-ms 50</c> or
/// <c>--work-ms=50</c>) or an environment variable (<c>WORKLOAD_WORK_MS</c>); a flag wins.</summary>
public sealed record WorkloadOptions
{
    /// <summary>Address both listeners bind (an emulated instance passes its own loopback address).</summary>
    public IPAddress Address { get; init; } = IPAddress.Any;

    /// <summary>The instance's private address (an emulated instance gets the loopback address standing for it);
    /// null: none.</summary>
    public IPAddress? PrivateAddress { get; init; }

    /// <summary>Which of the addresses the listeners bind: both (the default), only the public
    /// <see cref="Address"/>, or only <see cref="PrivateAddress"/> (where a NodeBalancer connects).</summary>
    public BindTo Bind { get; init; } = BindTo.Both;

    /// <summary>The addresses the listeners bind, from <see cref="Address"/>, <see cref="PrivateAddress"/> and
    /// <see cref="Bind"/>.</summary>
    public IReadOnlyList<IPAddress> BindAddresses => (Bind, PrivateAddress) switch
    {
        (BindTo.Public, _) or (_, null) => [Address],
        (BindTo.Private, { } p) => [p],
        (_, { } p) => p.Equals(Address) ? [Address] : [Address, p],
    };

    /// <summary>Port of the app (<c>/</c>, <c>/health</c>); 0 picks a free one.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Port of <c>/metrics</c>, node_exporter's port; 0 picks a free one.</summary>
    public int MetricsPort { get; init; } = 9100;

    /// <summary>CPUs that serve requests (virtual workers, or the real concurrency bound).</summary>
    public int Vcpus { get; init; } = Environment.ProcessorCount;

    /// <summary>CPU cost of one <c>/</c> request.</summary>
    public int WorkMs { get; init; } = 50;

    /// <summary>Requests that may wait for a CPU; one more is answered 503.</summary>
    public int Queue { get; init; } = 64;

    public CpuMode Mode { get; init; } = CpuMode.Virtual;

    /// <summary>Exit when this process is gone, so an instance never outlives the emulator that booted it.</summary>
    public int? ParentPid { get; init; }

    /// <summary>Memory the virtual machine reports (node_memory_MemTotal_bytes); default 2 GiB per vCPU, the ratio
    /// of Linode's shared plans.</summary>
    public int? MemoryMb { get; init; }

    /// <summary>Largest <c>?work_ms=</c> a request may ask for.</summary>
    public const int MaxWorkMs = WorkloadHandler.MaxWorkMs;

    internal long MemoryBytes => (long)(MemoryMb ?? 2048 * Vcpus) * 1024 * 1024;

    private static readonly (string Flag, string Env)[] Keys =
    [
        ("address", "WORKLOAD_ADDRESS"),
        ("private-address", "WORKLOAD_PRIVATE_ADDRESS"),
        ("bind", "WORKLOAD_BIND"),
        ("port", "WORKLOAD_PORT"),
        ("metrics-port", "WORKLOAD_METRICS_PORT"),
        ("vcpus", "WORKLOAD_VCPUS"),
        ("work-ms", "WORKLOAD_WORK_MS"),
        ("queue", "WORKLOAD_QUEUE"),
        ("mode", "WORKLOAD_MODE"),
        ("parent-pid", "WORKLOAD_PARENT_PID"),
        ("memory-mb", "WORKLOAD_MEMORY_MB"),
    ];

    public static string Usage =>
        """
        workload — a CPU-bound sample web app with node_exporter-style metrics.

        Options (each also as an environment variable WORKLOAD_<NAME>, e.g. WORKLOAD_WORK_MS):
          --address A        public address of both listeners          (default 0.0.0.0)
          --private-address A  the private address, bound too          (default: none)
          --bind B           both | public | private: what is bound    (default both)
          --port N           app port: / and /health                   (default 8080)
          --metrics-port N   /metrics port                             (default 9100)
          --vcpus N          CPUs serving requests                     (default: this machine's processor count)
          --work-ms W        CPU milliseconds one / request costs      (default 50; ?work_ms= overrides per request)
          --queue N          requests that may wait for a CPU          (default 64; beyond it: 503)
          --mode M           virtual | real                            (default virtual)
          --parent-pid P     exit when process P is gone
          --memory-mb N      memory reported in virtual mode           (default 2048 per vCPU)
        """;

    /// <summary>Reads flags over environment variables; reports every problem at once.</summary>
    public static bool TryParse(
        IReadOnlyList<string> args,
        Func<string, string?> environment,
        out WorkloadOptions options,
        out IReadOnlyList<string> errors)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (flag, env) in Keys)
        {
            var value = environment(env);
            if (!string.IsNullOrWhiteSpace(value))
            {
                values[flag] = value.Trim();
            }
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                problems.Add($"unexpected argument '{arg}'");
                continue;
            }

            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (!Keys.Any(k => k.Flag == name))
            {
                problems.Add($"unknown option '--{name}'");
                continue;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    problems.Add($"option '--{name}' needs a value");
                    continue;
                }

                value = args[++i];
            }

            values[name] = value;
        }

        var defaults = new WorkloadOptions();
        var address = defaults.Address;
        if (values.TryGetValue("address", out var a) && !IPAddress.TryParse(a, out address))
        {
            problems.Add($"address '{a}' is not an IP address");
            address = defaults.Address;
        }

        IPAddress? privateAddress = null;
        if (values.TryGetValue("private-address", out var pa) && !IPAddress.TryParse(pa, out privateAddress))
        {
            problems.Add($"private-address '{pa}' is not an IP address");
        }

        var bind = defaults.Bind;
        if (values.TryGetValue("bind", out var b))
        {
            switch (b.ToUpperInvariant())
            {
                case "BOTH": bind = BindTo.Both; break;
                case "PUBLIC": bind = BindTo.Public; break;
                case "PRIVATE": bind = BindTo.Private; break;
                default: problems.Add($"bind '{b}' is not 'both', 'public' or 'private'"); break;
            }
        }

        if (bind == BindTo.Private && privateAddress is null)
        {
            problems.Add("bind 'private' needs --private-address");
        }

        var port = Int("port", defaults.Port, 0, 65535);
        var metricsPort = Int("metrics-port", defaults.MetricsPort, 0, 65535);
        if (port == metricsPort && port != 0)
        {
            problems.Add($"port and metrics-port must differ (both are {port})");
        }

        var vcpus = Int("vcpus", Math.Max(1, defaults.Vcpus), 1, 1024);
        var workMs = Int("work-ms", defaults.WorkMs, 0, MaxWorkMs);
        var queue = Int("queue", defaults.Queue, 0, 1_000_000);
        var parent = values.ContainsKey("parent-pid") ? Int("parent-pid", 0, 1, int.MaxValue) : (int?)null;
        var memory = values.ContainsKey("memory-mb") ? Int("memory-mb", 0, 1, 16 * 1024 * 1024) : (int?)null;

        var mode = defaults.Mode;
        if (values.TryGetValue("mode", out var m))
        {
            switch (m.ToUpperInvariant())
            {
                case "VIRTUAL": mode = CpuMode.Virtual; break;
                case "REAL": mode = CpuMode.Real; break;
                default: problems.Add($"mode '{m}' is not 'virtual' or 'real'"); break;
            }
        }

        options = new WorkloadOptions
        {
            Address = address,
            PrivateAddress = privateAddress,
            Bind = bind,
            Port = port,
            MetricsPort = metricsPort,
            Vcpus = vcpus,
            WorkMs = workMs,
            Queue = queue,
            Mode = mode,
            ParentPid = parent,
            MemoryMb = memory,
        };
        errors = problems;
        return problems.Count == 0;

        int Int(string name, int fallback, int min, int max)
        {
            if (!values.TryGetValue(name, out var text))
            {
                return fallback;
            }

            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
            {
                problems.Add($"{name} '{text}' is not an integer");
                return fallback;
            }

            if (parsed < min || parsed > max)
            {
                problems.Add($"{name} ({parsed}) must be between {min} and {max}");
                return fallback;
            }

            return parsed;
        }
    }
}

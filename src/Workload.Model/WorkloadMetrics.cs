using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Workload;

/// <summary>
/// The Workload's metrics, written in the Prometheus text format with node_exporter's names and labels, so PromQL
/// written for real instances (<c>node_cpu_seconds_total</c>, <c>node_load1</c>, …) works on emulated ones unchanged.
/// Hand-written rather than through a client library: the node_* series are computed at scrape time from the CPU
/// model, and nothing else (process or runtime metrics) may appear under those names.
/// </summary>
internal sealed class WorkloadMetrics
{
    /// <summary>Latency buckets (seconds): from a cheap request to a long queue wait.</summary>
    internal static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // node_exporter's modes of node_cpu_seconds_total; the model only knows busy (user) and idle.
    private static readonly string[] OtherCpuModes = ["iowait", "irq", "nice", "softirq", "steal", "system"];

    private readonly ConcurrentDictionary<string, Histogram> _latency = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Handler, int Code), StrongBox<long>> _requests = new();
    private long _received;
    private long _transmitted;
    private long _inFlight;

    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    public void RequestFinished(string handler, int statusCode, TimeSpan duration, long bytesIn, long bytesOut)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Add(ref _received, bytesIn);
        Interlocked.Add(ref _transmitted, bytesOut);
        _latency.GetOrAdd(handler, _ => new Histogram()).Observe(duration.TotalSeconds);
        Interlocked.Increment(ref _requests.GetOrAdd((handler, statusCode), _ => new StrongBox<long>()).Value);
    }

    /// <summary>Traffic of the metrics listener itself (node_exporter counts every byte on eth0 too).</summary>
    public void CountTraffic(long bytesIn, long bytesOut)
    {
        Interlocked.Add(ref _received, bytesIn);
        Interlocked.Add(ref _transmitted, bytesOut);
    }

    public long InFlight => Interlocked.Read(ref _inFlight);

    public long ReceivedBytes => Interlocked.Read(ref _received);

    public long TransmittedBytes => Interlocked.Read(ref _transmitted);

    /// <summary>Writes every series. <paramref name="machine"/> supplies the node_* values of the (virtual or real)
    /// machine; <paramref name="workMs"/> and <paramref name="mode"/> are the app's settings, shown as gauges.</summary>
    public string Render(MachineSnapshot machine, CpuScheduler cpu, int workMs, CpuMode mode)
    {
        var text = new StringBuilder(4096);

        Header(text, "node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
        for (var i = 0; i < machine.Cpus.Count; i++)
        {
            var (idle, user) = machine.Cpus[i];
            var cpuLabel = i.ToString(CultureInfo.InvariantCulture);
            Sample(text, "node_cpu_seconds_total", $"cpu=\"{cpuLabel}\",mode=\"idle\"", idle);
            foreach (var other in OtherCpuModes)
            {
                Sample(text, "node_cpu_seconds_total", $"cpu=\"{cpuLabel}\",mode=\"{other}\"", 0);
            }

            Sample(text, "node_cpu_seconds_total", $"cpu=\"{cpuLabel}\",mode=\"user\"", user);
        }

        Header(text, "node_load1", "gauge", "1m load average.");
        Sample(text, "node_load1", null, machine.Load1);
        Header(text, "node_load5", "gauge", "5m load average.");
        Sample(text, "node_load5", null, machine.Load5);
        Header(text, "node_load15", "gauge", "15m load average.");
        Sample(text, "node_load15", null, machine.Load15);

        Header(text, "node_memory_MemAvailable_bytes", "gauge", "Memory information field MemAvailable_bytes.");
        Sample(text, "node_memory_MemAvailable_bytes", null, machine.MemAvailableBytes);
        Header(text, "node_memory_MemTotal_bytes", "gauge", "Memory information field MemTotal_bytes.");
        Sample(text, "node_memory_MemTotal_bytes", null, machine.MemTotalBytes);

        Header(text, "node_network_receive_bytes_total", "counter", "Network device statistic receive_bytes.");
        Sample(text, "node_network_receive_bytes_total", "device=\"eth0\"", machine.ReceiveBytes);
        Header(text, "node_network_transmit_bytes_total", "counter", "Network device statistic transmit_bytes.");
        Sample(text, "node_network_transmit_bytes_total", "device=\"eth0\"", machine.TransmitBytes);

        Header(text, "workload_http_request_duration_seconds", "histogram",
            "Time from a request's arrival to its response, queueing included.");
        foreach (var (handler, histogram) in _latency.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            histogram.Write(text, "workload_http_request_duration_seconds", $"handler=\"{Escape(handler)}\"");
        }

        Header(text, "workload_http_requests_total", "counter", "Requests answered, by handler and status code.");
        foreach (var ((handler, code), count) in _requests.OrderBy(r => r.Key.Handler, StringComparer.Ordinal)
                     .ThenBy(r => r.Key.Code))
        {
            var labels = $"code=\"{code.ToString(CultureInfo.InvariantCulture)}\",handler=\"{Escape(handler)}\"";
            Sample(text, "workload_http_requests_total", labels, Interlocked.Read(ref count.Value));
        }

        Header(text, "workload_http_requests_in_flight", "gauge", "Requests being handled (queued or on a CPU).");
        Sample(text, "workload_http_requests_in_flight", null, InFlight);
        Header(text, "workload_queue_depth", "gauge", "Requests waiting for a CPU.");
        Sample(text, "workload_queue_depth", null, cpu.QueueDepth);
        Header(text, "workload_queue_capacity", "gauge", "Requests that may wait for a CPU before 503.");
        Sample(text, "workload_queue_capacity", null, cpu.QueueLimit);
        Header(text, "workload_busy_cpus", "gauge", "CPUs running a request.");
        Sample(text, "workload_busy_cpus", null, cpu.Busy);
        Header(text, "workload_vcpus", "gauge", "CPUs that serve requests.");
        Sample(text, "workload_vcpus", null, cpu.Vcpus);
        Header(text, "workload_work_seconds", "gauge", "Default CPU cost of one / request.");
        Sample(text, "workload_work_seconds", null, workMs / 1000.0);
        Header(text, "workload_info", "gauge", "Constant 1, labelled with the CPU mode.");
        Sample(text, "workload_info", $"mode=\"{(mode == CpuMode.Virtual ? "virtual" : "real")}\"", 1);
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    internal static void Sample(StringBuilder text, string name, string? labels, double value)
    {
        text.Append(name);
        if (!string.IsNullOrEmpty(labels))
        {
            text.Append('{').Append(labels).Append('}');
        }

        text.Append(' ').Append(Format(value)).Append('\n');
    }

    internal static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

    internal sealed class StrongBox<T>
        where T : struct
    {
#pragma warning disable CA1051 // a field, so Interlocked can take it by ref
        public T Value;
#pragma warning restore CA1051
    }

    private sealed class Histogram
    {
        private readonly object _gate = new();
        private readonly long[] _counts = new long[Buckets.Length];
        private long _count;
        private double _sum;

        public void Observe(double seconds)
        {
            lock (_gate)
            {
                for (var i = 0; i < Buckets.Length; i++)
                {
                    if (seconds <= Buckets[i])
                    {
                        _counts[i]++;
                        break;
                    }
                }

                _count++;
                _sum += seconds;
            }
        }

        public void Write(StringBuilder text, string name, string labels)
        {
            long[] counts;
            long count;
            double sum;
            lock (_gate)
            {
                counts = (long[])_counts.Clone();
                count = _count;
                sum = _sum;
            }

            long cumulative = 0;
            for (var i = 0; i < Buckets.Length; i++)
            {
                cumulative += counts[i];
                Sample(text, name + "_bucket", $"{labels},le=\"{Format(Buckets[i])}\"", cumulative);
            }

            Sample(text, name + "_bucket", $"{labels},le=\"+Inf\"", count);
            Sample(text, name + "_sum", labels, sum);
            Sample(text, name + "_count", labels, count);
        }
    }
}

/// <summary>The node_* values of one scrape.</summary>
internal sealed record MachineSnapshot(
    IReadOnlyList<(double Idle, double User)> Cpus,
    double Load1,
    double Load5,
    double Load15,
    double MemTotalBytes,
    double MemAvailableBytes,
    double ReceiveBytes,
    double TransmitBytes);

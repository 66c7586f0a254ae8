using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Linode.Emulator;
using Linode.Emulator.Runtime;

namespace Autoscaler.Sandbox.Bench;

/// <summary>How big a fleet <c>bench --only fleet</c> scales, and how often the engine looks.</summary>
public sealed record FleetSettings
{
    public int Pools { get; init; } = 20;

    /// <summary>Each pool scales 2 → this → 2.</summary>
    public int Instances { get; init; } = 50;

    public TimeSpan EvaluationInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest wait for one way to converge; null: from Linode's create limit (20 per 15 s) and a margin.</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>
/// <c>bench --only fleet</c>: one <c>serve</c> (a separate process, its memory its own) with many pools against the
/// emulator with lightweight instances and Linode's rate limits on, its Linode calls watched by a
/// <see cref="RecordingProxy"/>. Every pool scales 2 → M → 2 through the service's <c>/api</c>; the figures are the
/// time to converge each way, the calls per rate-limit bucket against Linode's limits, the 429s, the engine's cycle
/// time (serve's /metrics) and serve's peak memory.
/// </summary>
public sealed class FleetBench(FleetSettings fleet, BenchSettings settings, TextWriter output)
{
    private const string LinodeToken = "fleet-linode-token";
    private const string ApiToken = "fleet-api-token";
    private const int Start = 2;

    public async Task<FleetFigures> RunAsync(CancellationToken cancellationToken)
    {
        if (fleet.Pools < 1 || fleet.Instances < Start)
        {
            throw new ArgumentException($"bench fleet: needs at least 1 pool and {Start} instances per pool");
        }

        output.WriteLine($"== fleet: {fleet.Pools} pools x {fleet.Instances} instances (2 -> {fleet.Instances} -> 2), lightweight instances, Linode's rate limits on");
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        options.Runtime.Kind = InstanceRuntimeKind.Lightweight;
        await using var emulator = await SandboxEmulator.StartAsync(new SandboxEmulatorOptions { Emulator = options }, cancellationToken);
        await using var proxy = await RecordingProxy.StartAsync(emulator.BaseAddress, cancellationToken: cancellationToken);
        var dir = Path.Combine(settings.WorkDirectory, "fleet");
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        var configPath = Path.Combine(dir, "autoscaler.yaml");
        await File.WriteAllTextAsync(configPath, Config(proxy.BaseAddress), cancellationToken);
        var pools = Enumerable.Range(0, fleet.Pools).Select(PoolName).ToArray();

        // From before serve starts: its start-up calls (the first lists, the NodeBalancers) count against the limits too.
        var started = SandboxClock.Now;
        await using var serve = await ServeProcess.StartAsync(settings.Program ?? ServeProgram.ThisProcess(), configPath,
            Path.Combine(dir, "serve.log"), TimeSpan.FromSeconds(90), cancellationToken);
        using var http = new HttpClient { BaseAddress = serve.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken);
        var peak = 0L;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcStatus(serve.Pid, "VmRSS:"));
                try
                {
                    await Task.Delay(500, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }, CancellationToken.None);

        var creates = pools.Length * Start;
        await WaitForAsync(http, serve, pools, Start, TimeoutFor(creates), "start", cancellationToken);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  every pool serves {Start} ({SandboxClock.Now - started:0.0} s after serve started)"));

        var up = await ScaleAsync(http, serve, pools, fleet.Instances, TimeoutFor(pools.Length * (fleet.Instances - Start)), cancellationToken);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  2 -> {fleet.Instances}: converged in {up:0.0} s"));
        var emulatorRss = ProcStatus(Environment.ProcessId, "VmRSS:");
        var emulatorThreads = (int)ProcStatus(Environment.ProcessId, "Threads:", kib: false);
        // Removals are general calls (drain, node delete, instance delete): as many as the creates, and more paced by
        // the cycles than by a limit; the same allowance as the way up.
        var down = await ScaleAsync(http, serve, pools, Start, TimeoutFor(pools.Length * (fleet.Instances - Start)), cancellationToken);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {fleet.Instances} -> 2: converged in {down:0.0} s"));

        var metrics = await http.GetStringAsync("metrics", cancellationToken);
        var hwm = ProcStatus(serve.Pid, "VmHWM:");
        await sampling.CancelAsync();
        await sampler;
        await serve.StopAsync(TimeSpan.FromSeconds(10));

        var calls = proxy.Exchanges.Where(e => e.Status != 0).ToList();
        var ended = SandboxClock.Now;
        var buckets = LinodeBuckets.Limits.Keys.ToDictionary(b => b, b => LinodeBuckets.Measure(b,
            [.. calls.Where(c => LinodeBuckets.Of(c.Method, c.Target) == b).Select(c => c.ReceivedAt)], started, ended), StringComparer.Ordinal);
        var figures = new FleetFigures
        {
            Date = TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Pools = pools.Length,
            Instances = fleet.Instances,
            EvaluationIntervalSeconds = fleet.EvaluationInterval.TotalSeconds,
            ConvergeSeconds = new FleetConvergence(Math.Round(up, 1), Math.Round(down, 1)),
            Calls = buckets,
            Http429 = calls.Count(c => c.Status == 429),
            TotalCalls = calls.Count,
            CycleP50Ms = LinodeBuckets.HistogramQuantile(metrics, "autoscaler_engine_cycle_duration_seconds", 0.50) * 1000,
            CycleP99Ms = LinodeBuckets.HistogramQuantile(metrics, "autoscaler_engine_cycle_duration_seconds", 0.99) * 1000,
            PeakRssMiB = Math.Max(peak, hwm),
            EmulatorRssMiB = emulatorRss,
            EmulatorThreads = emulatorThreads,
        };
        foreach (var (bucket, b) in buckets)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {bucket,-9} {b.Total,6} calls, max {b.MaxPerMinute} per minute (mean {b.MeanPerMinute:0.0}), max {b.MaxPerWindow} per {b.WindowSeconds:0} s against Linode's {b.Limit}"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  429 answers {figures.Http429} of {figures.TotalCalls} calls; pool evaluation p50 {figures.CycleP50Ms:0.#} ms, p99 {figures.CycleP99Ms:0.#} ms (interval {fleet.EvaluationInterval.TotalSeconds:0.#} s)"));
        output.WriteLine($"  serve peak resident memory {figures.PeakRssMiB} MiB; emulator at {pools.Length * fleet.Instances} instances: {emulatorRss} MiB, {emulatorThreads} threads");
        return figures;
    }

    private static string PoolName(int i) => string.Create(CultureInfo.InvariantCulture, $"p{i:00}");

    /// <summary>Linode lets 20 creates through per 15 s: that, twice over, plus two minutes of boots and checks.</summary>
    private TimeSpan TimeoutFor(int creates) =>
        fleet.Timeout ?? TimeSpan.FromSeconds((Math.Ceiling(creates / 20.0) * 15 * 2) + 120 + (fleet.EvaluationInterval.TotalSeconds * 4));

    private static async Task<double> ScaleAsync(HttpClient http, ServeProcess serve, string[] pools, int desired, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var from = SandboxClock.Now;
        foreach (var pool in pools)
        {
            using var response = await http.PostAsync($"api/v1/pools/{pool}/scale",
                new StringContent($"{{\"desired\":{desired}}}", Encoding.UTF8, "application/json"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"bench fleet: scaling {pool} to {desired} answered {(int)response.StatusCode}: "
                    + await response.Content.ReadAsStringAsync(cancellationToken));
            }
        }

        await WaitForAsync(http, serve, pools, desired, timeout, $"scale to {desired}", cancellationToken);
        return SandboxClock.Now - from;
    }

    /// <summary>Until every pool serves exactly <paramref name="size"/> members with nothing launching, being removed
    /// or kept: the cloud matches what was asked.</summary>
    private static async Task WaitForAsync(HttpClient http, ServeProcess serve, string[] pools, int size, TimeSpan timeout, string what,
        CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var last = "";
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (serve.HasExited)
            {
                throw new InvalidOperationException("bench fleet: serve exited:" + Environment.NewLine + serve.Tail());
            }

            try
            {
                var all = JsonDocument.Parse(await http.GetStringAsync("api/v1/pools", cancellationToken)).RootElement.GetProperty("pools");
                var states = all.EnumerateArray().Select(p => (
                    Pool: p.GetProperty("pool").GetString()!,
                    Serving: p.GetProperty("serving").GetInt32(),
                    Actual: p.GetProperty("actual").GetInt32(),
                    Busy: p.GetProperty("launching").GetInt32() + p.GetProperty("removing").GetInt32() + p.GetProperty("kept").GetInt32())).ToList();
                var done = states.Count(s => s.Serving == size && s.Actual == size && s.Busy == 0);
                if (done == pools.Length)
                {
                    return;
                }

                last = $"{done} of {pools.Length} pools at {size}; serving {states.Sum(s => s.Serving)}, members {states.Sum(s => s.Actual)}";
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(1000, cancellationToken);
        }

        throw new TimeoutException($"bench fleet: {what} did not converge within {timeout.TotalSeconds:0} s ({last}):"
            + Environment.NewLine + serve.Tail());
    }

    private string Config(Uri linode)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $$"""
            linode: { url: "{{linode.ToString().TrimEnd('/')}}/v4", token: {{LinodeToken}} }
            listen: 127.0.0.1:0
            webhook: { auth: { bearer_token: fleet-webhook-token } }
            api: { auth: { bearer_token: {{ApiToken}} } }
            engine: { evaluation_interval: {{(int)fleet.EvaluationInterval.TotalMilliseconds}}ms }
            journal: { path: fleet.db }
            pools:

            """);
        for (var i = 0; i < fleet.Pools; i++)
        {
            var name = PoolName(i);
            // Each pool its own NodeBalancer (as separate services would have); billing: none removes a surplus member
            // at once, so scale-in converges now rather than at the paid hour's end.
            sb.Append(CultureInfo.InvariantCulture, $$"""
                  {{name}}:
                    region: us-east
                    type: g6-nanode-1
                    image: linode/debian12
                    tags: [fleet-{{name}}]
                    min: {{Start}}
                    max: {{fleet.Instances}}
                    nodebalancer: { label: fleet-{{name}}, port: 80, node_port: 8080, create_if_missing: true }
                    scale_up: { cooldown: 0s }
                    scale_down: { cooldown: 0s, drain: 1s, billing: none }

                """);
        }

        return sb.ToString();
    }

    /// <summary>A field of /proc/PID/status: memory in MiB (kB / 1024), or a plain count; 0 when unreadable.</summary>
    private static long ProcStatus(int pid, string field, bool kib = true)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var value = long.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                    return kib ? value / 1024 : value;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}

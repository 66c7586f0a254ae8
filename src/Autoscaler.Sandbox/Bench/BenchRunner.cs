using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Linode.Emulator;

namespace Autoscaler.Sandbox.Bench;

/// <summary>What <c>linode-autoscaler bench</c> measures and how much of it.</summary>
public sealed record BenchSettings
{
    public int Alerts { get; init; } = 1000;

    public int Clients { get; init; } = 16;

    public int RequestsPerClient { get; init; } = 500;

    public TimeSpan BalancerDuration { get; init; } = TimeSpan.FromSeconds(10);

    public int BalancerConnections { get; init; } = 32;

    /// <summary><c>memory</c>: how long serve idles before its resident set is read, and the fleet it then holds.</summary>
    public TimeSpan MemoryIdle { get; init; } = TimeSpan.FromSeconds(30);

    public int MemoryPools { get; init; } = 20;

    public int MemoryInstances { get; init; } = 1000;

    public IReadOnlySet<string> Parts { get; init; } = new HashSet<string>(BenchRunner.DefaultParts, StringComparer.Ordinal);

    /// <summary>Where this run keeps its configs, databases and logs: one directory per bench process, so two benches
    /// running at once never overwrite each other's files.</summary>
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "linode-autoscaler-bench",
        Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    /// <summary>The size of <c>fleet</c>.</summary>
    public FleetSettings Fleet { get; init; } = new();

    /// <summary>The program whose <c>serve</c> is measured; null: the program running now.</summary>
    public ServeProgram? Program { get; init; }

    /// <summary>The <c>failover</c> part's settings (its work directory and program default to the bench's).</summary>
    public FailoverSettings Failover { get; init; } = new();
}

/// <summary>
/// Runs the measurements of BENCHMARKS.md on this machine: the service as a separate <c>serve</c> process
/// (<see cref="ServeProcess"/>, so its memory is its own) against the <see cref="SandboxEmulator"/> in this process,
/// through a <see cref="RecordingProxy"/> that times the Linode calls; and the emulator's NodeBalancer with real
/// Workload instances behind it.
/// </summary>
public sealed class BenchRunner(BenchSettings settings, TextWriter output)
{
    public static readonly string[] AllParts = ["webhook", "commands", "nodebalancer", "memory", "fleet", "failover"];

    /// <summary>Parts measured only when named with <c>--only</c>: each takes many minutes (Linode's create limit; 20
    /// leader kills).</summary>
    public static readonly string[] OnRequestParts = ["fleet", "failover"];

    /// <summary>What <c>bench</c> without <c>--only</c> measures.</summary>
    public static IEnumerable<string> DefaultParts => AllParts.Except(OnRequestParts, StringComparer.Ordinal);

    private const string WebhookToken = "bench-webhook-token";
    private const string LinodeToken = "bench-linode-token";

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.WorkDirectory);
        var report = new BenchReport
        {
            Date = TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Machine = $"{Environment.ProcessorCount} cores, .NET {Environment.Version}",
        };

        if (settings.Parts.Contains("webhook"))
        {
            report.Webhook = await RunServiceAsync(withCommand: false, cancellationToken);
        }

        if (settings.Parts.Contains("commands"))
        {
            report.WebhookWithCommand = await RunServiceAsync(withCommand: true, cancellationToken);
        }

        if (settings.Parts.Contains("nodebalancer"))
        {
            report.NodeBalancer = await RunBalancerAsync(cancellationToken);
        }

        if (settings.Parts.Contains("memory"))
        {
            report.Memory = await new MemoryBench(settings, output).RunAsync(cancellationToken);
        }

        if (settings.Parts.Contains("fleet"))
        {
            report.Fleet = await new FleetBench(settings.Fleet, settings, output).RunAsync(cancellationToken);
        }

        if (settings.Parts.Contains("failover"))
        {
            report.Failover = await new FailoverBench(settings.Failover with
            {
                WorkDirectory = Path.Combine(settings.WorkDirectory, "failover"),
                Program = settings.Failover.Program ?? settings.Program,
            }, output).RunAsync(cancellationToken);
        }

        return report;
    }

    private async Task<ServiceFigures> RunServiceAsync(bool withCommand, CancellationToken cancellationToken)
    {
        var label = withCommand ? "webhook with a command per alert" : "webhook with native actions";
        output.WriteLine($"== {label}");
        // Linode's limits (1,600 requests a minute, 200 paginated GETs) would be used up by the thousands of cycles
        // measured here, and the client rightly waits for them to reset: limits are off so the figures are the
        // service's own.
        var options = new EmulatorOptions { Listen = "127.0.0.1:0" };
        options.RateLimits.Enabled = false;
        await using var emulator = await SandboxEmulator.StartAsync(new SandboxEmulatorOptions { Emulator = options }, cancellationToken);
        await using var proxy = await RecordingProxy.StartAsync(emulator.BaseAddress, cancellationToken: cancellationToken);
        var dir = Path.Combine(settings.WorkDirectory, withCommand ? "commands" : "native");
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        var configPath = Path.Combine(dir, "autoscaler.yaml");
        await File.WriteAllTextAsync(configPath, Config(proxy.BaseAddress, withCommand), cancellationToken);

        await using var serve = await ServeProcess.StartAsync(settings.Program ?? ServeProgram.ThisProcess(), configPath, Path.Combine(dir, "serve.log"),
            TimeSpan.FromSeconds(60), cancellationToken);
        using var http = new HttpClient { BaseAddress = serve.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WebhookToken);
        await WaitForPoolAsync(http, serve, cancellationToken);
        var idleRss = Rss(serve.Pid);

        // Latency: one distinct alert at a time, each from an idle service, so the call seen is the one it caused.
        var latencies = new List<double>(settings.Alerts);
        for (var i = 0; i < settings.Alerts; i++)
        {
            await proxy.WaitQuietAsync(TimeSpan.FromMilliseconds(30), cancellationToken);
            var next = proxy.NextRequest();
            var sent = SandboxClock.Now;
            using (var response = await http.PostAsync("hook", Body($"lat{i:x8}", i), cancellationToken))
            {
                response.EnsureSuccessStatusCode();
            }

            double called;
            try
            {
                called = await next.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"bench: alert {i + 1} of {settings.Alerts} led to no Linode API call within 30 s:"
                    + Environment.NewLine + serve.Tail());
            }

            latencies.Add((called - sent) * 1000);
        }

        latencies.Sort();
        var figures = new ServiceFigures
        {
            Alerts = settings.Alerts,
            LatencyP50Ms = Percentile(latencies, 0.50),
            LatencyP99Ms = Percentile(latencies, 0.99),
            LatencyMaxMs = latencies[^1],
            IdleRssMiB = idleRss,
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  webhook -> first Linode API call, {settings.Alerts} alerts: p50 {figures.LatencyP50Ms:0.00} ms, p99 {figures.LatencyP99Ms:0.00} ms, max {figures.LatencyMaxMs:0.0} ms"));

        // Throughput: every request a distinct alert, so each is new work for the engine (and a command run).
        var peak = 0L;
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss(serve.Pid));
                try
                {
                    await Task.Delay(50, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }, CancellationToken.None);
        var before = withCommand ? await CommandCountsAsync(http, cancellationToken) : default;
        var cpuBefore = CpuSeconds(serve.Pid);
        var watch = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async c =>
        {
            using var client = new HttpClient { BaseAddress = http.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WebhookToken);
            var ok = 0;
            var times = new List<double>(settings.RequestsPerClient);
            for (var i = 0; i < settings.RequestsPerClient; i++)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await client.PostAsync("hook", Body($"c{c:x2}r{i:x6}", i), cancellationToken);
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                ok += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }

            return (ok, times);
        }));
        watch.Stop();
        var total = settings.Clients * settings.RequestsPerClient;

        // The webhook answers before the command runs: the comparable figure with an executor that runs the command
        // inside the request is how long until every alert's command ran (or was skipped, and why).
        var commands = withCommand ? await CommandsDoneAsync(http, before, total, watch, cancellationToken) : null;
        var cpu = CpuSeconds(serve.Pid) - cpuBefore;
        await sampling.CancelAsync();
        await sampler;
        var requestTimes = results.SelectMany(r => r.times).ToList();
        requestTimes.Sort();
        figures = figures with
        {
            Requests = total,
            Succeeded = results.Sum(r => r.ok),
            RequestsPerSecond = total / watch.Elapsed.TotalSeconds,
            RequestP50Ms = Percentile(requestTimes, 0.50),
            RequestP99Ms = Percentile(requestTimes, 0.99),
            PeakRssMiB = Math.Max(peak, Rss(serve.Pid)),
            CpuMsPerRequest = cpu * 1000 / total,
            CommandRuns = commands?.Runs,
            CommandSkips = commands?.Skips,
            CommandsPerSecond = commands?.PerSecond,
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {settings.Clients} concurrent clients: {figures.RequestsPerSecond:0} requests/s ({figures.Succeeded}/{total} answered 200 in {watch.Elapsed.TotalSeconds:0.00} s), p50 {figures.RequestP50Ms:0.00} ms, p99 {figures.RequestP99Ms:0.00} ms"));
        if (commands is not null)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  commands: {commands.Runs} of {total} ran, all done {commands.Seconds:0.00} s after the first request ({commands.PerSecond:0} runs/s); skipped: {(commands.Skips.Count == 0 ? "none" : string.Join(", ", commands.Skips.Select(kv => $"{kv.Key} {kv.Value}")))}"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  serve CPU (its threads and the commands it reaped): {figures.CpuMsPerRequest:0.00} ms per request; resident memory: idle {figures.IdleRssMiB} MiB, peak under load {figures.PeakRssMiB} MiB"));
        await serve.StopAsync(TimeSpan.FromSeconds(10));
        return figures;
    }

    private async Task<BalancerFigures> RunBalancerAsync(CancellationToken cancellationToken)
    {
        output.WriteLine("== NodeBalancer emulator throughput (3 Workload instances behind one config)");
        await using var emulator = await SandboxEmulator.StartAsync(new SandboxEmulatorOptions { Token = LinodeToken }, cancellationToken);
        using var api = new HttpClient { BaseAddress = new Uri(emulator.BaseAddress, "v4/") };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LinodeToken);

        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var created = await PostAsync(api, "linode/instances", new
            {
                label = $"bench-{i}", region = "us-east", type = "g6-standard-2", image = "linode/debian12",
                root_pass = "Bench-Passw0rd-" + Guid.NewGuid().ToString("N")[..8], private_ip = true,
            }, cancellationToken);
            ids.Add(created.GetProperty("id").GetInt64());
        }

        var nb = await PostAsync(api, "nodebalancers", new { region = "us-east", label = "bench-nb" }, cancellationToken);
        var nbId = nb.GetProperty("id").GetInt64();
        var nbAddress = nb.GetProperty("ipv4").GetString()!;
        var config = await PostAsync(api, $"nodebalancers/{nbId}/configs", new
        {
            port = 8088, check = "http", check_path = "/health", check_interval = 2, check_timeout = 1, check_attempts = 2,
        }, cancellationToken);
        var configId = config.GetProperty("id").GetInt64();
        foreach (var id in ids)
        {
            await WaitUntilAsync(async () => (await GetAsync(api, $"linode/instances/{id}", cancellationToken)).GetProperty("status").GetString() == "running",
                "instances running", cancellationToken);
            var ips = await GetAsync(api, $"linode/instances/{id}/ips", cancellationToken);
            var priv = ips.GetProperty("ipv4").GetProperty("private")[0].GetProperty("address").GetString();
            await PostAsync(api, $"nodebalancers/{nbId}/configs/{configId}/nodes", new { label = $"n{id}", address = $"{priv}:8080" }, cancellationToken);
        }

        await WaitUntilAsync(async () => (await GetAsync(api, $"nodebalancers/{nbId}/configs/{configId}", cancellationToken))
            .GetProperty("nodes_status").GetProperty("up").GetInt32() == 3, "nodes UP", cancellationToken);

        var figures = new BalancerFigures { Connections = settings.BalancerConnections, Seconds = settings.BalancerDuration.TotalSeconds };
        var health = await ClosedLoopAsync(new Uri($"http://{nbAddress}:8088/health"), cancellationToken);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  GET /health, {settings.BalancerConnections} connections, {settings.BalancerDuration.TotalSeconds:0} s: {health.PerSecond:0} requests/s, p50 {health.P50:0.00} ms, p99 {health.P99:0.00} ms, errors {health.Errors}"));
        var work = await ClosedLoopAsync(new Uri($"http://{nbAddress}:8088/?work_ms=0"), cancellationToken);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  GET /?work_ms=0 (virtual-CPU path):                 {work.PerSecond:0} requests/s, p50 {work.P50:0.00} ms, p99 {work.P99:0.00} ms, errors {work.Errors}"));
        return figures with { Health = health, Work = work };
    }

    /// <summary>A fixed number of connections each sending its next request as soon as the last is answered, for
    /// the configured time: the balancer's saturation throughput.</summary>
    private async Task<ClosedLoopFigures> ClosedLoopAsync(Uri url, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.BalancerConnections, UseProxy = false };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.GetTimestamp() + (long)(settings.BalancerDuration.TotalSeconds * Stopwatch.Frequency);
        var watch = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, settings.BalancerConnections).Select(async _ =>
        {
            var samples = new List<double>(4096);
            var errors = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await client.GetAsync(url, cancellationToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        errors++;
                    }
                }
                catch (HttpRequestException)
                {
                    errors++;
                }

                samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            return (samples, errors);
        }));
        watch.Stop();
        var all = results.SelectMany(r => r.samples).ToList();
        all.Sort();
        return new ClosedLoopFigures
        {
            Requests = all.Count,
            Errors = results.Sum(r => r.errors),
            PerSecond = all.Count / watch.Elapsed.TotalSeconds,
            P50 = Percentile(all, 0.50),
            P99 = Percentile(all, 0.99),
        };
    }

    private static string Config(Uri linode, bool withCommand)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $$"""
            # snapshot_freshness 0s: each evaluation lists the pool, so the latency figure is alert -> first call of that
            # alert's own evaluation (with the shared account view an evaluation within 10 s of a list makes no call).
            linode: { url: "{{linode.ToString().TrimEnd('/')}}/v4", token: {{LinodeToken}}, snapshot_freshness: 0s }
            listen: 127.0.0.1:0
            # min_evaluation_interval 0s: the latency figure is of each alert's own evaluation; the default (2s) merges
            # the nudges of a pool within 2s into one, which is what a flood of webhooks meets in service.
            webhook: { auth: { bearer_token: {{WebhookToken}} }, min_evaluation_interval: 0s }
            engine: { evaluation_interval: 1h }
            alerts: { repeat_interval: 1h, expire_after_repeats: 3 }
            journal: { path: bench.db }
            pools:
              web:
                region: us-east
                type: g6-nanode-1
                image: linode/debian12
                tags: [bench]
                min: 2
                max: 2
                nodebalancer: { label: bench-nb, port: 80, node_port: 8080, create_if_missing: true }
                signals:
                  - { alert: PoolCpuHigh, action: up }

            """);
        if (withCommand)
        {
            // /bin/true: the cost measured is the service's (match, environment, fork/exec, wait), not the command's.
            // The webhook answers before the run, so the 16 clients keep more runs in flight than 16: the caps are
            // raised to the queue's size, so every alert runs its command (the skips printed say whether one did not).
            sb.Append("""
                command_limits: { max_concurrent: 256 }
                commands:
                  - { cmd: /bin/true, match_labels: { alertname: PoolCpuHigh }, max: 0, max_concurrent: 256 }

                """);
        }

        return sb.ToString();
    }

    private static StringContent Body(string fingerprint, int i)
    {
        var startsAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var json = $$"""
            {"receiver":"bench","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"PoolCpuHigh","pool":"web","instance":"{{fingerprint}}"},
            "annotations":{},"startsAt":"{{startsAt}}","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"{{fingerprint}}"}],
            "groupLabels":{"pool":"web"},"commonLabels":{"alertname":"PoolCpuHigh","pool":"web","instance":"{{fingerprint}}"},"commonAnnotations":{},
            "externalURL":"http://127.0.0.1:9093","version":"4","groupKey":"{}:{pool=\"web\"}","truncatedAlerts":0}
            """;
        return new StringContent(json, Encoding.UTF8, "application/json");
    }

    private static async Task WaitForPoolAsync(HttpClient http, ServeProcess serve, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        var warm = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (serve.HasExited)
            {
                throw new InvalidOperationException("bench: serve exited:" + Environment.NewLine + serve.Tail());
            }

            try
            {
                var pool = JsonDocument.Parse(await http.GetStringAsync("api/v1/pools/web", cancellationToken)).RootElement;
                if (pool.GetProperty("serving").GetInt32() == 2)
                {
                    return;
                }

                // The evaluation interval is long (so that every Linode call measured is one an alert caused): an
                // alert is what makes the engine look again while the pool boots and joins.
                using var nudge = await http.PostAsync("hook", Body($"warm{warm++:x4}", 0), cancellationToken);
                if (nudge.StatusCode == HttpStatusCode.Unauthorized)
                {
                    throw new InvalidOperationException("bench: the service refused the webhook token");
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException("bench: the pool did not reach 2 serving instances within 60 s:" + Environment.NewLine + serve.Tail());
    }

    /// <summary>Polls /metrics until every one of <paramref name="total"/> bodies has ended as a run or a skip (each
    /// body matches the one command), for at most 60 s.</summary>
    private static async Task<CommandFigures> CommandsDoneAsync(HttpClient http, CommandCounts before, int total, Stopwatch since,
        CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        CommandCounts now;
        while (true)
        {
            now = await CommandCountsAsync(http, cancellationToken);
            if (now.Runs + now.Skips.Values.Sum() - before.Runs - before.Skips.Values.Sum() >= total || Stopwatch.GetTimestamp() > deadline)
            {
                break;
            }

            await Task.Delay(20, cancellationToken);
        }

        var seconds = since.Elapsed.TotalSeconds;
        var runs = now.Runs - before.Runs;
        var skips = now.Skips
            .Select(kv => (kv.Key, Count: kv.Value - before.Skips.GetValueOrDefault(kv.Key)))
            .Where(kv => kv.Count > 0)
            .ToDictionary(kv => kv.Key, kv => kv.Count, StringComparer.Ordinal);
        return new CommandFigures(runs, skips, seconds, runs / seconds);
    }

    private static async Task<CommandCounts> CommandCountsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync("metrics", cancellationToken);
        var runs = 0.0;
        var skips = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("autoscaler_command_runs_total{", StringComparison.Ordinal))
            {
                runs += Value(line);
            }
            else if (line.StartsWith("autoscaler_command_skips_total{", StringComparison.Ordinal))
            {
                var at = line.IndexOf("reason=\"", StringComparison.Ordinal) + 8;
                var reason = line[at..line.IndexOf('"', at)];
                skips[reason] = skips.GetValueOrDefault(reason) + Value(line);
            }
        }

        return new CommandCounts(runs, skips);

        static double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    private readonly record struct CommandCounts(double Runs, Dictionary<string, double> Skips);

    private sealed record CommandFigures(double Runs, Dictionary<string, double> Skips, double Seconds, double PerSecond);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"bench: {what} not reached within 60 s");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<JsonElement> PostAsync(HttpClient api, string path, object body, CancellationToken cancellationToken)
    {
        using var response = await api.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"bench: POST {path} answered {(int)response.StatusCode}: {text}");
        }

        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> GetAsync(HttpClient api, string path, CancellationToken cancellationToken) =>
        JsonDocument.Parse(await api.GetStringAsync(path, cancellationToken)).RootElement.Clone();

    /// <summary>CPU seconds a process used, with the children it reaped (user and system, from /proc): unlike a rate,
    /// hardly changed by what else runs on the machine.</summary>
    private static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime, stime, cutime, cstime: fields 14-17 of proc(5), counted from the state (field 3) here.
            var ticks = fields.Skip(11).Take(4).Sum(f => long.Parse(f, CultureInfo.InvariantCulture));
            return ticks / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Resident set of a process in MiB, from /proc (0 when it is gone).</summary>
    private static long Rss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

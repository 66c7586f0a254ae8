using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Linode.Emulator;

namespace Autoscaler.Sandbox.Bench;

/// <summary>The resident memory and start-up of <c>serve</c> (<c>bench --only memory</c>).</summary>
public sealed record MemoryFigures
{
    /// <summary>Against the emulator: one Linode pool of 2 serving instances, as a small deployment runs.</summary>
    public ServeMemory? Small { get; init; }

    /// <summary>On the in-memory cloud: <see cref="Pools"/> virtual pools holding <see cref="Instances"/> in all.</summary>
    public ServeMemory? Fleet { get; init; }

    public int Pools { get; init; }

    public int Instances { get; init; }
}

/// <summary>One <c>serve</c> process, from its start to after a burst of webhooks.</summary>
public sealed record ServeMemory
{
    /// <summary>From the process's start to its "serving on" line.</summary>
    public double StartSeconds { get; init; }

    /// <summary>From the process's start until every instance serves.</summary>
    public double ReadySeconds { get; init; }

    public long IdleRssMiB { get; init; }

    public int Webhooks { get; init; }

    /// <summary>Resident set a few seconds after the webhooks were answered.</summary>
    public long AfterWebhooksRssMiB { get; init; }

    /// <summary>The resident set's high-water mark over the whole run (VmHWM).</summary>
    public long PeakRssMiB { get; init; }

    /// <summary>serve's own account of the memory when idle (<c>LINODE_AUTOSCALER_RUNTIME_REPORT</c>).</summary>
    public string? RuntimeIdle { get; init; }

    public string? RuntimeAfterWebhooks { get; init; }
}

/// <summary>
/// Starts <c>serve</c> as its own process, lets it settle, and reads its resident set from /proc: once with a small
/// Linode pool against the emulator (the daemon on a monitoring node), once with a thousand instances in virtual
/// pools (what it holds per managed instance, with no emulator in the way). The figures are what BENCHMARKS.md's
/// "Memory of serve" table records for each runtime setting tried.
/// </summary>
public sealed class MemoryBench(BenchSettings settings, TextWriter output)
{
    private const string WebhookToken = "bench-webhook-token";
    private const string LinodeToken = "bench-linode-token";
    private const string ReportSeconds = "5";

    public async Task<MemoryFigures> RunAsync(CancellationToken cancellationToken)
    {
        // serve inherits this process's environment: it then logs its runtime figures every few seconds.
        Environment.SetEnvironmentVariable("LINODE_AUTOSCALER_RUNTIME_REPORT", ReportSeconds);
        output.WriteLine($"== serve memory: idle {settings.MemoryIdle.TotalSeconds:0} s, then {settings.Alerts} webhooks");
        ServeMemory small;
        var options = new EmulatorOptions { Listen = "127.0.0.1:0" };
        options.RateLimits.Enabled = false;
        await using (var emulator = await SandboxEmulator.StartAsync(new SandboxEmulatorOptions { Emulator = options }, cancellationToken))
        {
            small = await MeasureAsync("small", SmallConfig(new Uri(emulator.ApiUrl)), 2, cancellationToken);
        }

        Print("one Linode pool, 2 instances (emulator)", small);
        var fleet = await MeasureAsync("fleet", FleetConfig(settings.MemoryPools, settings.MemoryInstances / settings.MemoryPools),
            settings.MemoryInstances / settings.MemoryPools * settings.MemoryPools, cancellationToken);
        Print($"{settings.MemoryPools} virtual pools, {settings.MemoryInstances} instances", fleet);
        return new MemoryFigures { Small = small, Fleet = fleet, Pools = settings.MemoryPools, Instances = settings.MemoryInstances };
    }

    private void Print(string what, ServeMemory m)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {what}: listening after {m.StartSeconds:0.00} s, all serving after {m.ReadySeconds:0.0} s; RSS idle {m.IdleRssMiB} MiB, "
            + $"after {m.Webhooks} webhooks {m.AfterWebhooksRssMiB} MiB, peak {m.PeakRssMiB} MiB"));
        output.WriteLine($"    idle:  {m.RuntimeIdle}");
        output.WriteLine($"    after: {m.RuntimeAfterWebhooks}");
    }

    private async Task<ServeMemory> MeasureAsync(string name, string config, int instances, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(settings.WorkDirectory, "memory-" + name);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        var configPath = Path.Combine(dir, "autoscaler.yaml");
        await File.WriteAllTextAsync(configPath, config, cancellationToken);

        var watch = Stopwatch.StartNew();
        await using var serve = await ServeProcess.StartAsync(settings.Program ?? ServeProgram.ThisProcess(), configPath, Path.Combine(dir, "serve.log"),
            TimeSpan.FromSeconds(120), cancellationToken);
        var started = watch.Elapsed.TotalSeconds;
        using var http = new HttpClient { BaseAddress = serve.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WebhookToken);
        await WaitServingAsync(http, serve, instances, cancellationToken);
        var ready = watch.Elapsed.TotalSeconds;

        await Task.Delay(settings.MemoryIdle, cancellationToken);
        var idle = ProcStatus(serve.Pid, "VmRSS:");
        var runtimeIdle = LastRuntimeLine(serve);

        // Distinct alerts from 16 clients: each is new alert state and a nudge of the engine, as a flood would be.
        var clients = Math.Min(16, settings.Alerts);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            for (var i = c; i < settings.Alerts; i += clients)
            {
                using var response = await http.PostAsync("hook", Body($"mem{i:x8}", "web"), cancellationToken);
                response.EnsureSuccessStatusCode();
            }
        }));
        await Task.Delay(TimeSpan.FromSeconds(double.Parse(ReportSeconds, CultureInfo.InvariantCulture) + 1), cancellationToken);
        var figures = new ServeMemory
        {
            StartSeconds = started,
            ReadySeconds = ready,
            IdleRssMiB = idle,
            Webhooks = settings.Alerts,
            AfterWebhooksRssMiB = ProcStatus(serve.Pid, "VmRSS:"),
            PeakRssMiB = ProcStatus(serve.Pid, "VmHWM:"),
            RuntimeIdle = runtimeIdle,
            RuntimeAfterWebhooks = LastRuntimeLine(serve),
        };
        await serve.StopAsync(TimeSpan.FromSeconds(10));
        return figures;
    }

    private static string SmallConfig(Uri linode) => string.Create(CultureInfo.InvariantCulture, $$"""
        linode: { url: "{{linode}}", token: {{LinodeToken}} }
        listen: 127.0.0.1:0
        webhook: { auth: { bearer_token: {{WebhookToken}} } }
        engine: { evaluation_interval: 5s }
        journal: { path: memory.db }
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

    private static string FleetConfig(int pools, int perPool)
    {
        var sb = new StringBuilder($$"""
            listen: 127.0.0.1:0
            webhook: { auth: { bearer_token: {{WebhookToken}} } }
            engine: { evaluation_interval: 5s }
            journal: { path: memory.db }
            pools:

            """);
        for (var p = 0; p < pools; p++)
        {
            // The first pool is "web", so the webhooks below match a pool, as in the small run.
            sb.Append(CultureInfo.InvariantCulture, $$"""
                  {{(p == 0 ? "web" : $"pool{p:00}")}}:
                    provider: virtual
                    provision_time: 0s
                    boot_time: 0s
                    health_check_delay: 0s
                    min: {{perPool}}
                    max: {{perPool}}
                    signals:
                      - { alert: PoolCpuHigh, action: up }

                """);
        }

        return sb.ToString();
    }

    private static async Task WaitServingAsync(HttpClient http, ServeProcess serve, int instances, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + 300 * Stopwatch.Frequency;
        var serving = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (serve.HasExited)
            {
                throw new InvalidOperationException("bench: serve exited:" + Environment.NewLine + serve.Tail());
            }

            using var pools = JsonDocument.Parse(await http.GetStringAsync("api/v1/pools", cancellationToken));
            serving = pools.RootElement.GetProperty("pools").EnumerateArray().Sum(p => p.TryGetProperty("serving", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : 0);
            if (serving >= instances)
            {
                return;
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException($"bench: {serving} of {instances} instances serving after 300 s:" + Environment.NewLine + serve.Tail());
    }

    private static string? LastRuntimeLine(ServeProcess serve)
    {
        var line = serve.Tail(200).Split('\n').LastOrDefault(l => l.Contains("runtime: ", StringComparison.Ordinal));
        return line?[(line.IndexOf("runtime: ", StringComparison.Ordinal) + "runtime: ".Length)..].TrimEnd();
    }

    private static StringContent Body(string fingerprint, string pool) => new($$"""
        {"receiver":"bench","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"PoolCpuHigh","pool":"{{pool}}","instance":"{{fingerprint}}"},
        "annotations":{},"startsAt":"2026-01-01T00:00:00.000Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"{{fingerprint}}"}],
        "groupLabels":{"pool":"{{pool}}"},"commonLabels":{"alertname":"PoolCpuHigh","pool":"{{pool}}"},"commonAnnotations":{},
        "externalURL":"http://127.0.0.1:9093","version":"4","groupKey":"{}:{pool=\"{{pool}}\"}","truncatedAlerts":0}
        """, Encoding.UTF8, "application/json");

    /// <summary>A /proc/PID/status figure in MiB (0 when the process is gone).</summary>
    private static long ProcStatus(int pid, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
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
}

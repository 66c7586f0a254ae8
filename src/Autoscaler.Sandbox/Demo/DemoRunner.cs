using System.Globalization;
using System.Security.Cryptography;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Linode;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Load;
using Autoscaler.Service;
using Autoscaler.Service.Configuration;
using Linode.Emulator;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Sandbox.Demo;

/// <summary>
/// The reference architecture run end to end on loopback: the Linode emulator (instances are Workload processes), a
/// NodeBalancer with HTTP health checks, the autoscaler service, real Prometheus and Alertmanager; a pool of
/// <see cref="DemoSettings.Min"/> instances takes steady load, then a spike, then steady and quiet load again, and the
/// run records what the autoscaler did about it. Whatever happens (an error, Ctrl-C), everything it started is
/// stopped before <see cref="RunAsync"/> returns or throws. Built from the sandbox's parts: <see cref="SandboxEmulator"/>,
/// a <see cref="RecordingProxy"/> between the service and the API (it times the first call of a scale-up), the
/// service in process, and the <see cref="MonitoringStack"/>; the load comes from <see cref="LoadGenerator"/>.
/// </summary>
public sealed partial class DemoRunner
{
    private const string NodeBalancerLabel = "demo-web-nb";
    private const int NodeBalancerPort = 8088;
    private const int AppPort = 8080;
    private const int MetricsPort = 9100;

    private readonly DemoSettings _settings;
    private readonly IDemoReporter _reporter;
    private readonly TimeProvider _time;
    private readonly DemoProfile _profile;
    private readonly EmulatorDelays _delays = EmulatorDelays.Fast;

    // Run state, touched only by the run's own loop (the load generator's callback only swaps _lastLoad).
    private readonly List<DemoSample> _samples = [];
    private readonly List<DemoEvent> _events = [];
    private readonly Dictionary<(bool Decision, long Id), byte> _seenEvents = [];
    private readonly List<Decision> _decisions = [];
    private readonly List<OperationEvent> _operations = [];
    private readonly Dictionary<string, AlertStatus> _alertStatus = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MemberLifecycle> _lifecycles = new(StringComparer.Ordinal);
    private readonly HashSet<Uri> _endpoints = [];
    private LoadSample? _lastLoad;
    private DateTimeOffset _origin;
    private DateTimeOffset? _firstHighReceivedAt;

    private DemoRunner(DemoSettings settings, IDemoReporter reporter, TimeProvider time)
    {
        _settings = settings;
        _reporter = reporter;
        _time = time;
        _profile = settings.Profile();
    }

    /// <summary>Runs the demo. Throws <see cref="SandboxSetupException"/> when a part does not start (the message says
    /// which and why), <see cref="OperationCanceledException"/> when cancelled; in both cases after cleaning up.</summary>
    public static Task<DemoResult> RunAsync(DemoSettings settings, IDemoReporter reporter, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(reporter);
        var errors = settings.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(settings));
        }

        return new DemoRunner(settings, reporter, time ?? TimeProvider.System).RunAsync(cancellationToken);
    }

    private double Since(DateTimeOffset at) => (at - _origin).TotalSeconds;

    private async Task<DemoResult> RunAsync(CancellationToken ct)
    {
        // Before anything starts: a missing program is the most likely problem on a new machine.
        var monitoringOptions = _settings.Monitoring();
        MonitoringStack.Programs(monitoringOptions);

        var started = _time.GetUtcNow();
        _origin = started;
        var ownsWorkDir = _settings.WorkDirectory is null;
        var workDir = _settings.WorkDirectory is { } wd
            ? Directory.CreateDirectory(wd).FullName
            : Directory.CreateTempSubdirectory("linode-autoscaler-demo-").FullName;
        var logDir = Directory.CreateDirectory(Path.Combine(workDir, "logs")).FullName;
        var dataDir = Directory.CreateDirectory(Path.Combine(workDir, "data")).FullName;
        var configDir = Directory.CreateDirectory(Path.Combine(workDir, "config")).FullName;
        _reporter.OnStep($"work folder {workDir}");

        var linodeToken = Token();
        var webhookToken = Token();
        using var emulatorLog = new FileLoggerProvider(Path.Combine(logDir, "emulator.log"), _time);
        using var serviceLog = new FileLoggerProvider(Path.Combine(logDir, "autoscaler.log"), _time);
        using var emulatorLogs = LoggerFactory.Create(b => b.AddProvider(emulatorLog).SetMinimumLevel(LogLevel.Information));
        using var serviceLogs = LoggerFactory.Create(b => b.AddProvider(serviceLog).SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning));

        SandboxEmulator? emulator = null;
        RecordingProxy? proxy = null;
        AutoscalerHost? service = null;
        MonitoringStack? monitoring = null;
        using var loadStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<LoadReport>? loadTask = null;
        Task<DateTimeOffset?>? firstNewNodeTask = null;
        var leftovers = new List<string>();
        var childIds = new List<int>();
        var success = false;
        DemoResult? result = null;
        try
        {
            // The emulator bills by the same shortened period as the autoscaler reckons with (see the YAML below).
            var emulatorOptions = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = _delays, BillingPeriod = _settings.BillingPeriod };
            emulatorOptions.Tokens.Add(linodeToken);
            emulatorOptions.Runtime.DefaultCommand = new ImageCommand(ProcessInstanceRuntime.WorkloadPlaceholder,
                ["--address", "{address}", "--vcpus", "{vcpus}", "--work-ms", _settings.WorkMs.ToString(CultureInfo.InvariantCulture)]);
            emulator = await SandboxEmulator.StartAsync(new SandboxEmulatorOptions
            {
                Emulator = emulatorOptions,
                Services = new EmulatorServices { LoggerFactory = emulatorLogs, Time = _time },
                // The demo's own watchers (first node UP, the pool settled) poll as another user of the account, so
                // the autoscaler alone spends its rate-limit budget, as on a real account.
                Token = "demo-inspector-" + Guid.NewGuid().ToString("N"),
                Time = _time,
            }, ct);
            Listening("emulator", emulator.BaseAddress);
            _reporter.OnStep($"Linode API emulator at {emulator.BaseAddress}v4 (instances boot the Workload: {_settings.WorkMs} ms of CPU per request, "
                + $"{_settings.Vcpus} vCPU for {_settings.InstanceType})");

            // The service's Linode calls pass a recording proxy: the summary times the first call of a scale-up.
            proxy = await RecordingProxy.StartAsync(emulator.BaseAddress, _time, ct);
            Listening("linode proxy", proxy.BaseAddress);
            var linode = emulator.Client;
            var (nb, nbConfig) = await CreateNodeBalancerAsync(emulator, ct);
            Listening("nodebalancer", new Uri($"http://{nb.Ipv4}:{NodeBalancerPort}/"));

            // Prometheus' port is chosen before the autoscaler starts: the dashboard's queries go there.
            var prometheusPort = MonitoringStack.FreePort();
            var config = ServiceConfig(proxy.BaseAddress, dataDir, configDir, linodeToken, webhookToken, new Uri($"http://127.0.0.1:{prometheusPort}/"));
            service = await AutoscalerHost.StartAsync(config, new AutoscalerServices { LoggerFactory = serviceLogs, Time = _time }, ct);
            Listening("autoscaler", service.BaseAddress);
            var poolConfig = config.FindPool(_settings.Pool)!;
            _reporter.OnStep($"autoscaler at {service.BaseAddress} (webhook /hook with a bearer token made for this run, /http_sd, /api/v1/events); "
                + $"pool '{_settings.Pool}' min {_settings.Min} max {_settings.Max}, tag {poolConfig.EffectivePoolTag}");
            _reporter.OnStep($"billing: per started period of {DemoSettings.Seconds(_settings.BillingPeriod)} (Linode's hour, shortened) on the emulator and the autoscaler; "
                + $"a member no longer needed is kept serving until its paid period ends and released {DemoSettings.Seconds(_settings.ReleaseMargin)} + the drain before it");
            _reporter.OnStep($"dashboard: {service.BaseAddress} (open it in a browser: live charts, decisions and alerts while the demo runs)");

            monitoring = await MonitoringStack.StartAsync(monitoringOptions, workDir, service.BaseAddress, webhookToken, prometheusPort, ct);
            childIds.AddRange(monitoring.Processes.Select(p => p.Id));
            Listening("alertmanager", monitoring.AlertmanagerUrl, monitoring.Processes.First(p => p.Name == "alertmanager").Id);
            Listening("prometheus", monitoring.PrometheusUrl, monitoring.Processes.First(p => p.Name == "prometheus").Id);
            _reporter.OnStep($"alertmanager at {monitoring.AlertmanagerUrl} → webhook; group_wait {DemoSettings.Seconds(_settings.GroupWait)}, "
                + $"group_interval {DemoSettings.Seconds(_settings.GroupInterval)}, repeat_interval {DemoSettings.Seconds(_settings.RepeatInterval)}");
            _reporter.OnStep($"prometheus at {monitoring.PrometheusUrl}: targets from /http_sd, scrape every {DemoSettings.Seconds(_settings.ScrapeInterval)}; "
                + $"PoolCpuHigh > {_settings.HighPercent:0}% for {DemoSettings.Seconds(_settings.HighFor)}, "
                + $"PoolCpuLow < {_settings.LowPercent:0}% for {DemoSettings.Seconds(_settings.LowFor)} ({MonitoringStack.CpuSeries} over {DemoSettings.Seconds(_settings.RateWindow)})");

            await WaitPoolReadyAsync(service, monitoring, ct);
            var initialNodes = (await linode.NodeBalancers.ListNodesAsync(nb.Id, nbConfig.Id, ct).ToListAsync(ct)).Select(n => n.Address).ToHashSet(StringComparer.Ordinal);

            var target = new Uri($"http://{nb.Ipv4}:{NodeBalancerPort}/");
            var loadOptions = new LoadGeneratorOptions
            {
                Targets = [target],
                Profile = _profile.Load,
                Seed = _settings.Seed,
                Timeout = TimeSpan.FromSeconds(10),
                Time = _time,
            };
            _reporter.OnStep($"load through the NodeBalancer {target}: {string.Join(" → ", _profile.Phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.Rate:0.#} rps for {p.Duration.TotalSeconds:0} s")))} "
                + string.Create(CultureInfo.InvariantCulture, $"(the pool of {_settings.Min} serves {_settings.StartCapacity:0.#} rps)"));

            _reporter.OnStep($"watch it on the dashboard: {service.BaseAddress}");
            _origin = _time.GetUtcNow();
            var generator = new LoadGenerator(loadOptions);
            loadTask = generator.RunAsync(sample => Volatile.Write(ref _lastLoad, sample), loadStop.Token);
            var spikeAt = _origin + _profile.Spike.Start;
            firstNewNodeTask = WatchFirstNewNodeAsync(linode, nb.Id, nbConfig.Id, initialNodes, spikeAt, loadStop.Token);

            using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time))
            {
                while (!loadTask.IsCompleted)
                {
                    await timer.WaitForNextTickAsync(ct);
                    await TickAsync(service, monitoring, load: true, ct);
                }

                var report = await loadTask;
                _reporter.OnStep(string.Create(CultureInfo.InvariantCulture,
                    $"load done: {report.Requests.Total} requests, {report.Requests.Errors} errors, p95 {report.Requests.P95Ms:0} ms; waiting for the pool to settle at its minimum"));

                var settleUntil = _time.GetUtcNow() + _settings.SettleTimeout;
                var settled = false;
                while (_time.GetUtcNow() < settleUntil)
                {
                    await timer.WaitForNextTickAsync(ct);
                    await TickAsync(service, monitoring, load: false, ct);
                    if (await IsSettledAsync(service, linode, poolConfig.EffectivePoolTag, ct))
                    {
                        settled = true;
                        break;
                    }
                }

                if (!settled)
                {
                    _reporter.OnStep($"the pool did not settle at its minimum within {_settings.SettleTimeout.TotalSeconds:0} s");
                }

                // The last word of the audit trail, then the bill both sides reckon, then the pool as the cloud has it.
                CollectEvents(service, report: false);
                var (billed, balance) = await BillsAsync(service, emulator, ct);
                var status = service.Engine.GetStatus(_settings.Pool);
                var (finalInstances, leakedAtEnd) = await CountPoolAsync(linode, poolConfig.EffectivePoolTag, nb.Id, nbConfig.Id,
                    status.Operations.Select(o => o.MemberId).OfType<string>().ToHashSet(StringComparer.Ordinal), ct);

                DateTimeOffset? firstNewNode = null;
                await loadStop.CancelAsync();
                try
                {
                    firstNewNode = await firstNewNodeTask;
                }
                catch (OperationCanceledException)
                {
                }

                // Stop everything before counting what is left behind.
                var calls = proxy.Exchanges;
                var cleanup = await CleanupAsync(monitoring, service, proxy, emulator, childIds);
                monitoring = null;
                service = null;
                proxy = null;
                emulator = null;
                leftovers.AddRange(cleanup.Problems);

                var summary = Summarize(report, finalInstances, leakedAtEnd + cleanup.InstancesLeft, firstNewNode, calls, started)
                    with { BilledUsd = billed, BalanceUninvoicedUsd = balance };
                result = new DemoResult
                {
                    Summary = summary,
                    Samples = _samples.ToArray(),
                    Events = _events.ToArray(),
                    Decisions = _decisions.OrderBy(d => d.At).ToArray(),
                    Operations = _operations.OrderBy(o => o.At).ToArray(),
                    WorkDirectory = workDir,
                    ChildProcessIds = childIds,
                    Endpoints = _endpoints.ToArray(),
                    Leftovers = leftovers,
                };
            }

            result = WriteOutputs(result, workDir);
            success = true;
            return result;
        }
        finally
        {
            if (loadTask is not null)
            {
                await loadStop.CancelAsync();
                try
                {
                    await loadTask;
                }
                catch (OperationCanceledException)
                {
                }
            }

            if (firstNewNodeTask is not null)
            {
                try
                {
                    await firstNewNodeTask;
                }
                catch (OperationCanceledException)
                {
                }
            }

            if (monitoring is not null || service is not null || proxy is not null || emulator is not null)
            {
                _reporter.OnStep("stopping everything");
                await CleanupAsync(monitoring, service, proxy, emulator, childIds);
            }

            if (success && ownsWorkDir && !_settings.KeepLogs)
            {
                foreach (var dir in new[] { logDir, dataDir, configDir })
                {
                    TryDelete(dir);
                }

                if (!Directory.EnumerateFileSystemEntries(workDir).Any())
                {
                    TryDelete(workDir);
                }
            }
            else
            {
                _reporter.OnStep($"logs and configs kept in {workDir}");
            }
        }
    }

    private DemoResult WriteOutputs(DemoResult result, string workDir)
    {
        var plotPath = _settings.PlotPath
            ?? (_settings.SummaryPath is { } s ? Path.ChangeExtension(Path.GetFullPath(s), ".png") : Path.Combine(workDir, "demo.png"));
        string? writtenPlot = null;
        try
        {
            DemoPlot.Save(plotPath, _settings, _profile, result.Samples, result.Summary.Decisions);
            writtenPlot = Path.GetFullPath(plotPath);
            _reporter.OnStep($"plot written to {writtenPlot}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            _reporter.OnStep($"plot not written ({plotPath}): {e.Message}");
        }

        string? writtenSummary = null;
        if (_settings.SummaryPath is { } summaryPath)
        {
            var full = Path.GetFullPath(summaryPath);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, result.Summary.ToJson() + Environment.NewLine);
            writtenSummary = full;
            _reporter.OnStep($"summary written to {full}");
        }

        return result with { PlotPath = writtenPlot, SummaryPath = writtenSummary };
    }

    private DemoSummary Summarize(LoadReport report, int finalInstances, int leaked, DateTimeOffset? firstNewNode, IReadOnlyList<Exchange> calls, DateTimeOffset started)
    {
        var changes = _decisions
            .Where(d => d.At >= _origin && d.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown)
            .OrderBy(d => d.At)
            .ToArray();

        // Alert → first cloud call: the first scale-up decided after the webhook received PoolCpuHigh, the launch it
        // journaled, and the first Linode request the service sent from then on (the launch's label lookup).
        long? alertToCall = null;
        string? firstCall = null;
        if (_firstHighReceivedAt is { } alertAt
            && _decisions.Where(d => d.Action == DecisionAction.ScaleUp && d.At >= alertAt.AddMilliseconds(-1)).MinBy(d => d.At) is { } decision
            && _operations.Where(o => o.Kind == OperationKind.Launch && o.Type == OperationEventType.Started && o.At >= decision.At.AddMilliseconds(-1))
                .MinBy(o => o.At) is { } launch
            && calls.Where(c => c.ReceivedUtc >= launch.At).MinBy(c => c.ReceivedUtc) is { } call)
        {
            alertToCall = (long)Math.Round((call.ReceivedUtc - alertAt).TotalMilliseconds);
            firstCall = call.Endpoint;
        }

        var spikeStart = _origin + _profile.Spike.Start;
        var floor = _settings.ScrapeInterval + _settings.HighFor + _settings.GroupWait + _delays.Provisioning + _delays.Booting
            + TimeSpan.FromSeconds(_settings.HealthCheckIntervalSeconds);
        var spikeEnd = _profile.Spike.End.TotalSeconds;
        var backToMin = _samples.FirstOrDefault(s => s.Seconds > spikeEnd && s.Instances == _settings.Min && s.Booting == 0 && s.Draining == 0);
        return new DemoSummary
        {
            ScaleUps = changes.Count(d => d.Action == DecisionAction.ScaleUp),
            ScaleDowns = changes.Count(d => d.Action == DecisionAction.ScaleDown),
            PeakInstances = Math.Max(_settings.Min, _samples.Count == 0 ? 0 : _samples.Max(s => s.Instances)),
            FinalInstances = finalInstances,
            MinInstances = _settings.Min,
            MaxInstances = _settings.Max,
            LeakedInstances = leaked,
            AlertToFirstApiCallMs = alertToCall,
            FirstApiCall = firstCall,
            SpikeToServingSeconds = firstNewNode is { } up ? Math.Round((up - spikeStart).TotalSeconds, 1) : null,
            SpikeToServingFloorSeconds = floor.TotalSeconds,
            Requests = new DemoRequests(report.Requests.Total, report.Requests.Errors, report.Requests.P95Ms is { } p ? Math.Round(p, 1) : null),
            Profile = _profile.Load.Description,
            Seed = report.Seed,
            InstanceCapacityRps = _settings.InstanceCapacity,
            BackToMinSeconds = backToMin?.Seconds,
            ElapsedSeconds = Math.Round((_time.GetUtcNow() - started).TotalSeconds, 1),
            Decisions = changes.Select(d => DemoSummary.From(d, _origin)).ToArray(),
        };
    }

    private async Task<(NodeBalancer Nb, Autoscaler.Linode.Models.NodeBalancerConfig Config)> CreateNodeBalancerAsync(SandboxEmulator emulator, CancellationToken ct)
    {
        var (nb, config) = await emulator.CreateNodeBalancerAsync(NodeBalancerLabel,
            SandboxEmulator.HealthCheckedHttp(NodeBalancerPort, _settings.HealthCheckIntervalSeconds, checkAttempts: 2), cancellationToken: ct);
        _reporter.OnStep($"NodeBalancer {nb.Label} at {nb.Ipv4}:{config.Port} (http, roundrobin, check GET /health every {config.CheckInterval} s)");
        return (nb, config);
    }

    private AutoscalerConfig ServiceConfig(Uri emulator, string dataDir, string configDir, string linodeToken, string webhookToken, Uri prometheus)
    {
        var s = _settings;
        var window = DemoSettings.Seconds(s.RateWindow);
        // What the dashboard charts: requests to / (the load through the NodeBalancer; health checks are /health),
        // the recording rule the alerts use, and the p95 of the instances' latency histogram.
        var requests = $"sum(rate(workload_http_requests_total{{pool=\"{s.Pool}\",handler=\"/\"}}[{window}]))";
        var cpu = $"{MonitoringStack.CpuSeries}{{pool=\"{s.Pool}\"}}";
        var latency = $"histogram_quantile(0.95, sum by (le) (rate(workload_http_request_duration_seconds_bucket{{pool=\"{s.Pool}\",handler=\"/\"}}[{window}])))";
        var yaml = $$"""
            # linode-autoscaler for the demo: short cooldowns, the pool doubles while CPU is high (step_percent 100)
            # and loses two instances at a time while it is low, each kept until its paid period ends (billing: hourly,
            # the period shortened to fit the demo, billing_hold with it). Secrets come from the environment of the run.
            linode:
              url: {{emulator}}v4
              token: ${LINODE_TOKEN}
              billing_period: {{DemoSettings.Seconds(s.BillingPeriod)}}
            listen: 127.0.0.1:0
            webhook:
              auth: { bearer_token: "${WEBHOOK_TOKEN}" }
            engine:
              evaluation_interval: 1s
            alerts:
              repeat_interval: {{DemoSettings.Seconds(s.RepeatInterval)}}
              expire_after_repeats: 3
            journal:
              path: {{Path.Combine(dataDir, "autoscaler.db")}}
            dashboard: { sample_interval: 1s, history: 1h }
            pools:
              {{s.Pool}}:
                region: us-east
                type: {{s.InstanceType}}
                image: linode/debian12
                tags: [app:{{s.Pool}}]
                min: {{s.Min}}
                max: {{s.Max}}
                nodebalancer: { label: {{NodeBalancerLabel}}, port: {{NodeBalancerPort}}, node_port: {{AppPort}} }
                health: { grace: 30s, replace_after: 30s }
                scale_up: { step: 2, step_percent: 100, cooldown: 3s, max_in_flight: {{s.Max}}, billing_hold: 1s }
                scale_down: { step: 2, cooldown: 4s, drain: 2s, victim: newest, billing: hourly, release_margin: {{DemoSettings.Seconds(s.ReleaseMargin)}} }
                signals:
                  - { alert: PoolCpuHigh, action: up }
                  - { alert: PoolCpuLow, action: down }
                dashboard:
                  prometheus: {{prometheus}}
                  requests: '{{requests}}'
                  cpu: '{{cpu}}'
                  latency_p95: '{{latency}}'

            """;
        var path = Path.Combine(configDir, "autoscaler.yaml");
        File.WriteAllText(path, yaml);
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["LINODE_TOKEN"] = linodeToken, ["WEBHOOK_TOKEN"] = webhookToken };
        var parsed = ServiceSchema.Parse(yaml, env, new ConfigLoadOptions { BaseDirectory = configDir });
        if (!parsed.IsValid)
        {
            throw new SandboxSetupException("the demo's autoscaler configuration is invalid: " + string.Join("; ", parsed.Errors));
        }

        return parsed.Config;
    }

    private sealed record CleanupReport(int InstancesLeft, IReadOnlyList<string> Problems);

    /// <summary>Stops Prometheus and Alertmanager, the autoscaler (so it launches nothing more) and its proxy, deletes
    /// every instance and NodeBalancer through the API, stops the emulator (and with it every instance process), then
    /// checks that nothing is left: no process, no instance, no listener.</summary>
    private async Task<CleanupReport> CleanupAsync(MonitoringStack? monitoring, AutoscalerHost? service, RecordingProxy? proxy,
        SandboxEmulator? emulator, IReadOnlyList<int> childIds)
    {
        var problems = new List<string>();
        var instancesLeft = 0;
        if (monitoring is not null)
        {
            await monitoring.DisposeAsync();
        }

        if (service is not null)
        {
            await service.DisposeAsync();
        }

        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }

        if (emulator is not null)
        {
            (instancesLeft, var deleteProblems) = await emulator.DeleteEverythingAsync(TimeSpan.FromSeconds(30), _time);
            problems.AddRange(deleteProblems);
            await emulator.DisposeAsync();
        }

        foreach (var id in childIds)
        {
            if (Leftovers.IsAlive(id))
            {
                problems.Add($"process {id} still running");
            }
        }

        foreach (var endpoint in _endpoints)
        {
            if (await Leftovers.IsListeningAsync(endpoint))
            {
                problems.Add($"{endpoint.Authority} still listening");
            }
        }

        return new CleanupReport(instancesLeft, problems);
    }

    private static string Token() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the user; the path was printed at the start.
        }
    }
}

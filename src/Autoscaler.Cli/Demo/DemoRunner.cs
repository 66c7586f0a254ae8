using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Autoscaler.Cli.Load;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Linode;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Autoscaler.Service;
using Autoscaler.Service.Configuration;
using Linode.Emulator;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Cli.Demo;

/// <summary>
/// The reference architecture run end to end on loopback: the Linode emulator (instances are Workload processes), a
/// NodeBalancer with HTTP health checks, the autoscaler service, real Prometheus and Alertmanager; a pool of
/// <see cref="DemoSettings.Min"/> instances takes steady load, then a spike, then steady and quiet load again, and the
/// run records what the autoscaler did about it. Whatever happens (an error, Ctrl-C), everything it started is
/// stopped before <see cref="RunAsync"/> returns or throws.
/// </summary>
public sealed class DemoRunner
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

    /// <summary>Runs the demo. Throws <see cref="DemoSetupException"/> when a part does not start (the message says
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
        MonitoringNode.Programs(_settings);

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
        using var calls = new LinodeCallRecorder(_time);

        EmulatorHost? emulator = null;
        StandaloneLinodeClient? linode = null;
        AutoscalerHost? service = null;
        MonitoringNode? monitoring = null;
        using var loadStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<LoadReport>? loadTask = null;
        Task<DateTimeOffset?>? firstNewNodeTask = null;
        var leftovers = new List<string>();
        var childIds = new List<int>();
        var success = false;
        DemoResult? result = null;
        try
        {
            var emulatorOptions = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = _delays };
            emulatorOptions.Tokens.Add(linodeToken);
            emulatorOptions.Runtime.DefaultCommand = new ImageCommand(ProcessInstanceRuntime.WorkloadPlaceholder,
                ["--address", "{address}", "--vcpus", "{vcpus}", "--work-ms", _settings.WorkMs.ToString(CultureInfo.InvariantCulture)]);
            emulator = await EmulatorHost.StartAsync(emulatorOptions, new EmulatorServices { LoggerFactory = emulatorLogs, Time = _time }, ct);
            Listening("emulator", emulator.BaseAddress);
            _reporter.OnStep($"Linode API emulator at {emulator.BaseAddress}v4 (instances boot the Workload: {_settings.WorkMs} ms of CPU per request, "
                + $"{_settings.Vcpus} vCPU for {_settings.InstanceType})");

            linode = LinodeClient.Create(new LinodeClientOptions { BaseUrl = emulator.BaseAddress + "v4", Token = linodeToken }, _time);
            var (nb, nbConfig) = await CreateNodeBalancerAsync(linode, ct);
            Listening("nodebalancer", new Uri($"http://{nb.Ipv4}:{NodeBalancerPort}/"));

            // Prometheus' port is chosen before the autoscaler starts: the dashboard's queries go there.
            var prometheusPort = MonitoringNode.FreePort();
            var config = ServiceConfig(emulator.BaseAddress, dataDir, configDir, linodeToken, webhookToken, new Uri($"http://127.0.0.1:{prometheusPort}/"));
            service = await AutoscalerHost.StartAsync(config, new AutoscalerServices { LoggerFactory = serviceLogs, Time = _time }, ct);
            Listening("autoscaler", service.BaseAddress);
            var poolConfig = config.FindPool(_settings.Pool)!;
            _reporter.OnStep($"autoscaler at {service.BaseAddress} (webhook /hook with a bearer token made for this run, /http_sd, /api/v1/events); "
                + $"pool '{_settings.Pool}' min {_settings.Min} max {_settings.Max}, tag {poolConfig.EffectivePoolTag}");
            _reporter.OnStep($"dashboard: {service.BaseAddress} (open it in a browser: live charts, decisions and alerts while the demo runs)");

            monitoring = await MonitoringNode.StartAsync(_settings, workDir, service.BaseAddress, webhookToken, prometheusPort, ct);
            childIds.AddRange(monitoring.Processes.Select(p => p.Id));
            Listening("alertmanager", monitoring.AlertmanagerUrl, monitoring.Processes.First(p => p.Name == "alertmanager").Id);
            Listening("prometheus", monitoring.PrometheusUrl, monitoring.Processes.First(p => p.Name == "prometheus").Id);
            _reporter.OnStep($"alertmanager at {monitoring.AlertmanagerUrl} → webhook; group_wait {DemoSettings.Seconds(_settings.GroupWait)}, "
                + $"group_interval {DemoSettings.Seconds(_settings.GroupInterval)}, repeat_interval {DemoSettings.Seconds(_settings.RepeatInterval)}");
            _reporter.OnStep($"prometheus at {monitoring.PrometheusUrl}: targets from /http_sd, scrape every {DemoSettings.Seconds(_settings.ScrapeInterval)}; "
                + $"PoolCpuHigh > {_settings.HighPercent:0}% for {DemoSettings.Seconds(_settings.HighFor)}, "
                + $"PoolCpuLow < {_settings.LowPercent:0}% for {DemoSettings.Seconds(_settings.LowFor)} ({MonitoringNode.CpuSeries} over {DemoSettings.Seconds(_settings.RateWindow)})");

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

                // The last word of the audit trail, then the pool as the cloud has it.
                CollectEvents(service, report: false);
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
                var cleanup = await CleanupAsync(monitoring, service, linode, emulator, childIds);
                monitoring = null;
                service = null;
                emulator = null;
                leftovers.AddRange(cleanup.Problems);

                var summary = Summarize(report, finalInstances, leakedAtEnd + cleanup.InstancesLeft, firstNewNode, calls.Calls, started);
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

            if (monitoring is not null || service is not null || emulator is not null)
            {
                _reporter.OnStep("stopping everything");
                await CleanupAsync(monitoring, service, linode, emulator, childIds);
            }

            linode?.Dispose();
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

    private DemoSummary Summarize(LoadReport report, int finalInstances, int leaked, DateTimeOffset? firstNewNode, IReadOnlyList<LinodeCall> calls, DateTimeOffset started)
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
            && calls.Where(c => c.SentAt >= launch.At).MinBy(c => c.SentAt) is { } call)
        {
            alertToCall = (long)Math.Round((call.SentAt - alertAt).TotalMilliseconds);
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

    private async Task<(NodeBalancer Nb, Autoscaler.Linode.Models.NodeBalancerConfig Config)> CreateNodeBalancerAsync(StandaloneLinodeClient linode, CancellationToken ct)
    {
        var nb = await linode.NodeBalancers.CreateAsync(new CreateNodeBalancerRequest { Region = "us-east", Label = NodeBalancerLabel }, ct);
        var config = await linode.NodeBalancers.CreateConfigAsync(nb.Id, new ConfigRequest
        {
            Port = NodeBalancerPort,
            Protocol = ConfigProtocol.Http,
            Algorithm = BalancingAlgorithm.Roundrobin,
            Check = HealthCheck.Http,
            CheckPath = "/health",
            CheckInterval = _settings.HealthCheckIntervalSeconds,
            CheckTimeout = 1,
            CheckAttempts = 2,
            // Saturated instances answer 503 by design; passive checks would take them out and shrink capacity
            // exactly when it is short.
            CheckPassive = false,
        }, ct);
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
        var cpu = $"{MonitoringNode.CpuSeries}{{pool=\"{s.Pool}\"}}";
        var latency = $"histogram_quantile(0.95, sum by (le) (rate(workload_http_request_duration_seconds_bucket{{pool=\"{s.Pool}\",handler=\"/\"}}[{window}])))";
        var yaml = $$"""
            # linode-autoscaler for the demo: short cooldowns, the pool doubles while CPU is high (step_percent 100)
            # and loses two instances at a time while it is low. Secrets come from the environment of the run.
            linode:
              url: {{emulator}}v4
              token: ${LINODE_TOKEN}
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
                scale_up: { step: 2, step_percent: 100, cooldown: 3s, max_in_flight: {{s.Max}} }
                scale_down: { step: 2, cooldown: 4s, drain: 2s, victim: newest }
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
            throw new DemoSetupException("the demo's autoscaler configuration is invalid: " + string.Join("; ", parsed.Errors));
        }

        return parsed.Config;
    }

    private async Task WaitPoolReadyAsync(AutoscalerHost service, MonitoringNode monitoring, CancellationToken ct)
    {
        var deadline = _time.GetUtcNow() + _settings.StartTimeout;
        var serving = false;
        while (true)
        {
            var view = service.Engine.GetStatus(_settings.Pool).View;
            if (!serving && view is { Launching: 0 } && view.Serving >= _settings.Min)
            {
                serving = true;
                _reporter.OnStep($"pool '{_settings.Pool}': {view.Serving} instances serving ("
                    + string.Join(", ", view.Members.Where(m => m.Lifecycle == MemberLifecycle.Serving).Select(m => $"{m.Member.Label} {m.Member.Address}")) + ")");
                foreach (var m in view.Members)
                {
                    _lifecycles[m.Member.Id] = m.Lifecycle;
                    InstanceListening(m.Member);
                }
            }

            if (serving)
            {
                var up = await monitoring.TargetsUpAsync(_settings.Pool, ct);
                var cpu = await monitoring.QueryAsync($"{MonitoringNode.CpuSeries}{{pool=\"{_settings.Pool}\"}}", ct);
                if (up >= _settings.Min && cpu is not null)
                {
                    _reporter.OnStep(string.Create(CultureInfo.InvariantCulture, $"prometheus scrapes {up} targets; pool CPU {cpu:0}%"));
                    return;
                }
            }

            if (_time.GetUtcNow() > deadline)
            {
                throw new DemoSetupException(serving
                    ? $"prometheus did not scrape the pool's instances within {_settings.StartTimeout.TotalSeconds:0} s (see logs/prometheus.log)"
                    : $"the pool's first {_settings.Min} instances did not serve within {_settings.StartTimeout.TotalSeconds:0} s (see logs/autoscaler.log and logs/emulator.log)");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, ct);
        }
    }

    private async Task TickAsync(AutoscalerHost service, MonitoringNode monitoring, bool load, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var at = now - _origin;
        var status = service.Engine.GetStatus(_settings.Pool);
        var view = status.View;
        var cpu = await monitoring.QueryAsync($"{MonitoringNode.CpuSeries}{{pool=\"{_settings.Pool}\"}}", ct);
        var l = load ? Volatile.Read(ref _lastLoad) : null;
        // The load's last window can be a sliver of a second, whose per-second rates mean nothing.
        if (l is { LengthSeconds: < 0.5 })
        {
            l = null;
        }

        var sample = new DemoSample
        {
            Seconds = Math.Round(at.TotalSeconds, 1),
            Phase = load ? _profile.PhaseAt(at) : "settle",
            OfferedRps = load ? _profile.Load.RateAt(at) : 0,
            SentRps = l?.SentRate ?? 0,
            OkRps = l?.OkRate ?? 0,
            Errors = l?.Errors ?? 0,
            P95Ms = l?.P95Ms,
            CpuPercent = cpu,
            Desired = status.Desired,
            Instances = view?.Live ?? 0,
            Serving = view?.Serving ?? 0,
            Booting = view?.Launching ?? 0,
            Draining = view?.Removing ?? 0,
            CapacityRps = (view?.Serving ?? 0) * _settings.InstanceCapacity,
        };

        CollectAlerts(service);
        CollectEvents(service, report: true);
        CollectLifecycles(view);
        _samples.Add(sample);
        _reporter.OnSample(sample);
    }

    private void CollectAlerts(AutoscalerHost service)
    {
        foreach (var alert in service.Alerts.Snapshot().OrderBy(a => a.LastSeenAt))
        {
            if (alert.AlertName is not ("PoolCpuHigh" or "PoolCpuLow")
                || !alert.Labels.TryGetValue("pool", out var pool) || pool != _settings.Pool)
            {
                continue;
            }

            if (alert.Status == AlertStatus.Firing && alert.AlertName == "PoolCpuHigh" && alert.FirstSeenAt >= _origin
                && (_firstHighReceivedAt is null || alert.FirstSeenAt < _firstHighReceivedAt))
            {
                _firstHighReceivedAt = alert.FirstSeenAt;
            }

            var key = alert.Fingerprint + "/" + alert.FirstSeenAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            if (_alertStatus.TryGetValue(key, out var known) && known == alert.Status)
            {
                continue;
            }

            _alertStatus[key] = alert.Status;
            var text = alert.Status == AlertStatus.Firing
                ? $"alert {alert.AlertName} firing, received by the webhook"
                    + (alert.Annotations.TryGetValue("summary", out var summary) ? ": " + summary : "")
                : $"alert {alert.AlertName} resolved";
            Report(new DemoEvent(Since(alert.Status == AlertStatus.Firing ? alert.FirstSeenAt : alert.LastSeenAt), "alert", text));
        }
    }

    private void CollectEvents(AutoscalerHost service, bool report)
    {
        var fresh = service.Store.GetEvents(_settings.Pool, 500)
            .Where(e => _seenEvents.TryAdd((e.Decision is not null, e.Id), 0))
            .OrderBy(e => e.At)
            .ToArray();
        foreach (var e in fresh)
        {
            if (e.Decision is { } d)
            {
                _decisions.Add(d);
                if (report && d.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown)
                {
                    var arrow = d.Action == DecisionAction.ScaleUp ? "▲ scale-up" : "▼ scale-down";
                    Report(new DemoEvent(Since(d.At), "decision", $"{arrow} {d.PreviousDesired} → {d.Desired}: {d.Reason}"));
                }
            }
            else if (e.Operation is { } o)
            {
                _operations.Add(o);
                if (report && o.Type is OperationEventType.Succeeded or OperationEventType.Failed)
                {
                    var what = o.Kind == OperationKind.Launch ? "launched" : "removed";
                    Report(new DemoEvent(Since(o.At), "operation", o.Type == OperationEventType.Succeeded
                        ? $"{o.Label ?? o.MemberId} {what}"
                        : $"{o.Kind.ToString().ToLowerInvariant()} {o.Label ?? o.MemberId} failed: {o.Detail}"));
                }
            }
        }
    }

    private void CollectLifecycles(PoolView? view)
    {
        foreach (var m in view?.Members ?? [])
        {
            InstanceListening(m.Member);

            if (_lifecycles.TryGetValue(m.Member.Id, out var before) && before == m.Lifecycle)
            {
                continue;
            }

            _lifecycles[m.Member.Id] = m.Lifecycle;
            if (m.Lifecycle is MemberLifecycle.Serving or MemberLifecycle.Draining or MemberLifecycle.Unhealthy)
            {
                var text = m.Lifecycle switch
                {
                    MemberLifecycle.Serving => $"{m.Member.Label} serving (node UP)",
                    MemberLifecycle.Draining => $"{m.Member.Label} draining",
                    _ => $"{m.Member.Label} unhealthy",
                };
                Report(new DemoEvent(Since(view!.At), "operation", text));
            }
        }
    }

    private void Listening(string name, Uri endpoint, int? processId = null)
    {
        if (_endpoints.Add(endpoint))
        {
            _reporter.OnPart(name, endpoint, processId);
        }
    }

    private void InstanceListening(PoolMember member)
    {
        if (member.Address is { } a)
        {
            Listening(member.Label, new Uri($"http://{a}:{AppPort}/"));
            Listening(member.Label, new Uri($"http://{a}:{MetricsPort}/"));
        }
    }

    private void Report(DemoEvent e)
    {
        _events.Add(e);
        _reporter.OnEvent(e);
    }

    private async Task<bool> IsSettledAsync(AutoscalerHost service, StandaloneLinodeClient linode, string poolTag, CancellationToken ct)
    {
        var status = service.Engine.GetStatus(_settings.Pool);
        if (status.View is not { } v || v.Live != _settings.Min || v.Serving != _settings.Min || v.Launching != 0 || v.Removing != 0
            || status.Operations.Count != 0)
        {
            return false;
        }

        var tagged = await linode.Instances.ListAsync(Filter.Tag(poolTag), ct).ToListAsync(ct);
        return tagged.Count == _settings.Min && tagged.All(i => i.Status == InstanceStatus.Running);
    }

    /// <summary>The pool's size as the cloud has it, and its leaks: pool-tagged instances that are neither a node of
    /// the NodeBalancer nor the subject of an open operation.</summary>
    private static async Task<(int Final, int Leaked)> CountPoolAsync(StandaloneLinodeClient linode, string poolTag, long nbId, long configId,
        HashSet<string> inOperation, CancellationToken ct)
    {
        var instances = await linode.Instances.ListAsync(Filter.Tag(poolTag), ct).ToListAsync(ct);
        var nodes = (await linode.NodeBalancers.ListNodesAsync(nbId, configId, ct).ToListAsync(ct))
            .Select(n => n.Address.Split(':')[0])
            .ToHashSet(StringComparer.Ordinal);
        var leaked = instances.Count(i => i.Status != InstanceStatus.Deleting && !(i.PrivateIpv4 is { } ip && nodes.Contains(ip))
            && !inOperation.Contains(i.Id.ToString(CultureInfo.InvariantCulture)));
        return (instances.Count(i => i.Status != InstanceStatus.Deleting), leaked);
    }

    private async Task<DateTimeOffset?> WatchFirstNewNodeAsync(StandaloneLinodeClient linode, long nbId, long configId, HashSet<string> initial,
        DateTimeOffset spikeAt, CancellationToken ct)
    {
        var wait = spikeAt - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, ct);
        }

        while (true)
        {
            try
            {
                await foreach (var node in linode.NodeBalancers.ListNodesAsync(nbId, configId, ct))
                {
                    if (node.Status == Autoscaler.Linode.Models.NodeStatus.Up && !initial.Contains(node.Address))
                    {
                        return _time.GetUtcNow();
                    }
                }
            }
            catch (Exception e) when (e is LinodeException or HttpRequestException && !ct.IsCancellationRequested)
            {
                // A failed poll is retried; the emulator is local and answers the next one.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), _time, ct);
        }
    }

    private sealed record CleanupReport(int InstancesLeft, IReadOnlyList<string> Problems);

    /// <summary>Stops Prometheus and Alertmanager, the autoscaler (so it launches nothing more), deletes every
    /// instance and NodeBalancer through the API, stops the emulator (and with it every instance process), then
    /// checks that nothing is left: no process, no instance, no listener.</summary>
    private async Task<CleanupReport> CleanupAsync(MonitoringNode? monitoring, AutoscalerHost? service, StandaloneLinodeClient? linode,
        EmulatorHost? emulator, IReadOnlyList<int> childIds)
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

        if (linode is not null && emulator is not null)
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                foreach (var instance in await linode.Instances.ListAsync(null, cleanup.Token).ToListAsync(cleanup.Token))
                {
                    if (instance.Status != InstanceStatus.Deleting)
                    {
                        await linode.Instances.DeleteAsync(instance.Id, cleanup.Token);
                    }
                }

                foreach (var nb in await linode.NodeBalancers.ListAsync(null, cleanup.Token).ToListAsync(cleanup.Token))
                {
                    await linode.NodeBalancers.DeleteAsync(nb.Id, cleanup.Token);
                }

                while (true)
                {
                    var left = await linode.Instances.ListAsync(null, cleanup.Token).ToListAsync(cleanup.Token);
                    instancesLeft = left.Count;
                    if (left.Count == 0)
                    {
                        break;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(200), _time, cleanup.Token);
                }
            }
            catch (Exception e) when (e is LinodeException or OperationCanceledException or HttpRequestException)
            {
                problems.Add($"could not delete every instance through the API: {e.Message}");
            }

            if (instancesLeft > 0)
            {
                problems.Add($"{instancesLeft} instance(s) still in the emulator after the clean-up");
            }
        }

        if (emulator is not null)
        {
            await emulator.DisposeAsync();
        }

        foreach (var id in childIds)
        {
            if (IsAlive(id))
            {
                problems.Add($"process {id} still running");
            }
        }

        foreach (var endpoint in _endpoints)
        {
            if (await IsListeningAsync(endpoint))
            {
                problems.Add($"{endpoint.Authority} still listening");
            }
        }

        return new CleanupReport(instancesLeft, problems);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task<bool> IsListeningAsync(Uri endpoint)
    {
        if (!IPAddress.TryParse(endpoint.Host, out var ip))
        {
            return false;
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(ip, endpoint.Port).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
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

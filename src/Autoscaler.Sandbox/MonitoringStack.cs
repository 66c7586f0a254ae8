using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Autoscaler.PrometheusApi;

namespace Autoscaler.Sandbox;

/// <summary>
/// Real Prometheus and Alertmanager on loopback (the reference architecture's "Prometheus node" without the
/// autoscaler): Prometheus finds the pool's instances through the autoscaler's <c>/http_sd</c>, records the pool's CPU
/// and raises PoolCpuHigh / PoolCpuLow; Alertmanager sends them to the autoscaler's webhook with a bearer token read
/// from a file. Each runs in its own folder with its own log.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "A stack of programs, not a LIFO collection.")]
public sealed class MonitoringStack : IAsyncDisposable
{
    /// <summary>The recording rule the alerts and the demo's display read.</summary>
    public const string CpuSeries = "pool:node_cpu_busy:percent";

    private readonly HttpClient _http;
    private readonly PrometheusClient _prometheus;
    private readonly List<ChildProcess> _children = [];

    private MonitoringStack(HttpClient http)
    {
        _http = http;
        _prometheus = new PrometheusClient(http);
    }

    public Uri PrometheusUrl { get; private set; } = null!;

    public Uri AlertmanagerUrl { get; private set; } = null!;

    /// <summary>The processes it runs (Alertmanager, Prometheus).</summary>
    public IReadOnlyList<ChildProcess> Processes => _children;

    /// <summary>Finds the two programs, writes their configs under <paramref name="workDir"/> and starts them; returns
    /// once both answer <c>/-/ready</c>. Throws <see cref="SandboxSetupException"/> naming the part that did not start.
    /// <paramref name="prometheusPort"/> is the port Prometheus listens on (0: any free one), for a configuration
    /// written before it starts.</summary>
    public static async Task<MonitoringStack> StartAsync(MonitoringOptions settings, string workDir, Uri autoscaler, string webhookToken, int prometheusPort,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(autoscaler);
        var (prometheus, alertmanager) = Programs(settings);

        var stack = new MonitoringStack(new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) });
        try
        {
            var configDir = Directory.CreateDirectory(Path.Combine(workDir, "config")).FullName;
            var logDir = Directory.CreateDirectory(Path.Combine(workDir, "logs")).FullName;
            var dataDir = Directory.CreateDirectory(Path.Combine(workDir, "data")).FullName;

            var tokenFile = Path.Combine(configDir, "webhook.token");
            await File.WriteAllTextAsync(tokenFile, webhookToken, ct);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var amPort = FreePort();
            stack.AlertmanagerUrl = new Uri($"http://127.0.0.1:{amPort}/");
            var amConfig = Path.Combine(configDir, "alertmanager.yml");
            await File.WriteAllTextAsync(amConfig, AlertmanagerConfig(settings, new Uri(autoscaler, "hook"), tokenFile), ct);
            stack._children.Add(ChildProcess.Start("alertmanager", alertmanager,
            [
                "--config.file=" + amConfig,
                "--storage.path=" + Directory.CreateDirectory(Path.Combine(dataDir, "alertmanager")).FullName,
                $"--web.listen-address=127.0.0.1:{amPort}",
                // Empty: no gossip port, nothing listens beyond loopback.
                "--cluster.listen-address=",
                "--log.level=info",
            ], workDir, Path.Combine(logDir, "alertmanager.log")));
            await stack.WaitReadyAsync(stack._children[^1], stack.AlertmanagerUrl, settings.StartTimeout, ct);

            var promPort = prometheusPort > 0 ? prometheusPort : FreePort();
            stack.PrometheusUrl = new Uri($"http://127.0.0.1:{promPort}/");
            var rules = Path.Combine(configDir, "rules.yml");
            await File.WriteAllTextAsync(rules, Rules(settings), ct);
            var promConfig = Path.Combine(configDir, "prometheus.yml");
            await File.WriteAllTextAsync(promConfig, PrometheusConfig(settings, autoscaler, $"127.0.0.1:{amPort}", rules), ct);
            stack._children.Add(ChildProcess.Start("prometheus", prometheus,
            [
                "--config.file=" + promConfig,
                "--storage.tsdb.path=" + Directory.CreateDirectory(Path.Combine(dataDir, "prometheus")).FullName,
                $"--web.listen-address=127.0.0.1:{promPort}",
                "--storage.tsdb.retention.time=1d",
                "--log.level=info",
            ], workDir, Path.Combine(logDir, "prometheus.log")));
            await stack.WaitReadyAsync(stack._children[^1], stack.PrometheusUrl, settings.StartTimeout, ct);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>The two programs, or a <see cref="SandboxSetupException"/> saying which package to install.</summary>
    public static (string Prometheus, string Alertmanager) Programs(MonitoringOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var prometheus = settings.PrometheusPath is { } p ? ChildProcess.FindInPath(p) : ChildProcess.FindInPath("prometheus");
        var alertmanager = settings.AlertmanagerPath is { } a ? ChildProcess.FindInPath(a) : ChildProcess.FindInPath("prometheus-alertmanager", "alertmanager");
        var missing = new List<string>();
        if (prometheus is null)
        {
            missing.Add(settings.PrometheusPath is null
                ? "prometheus not found: install Debian's prometheus package (apt-get install prometheus)"
                : $"prometheus not found at '{settings.PrometheusPath}'");
        }

        if (alertmanager is null)
        {
            missing.Add(settings.AlertmanagerPath is null
                ? "prometheus-alertmanager not found: install Debian's prometheus-alertmanager package (apt-get install prometheus-alertmanager)"
                : $"alertmanager not found at '{settings.AlertmanagerPath}'");
        }

        if (missing.Count > 0)
        {
            throw new SandboxSetupException(string.Join(Environment.NewLine, missing) + Environment.NewLine + "(`make demo` installs both)");
        }

        return (prometheus!, alertmanager!);
    }

    /// <summary>The value of <paramref name="query"/> (one finite number), or null when Prometheus has none or cannot
    /// be asked.</summary>
    public async Task<double?> QueryAsync(string query, CancellationToken ct) =>
        (await _prometheus.QueryAsync(PrometheusUrl, query, timeout: null, ct)).FiniteValue;

    /// <summary>Targets Prometheus scrapes and reports UP for the pool.</summary>
    public async Task<int> TargetsUpAsync(string pool, CancellationToken ct) =>
        (int)(await QueryAsync($"count(up{{job=\"node\",pool=\"{pool}\"}} == 1)", ct) ?? 0);

    public async ValueTask DisposeAsync()
    {
        // Prometheus first: it would otherwise keep sending to an Alertmanager that is going away.
        for (var i = _children.Count - 1; i >= 0; i--)
        {
            await _children[i].DisposeAsync();
        }

        _http.Dispose();
    }

    private async Task WaitReadyAsync(ChildProcess child, Uri url, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (child.HasExited)
            {
                throw new SandboxSetupException($"{child.Name} did not start (it exited); the end of {child.LogPath}:{Environment.NewLine}{child.Tail()}");
            }

            try
            {
                using var response = await _http.GetAsync(new Uri(url, "-/ready"), deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new SandboxSetupException($"{child.Name} did not become ready at {url}-/ready within {timeout.TotalSeconds:0} s; see {child.LogPath}");
            }

            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new SandboxSetupException($"{child.Name} did not become ready at {url}-/ready within {timeout.TotalSeconds:0} s; see {child.LogPath}");
            }
        }
    }

    /// <summary>A port free on 127.0.0.1 right now (the programs take a fixed port, not 0).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string D(TimeSpan t) => MonitoringOptions.Seconds(t);

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    internal static string Rules(MonitoringOptions s) => $$$"""
        # The shipped rules (deploy/prometheus/rules/autoscaling.rules.yml) with demo timings: a {{{D(s.RateWindow)}}} rate window
        # instead of 1m, and `for` of {{{D(s.HighFor)}}} / {{{D(s.LowFor)}}} instead of 1m / 5m. Busy time is the sum of the
        # non-idle modes, which on node_exporter equals 1 - idle; it is read directly because the emulated instances
        # derive idle from uptime minus busy, and a saturated CPU's idle then wobbles in its last digit, which a
        # rate() over a short window takes for a counter reset.
        groups:
          - name: linode-autoscaler-demo
            interval: {{{D(s.RuleInterval)}}}
            rules:
              - record: {{{CpuSeries}}}
                expr: 100 * avg by (pool) (sum without (mode) (rate(node_cpu_seconds_total{mode!="idle", pool!=""}[{{{D(s.RateWindow)}}}])))
              - alert: PoolCpuHigh
                expr: {{{CpuSeries}}} > {{{N(s.HighPercent)}}}
                for: {{{D(s.HighFor)}}}
                labels: { severity: autoscale, direction: up }
                annotations:
                  summary: 'Pool {{ $labels.pool }} CPU is {{ $value | printf "%.0f" }}% (above {{{N(s.HighPercent)}}}% for {{{D(s.HighFor)}}})'
              - alert: PoolCpuLow
                expr: {{{CpuSeries}}} < {{{N(s.LowPercent)}}}
                for: {{{D(s.LowFor)}}}
                labels: { severity: autoscale, direction: down }
                annotations:
                  summary: 'Pool {{ $labels.pool }} CPU is {{ $value | printf "%.0f" }}% (below {{{N(s.LowPercent)}}}% for {{{D(s.LowFor)}}})'

        """;

    internal static string PrometheusConfig(MonitoringOptions s, Uri autoscaler, string alertmanager, string rules) => $"""
        global:
          scrape_interval: {D(s.ScrapeInterval)}
          scrape_timeout: {D(s.ScrapeInterval)}
          evaluation_interval: {D(s.RuleInterval)}
        alerting:
          alertmanagers:
            - static_configs:
                - targets: ['{alertmanager}']
        rule_files:
          - {rules}
        scrape_configs:
          - job_name: linode-autoscaler
            static_configs:
              - targets: ['{autoscaler.Authority}']
          - job_name: node
            http_sd_configs:
              - url: {new Uri(autoscaler, "http_sd")}
                refresh_interval: {D(s.ScrapeInterval)}
            relabel_configs:
              - source_labels: [pool]
                regex: '.+'
                action: keep
              - source_labels: [instance_label]
                regex: '(.+)'
                target_label: instance

        """;

    internal static string AlertmanagerConfig(MonitoringOptions s, Uri webhook, string tokenFile) => $"""
        route:
          receiver: linode-autoscaler
          group_by: [pool, alertname]
          group_wait: {D(s.GroupWait)}
          group_interval: {D(s.GroupInterval)}
          repeat_interval: {D(s.RepeatInterval)}
        receivers:
          - name: linode-autoscaler
            webhook_configs:
              - url: {webhook}
                send_resolved: true
                max_alerts: 0
                http_config:
                  authorization:
                    type: Bearer
                    credentials_file: {tokenFile}
        # While CPU is high, a stale low alert of the same pool is muted.
        inhibit_rules:
          - source_matchers: [alertname = PoolCpuHigh]
            target_matchers: [alertname = PoolCpuLow]
            equal: [pool]

        """;
}

using Autoscaler.Core.Providers.Virtual;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Simulation;
using Autoscaler.Service;
using Autoscaler.Service.Configuration;

namespace Dashboard.Tests.Support;

/// <summary>The autoscaler service on a free loopback port with in-memory <see cref="VirtualCloud"/> pools (instances
/// serve within milliseconds), a fake Prometheus answering the dashboard's queries, its journal in a temp folder, and
/// an HttpClient pointed at it. Pool <c>web</c>: min 2, max 6, scale-up on PoolCpuHigh.</summary>
public sealed class DashboardService : IAsyncDisposable
{
    public const string WebhookToken = "hook-secret-5c0ffee";
    public const string ApiToken = "api-secret-d45hb0a";

    private readonly string _dir;

    private DashboardService(string dir, AutoscalerHost host, FakePrometheus prometheus, ConcurrentDictionary<string, VirtualCloud> pools)
    {
        _dir = dir;
        Host = host;
        Prometheus = prometheus;
        Pools = pools;
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public AutoscalerHost Host { get; }

    public FakePrometheus Prometheus { get; }

    public ConcurrentDictionary<string, VirtualCloud> Pools { get; }

    public HttpClient Http { get; }

    public Uri BaseAddress => Host.BaseAddress;

    /// <param name="dashboard">The pool's <c>dashboard</c> section (null: queries for all three charts at the fake Prometheus).</param>
    /// <param name="dryRun">engine.dry_run.</param>
    public static Task<DashboardService> StartAsync(string? dashboard = null, bool dryRun = false, string sampleInterval = "250ms", string signals = "") =>
        StartAsync(dashboard is null ? null : (Func<Uri, string>)(_ => dashboard), dryRun, sampleInterval, signals);

    /// <param name="dashboard">The pool's <c>dashboard</c> section given the fake Prometheus' URL (null: queries for
    /// all three charts at the fake Prometheus).</param>
    /// <param name="dryRun">engine.dry_run.</param>
    /// <param name="sampleInterval">dashboard.sample_interval.</param>
    /// <param name="signals">More signal entries for the pool, YAML list items indented for it (a forecast, say).</param>
    public static async Task<DashboardService> StartAsync(Func<Uri, string>? dashboard, bool dryRun = false, string sampleInterval = "250ms", string signals = "")
    {
        var dir = Path.Combine(Path.GetTempPath(), "dashboard-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var prometheus = await FakePrometheus.StartAsync();
        prometheus.Values["http_requests"] = 42.5;
        prometheus.Values["cpu_busy"] = 63.25;
        prometheus.Values["duration_seconds_bucket"] = 0.125;
        var section = dashboard?.Invoke(prometheus.Url) ?? $$"""{ prometheus: {{prometheus.Url}}, requests: 'sum(rate(http_requests_total{pool="web"}[30s]))', cpu: 'pool:cpu_busy:percent{pool="web"}', latency_p95: 'histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket{pool="web"}[30s])))' }""";
        var yaml = $$"""
            linode: { url: http://127.0.0.1:1/v4, token: linode-secret-unused }
            listen: 127.0.0.1:0
            webhook: { auth: { bearer_token: {{WebhookToken}} } }
            api: { auth: { bearer_token: {{ApiToken}} } }
            engine: { evaluation_interval: 500ms, dry_run: {{(dryRun ? "true" : "false")}} }
            journal: { path: {{Path.Combine(dir, "autoscaler.db")}} }
            dashboard: { sample_interval: {{sampleInterval}}, history: 10m }
            pools:
              web:
                region: us-east
                type: g6-standard-1
                image: linode/debian12
                min: 2
                max: 6
                nodebalancer: { label: web-nb, port: 80, node_port: 8080 }
                scale_up: { step: 2, cooldown: 1h }
                scale_down: { cooldown: 1h }
                signals:
                  - { alert: PoolCpuHigh, action: up }
                  - { alert: PoolCpuLow, action: down }
            {{signals.Replace("{prometheus}", prometheus.Url.ToString(), StringComparison.Ordinal)}}
                dashboard: {{section}}
            """;
        var parsed = ServiceSchema.Parse(yaml, new Dictionary<string, string>());
        Assert.True(parsed.IsValid, string.Join("\n", parsed.Errors));
        var pools = new ConcurrentDictionary<string, VirtualCloud>();
        try
        {
            var host = await AutoscalerHost.StartAsync(parsed.Config, new AutoscalerServices
            {
                InstancePools = p => pools[p.Name] = new VirtualCloud(p.Name, TimeProvider.System, new VirtualCloudOptions
                {
                    ProvisionTime = TimeSpan.FromMilliseconds(20),
                    BootTime = TimeSpan.FromMilliseconds(20),
                    HealthCheckDelay = TimeSpan.FromMilliseconds(20),
                }),
                PrometheusTimeout = TimeSpan.FromSeconds(5),
            });
            return new DashboardService(dir, host, prometheus, pools);
        }
        catch
        {
            await prometheus.DisposeAsync();
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    /// <summary>Posts an Alertmanager notification to the webhook, as Alertmanager does.</summary>
    public async Task PostAlertAsync(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", WebhookToken);
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>One of the shipped example notifications (examples/alerts).</summary>
    public static string Example(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "alerts", name));

    public int? Desired => Host.Engine.GetStatus("web").Desired;

    /// <summary>Waits until the pool has been observed and serves its minimum.</summary>
    public Task WaitServingAsync(int serving = 2) =>
        Wait.UntilAsync(() => Host.Engine.GetStatus("web").View?.Serving >= serving, $"{serving} serving members");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        await Prometheus.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Wait
{
    /// <summary>Polls until the condition holds (never a fixed sleep), failing after a generous deadline.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }
        }
    }
}

internal static class Http
{
    public static HttpRequestMessage Post(string path, string json, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return request;
    }
}

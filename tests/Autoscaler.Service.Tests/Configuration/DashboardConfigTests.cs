using Autoscaler.Core.Signals.TargetTracking;
using Autoscaler.Service.Configuration;

using static Autoscaler.Service.Tests.Configuration.ConfigParse;

namespace Autoscaler.Service.Tests.Configuration;

public sealed class DashboardConfigTests
{
    private const string Pool = ConfigParse.OnePool;

    [Fact]
    public void Parse_NoDashboardSections_DefaultsAndNoQueries()
    {
        var result = Parse(Pool);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), 720),
            (result.Config.Dashboard.SampleInterval, result.Config.Dashboard.History, result.Config.Dashboard.Capacity));
        Assert.Null(result.Config.Pools[0].Dashboard);
        Assert.Contains("dashboard: { sample_interval: 5s, history: 1h }", result.Config.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DashboardSections_ReadsSamplingAndQueries()
    {
        var yaml = Pool + """

                dashboard:
                  prometheus: http://127.0.0.1:9090
                  requests: sum(rate(http_requests_total{pool="web"}[1m]))
                  cpu: pool:cpu:percent{pool="web"}
            dashboard: { sample_interval: 2s, history: 10m }
            """;

        var result = Parse(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal((TimeSpan.FromSeconds(2), 300), (result.Config.Dashboard.SampleInterval, result.Config.Dashboard.Capacity));
        var d = result.Config.Pools[0].Dashboard!;
        Assert.Equal(new Uri("http://127.0.0.1:9090"), d.Prometheus);
        Assert.Equal(("sum(rate(http_requests_total{pool=\"web\"}[1m]))", "pool:cpu:percent{pool=\"web\"}", (string?)null), (d.Requests, d.Cpu, d.LatencyP95));
        Assert.Contains("dashboard: { prometheus: http://127.0.0.1:9090/, requests: 'sum(rate(http_requests_total{pool=\"web\"}[1m]))', cpu: 'pool:cpu:percent{pool=\"web\"}', latency_p95: ~ }",
            result.Config.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PoolDashboardWithoutUrl_TakesTheTargetTrackingPrometheus()
    {
        var yaml = Pool + """

                signals:
                  - target_tracking: { prometheus: http://127.0.0.1:9191, query: 'avg(cpu)', target: 60 }
                dashboard: { latency_p95: 'histogram_quantile(0.95, rate(h_bucket[1m]))' }
            """;

        var result = Parse(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(new Uri("http://127.0.0.1:9191"), result.Config.Pools[0].Dashboard!.Prometheus);
    }

    [Fact]
    public void Parse_BadDashboardSections_ReportsEveryProblem()
    {
        var yaml = Pool + """

                dashboard: { cpu: '  ', colour: red }
              api:
                region: us-east
                type: g6-standard-1
                image: linode/debian12
                min: 1
                max: 3
                nodebalancer: { label: api-nb, port: 80 }
                dashboard: { prometheus: 'ftp://x' }
            dashboard: { sample_interval: 10ms, history: 0 }
            """;

        var errors = Errors(yaml);

        Assert.Contains("pool 'web': dashboard.cpu must not be empty", errors);
        Assert.Contains("pool 'web': unknown key 'dashboard.colour'", errors);
        Assert.Contains("pool 'web': dashboard.prometheus is required (the pool has no target_tracking signal to take it from)", errors);
        Assert.Contains(errors, e => e.StartsWith("pool 'api': dashboard.prometheus must be an absolute http or https URL, got '", StringComparison.Ordinal));
        Assert.Contains("pool 'api': dashboard needs at least one of requests, cpu, latency_p95", errors);
        Assert.Contains("dashboard.sample_interval must be between 100ms and 1h", errors);
        Assert.Contains("dashboard.history must be > 0", errors);
    }

    [Fact]
    public void Parse_HistoryOfTooManySamples_IsRejected()
    {
        var errors = Errors(Pool + "\ndashboard: { sample_interval: 100ms, history: 1d }\n");

        Assert.Equal(["dashboard.history / dashboard.sample_interval must be at most 20000 samples (got 864000)"], errors);
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Metrics;

/// <summary>/metrics as Prometheus and its conventions expect it: bounds to alert on, every known series from the
/// first scrape, build and process information, HTTP requests labelled method, route and code.</summary>
public sealed partial class MetricsTests
{
    private static Task<FakeService> StartAsync() =>
        FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool("web", min: 2, max: 6)));

    [Fact]
    public async Task Metrics_FirstScrape_BoundsSetAndCountersAtZero()
    {
        await using var s = await StartAsync();
        var text = await s.Http.GetStringAsync("metrics");
        foreach (var series in new[]
        {
            "autoscaler_pool_min{pool=\"web\"} 2",
            "autoscaler_pool_max{pool=\"web\"} 6",
            "autoscaler_decisions_total{pool=\"web\",action=\"scale_up\"} 0",
            "autoscaler_decisions_total{pool=\"web\",action=\"dry_run\"} 0",
            "autoscaler_skips_total{pool=\"web\",reason=\"at_max\"} 0",
            "autoscaler_actions_total{pool=\"web\",direction=\"down\",result=\"failed\"} 0",
            "autoscaler_evaluation_errors_total{pool=\"web\"} 0",
            "autoscaler_webhook_requests_total{outcome=\"accepted\"} 0",
            "autoscaler_webhook_alerts_total{outcome=\"added\"} 0",
            "autoscaler_metric_source_missing_total{reason=\"unreachable\"} 0",
            "autoscaler_engine_cycles_total{trigger=\"webhook\"} 0",
            "autoscaler_operation_duration_seconds_count{pool=\"web\",kind=\"remove\",outcome=\"failed\"} 0",
        })
        {
            Assert.Contains(series, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metrics_Always_BuildInfoProcessAndRuntime()
    {
        await using var s = await StartAsync();
        var text = await s.Http.GetStringAsync("metrics");
        Assert.Matches(BuildInfo(), text);
        foreach (var name in new[] { "process_cpu_seconds_total", "process_start_time_seconds", "process_working_set_bytes", "dotnet_total_memory_bytes" })
        {
            Assert.Contains("\n" + name, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metrics_AfterRequests_HttpSeriesByMethodRouteAndCode()
    {
        await using var s = await StartAsync();
        _ = await s.Http.GetStringAsync("api/v1/pools/web");
        using (var missing = await s.Http.GetAsync("no/such/page"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using (var unauthorized = await s.Http.PostAsync("hook", TestConfig.Json("{}")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        }

        // A request is counted once its handler returned, which may be just after the client read the answer.
        string[] expected =
        [
            "autoscaler_http_requests_total{method=\"GET\",route=\"/api/v1/pools/{pool}\",code=\"200\"} 1",
            "autoscaler_http_requests_total{method=\"GET\",route=\"unmatched\",code=\"404\"} 1",
            "autoscaler_http_requests_total{method=\"POST\",route=\"/hook\",code=\"401\"} 1",
            "autoscaler_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/pools/{pool}\",code=\"200\"} 1",
        ];
        var text = await s.Http.GetStringAsync("metrics");
        for (var polls = 0; polls < 200 && !expected.All(e => text.Contains(e, StringComparison.Ordinal)); polls++)
        {
            await Task.Delay(50);
            text = await s.Http.GetStringAsync("metrics");
        }

        var http = string.Join("\n", text.Split('\n').Where(l => l.StartsWith("autoscaler_http_requests_total", StringComparison.Ordinal)));
        foreach (var series in expected)
        {
            Assert.True(text.Contains(series, StringComparison.Ordinal), $"{series} not in:\n{http}");
        }
    }

    [Fact]
    public async Task Metrics_EveryFamily_FollowsPrometheusNaming()
    {
        await using var s = await StartAsync();
        var text = await s.Http.GetStringAsync("metrics");
        var families = ExportedMetrics.Families(text);
        Assert.NotEmpty(families);
        foreach (var (name, type) in families)
        {
            Assert.Matches(SnakeName(), name);
            if (type == "counter")
            {
                Assert.EndsWith("_total", name, StringComparison.Ordinal);
            }
            else
            {
                Assert.False(name.EndsWith("_total", StringComparison.Ordinal), $"{name} is a {type}, yet named like a counter");
            }

            // Base units only: seconds and bytes, never milliseconds or kilobytes.
            Assert.DoesNotMatch(NonBaseUnit(), name);
        }

        // HTTP status labels are called code, in our series and the Linode client's alike.
        Assert.DoesNotContain("status=\"", text, StringComparison.Ordinal);
    }

    [GeneratedRegex("""autoscaler_build_info\{version="[^"]+",revision="[^"]*",dotnet_version="\d+\.\d+\.\d+"\} 1""")]
    private static partial Regex BuildInfo();

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex SnakeName();

    [GeneratedRegex("_(ms|milliseconds|kb|mb|minutes|hours)(_|$)")]
    private static partial Regex NonBaseUnit();
}

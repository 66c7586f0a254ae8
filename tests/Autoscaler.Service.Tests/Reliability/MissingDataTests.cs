using System.Globalization;
using System.Text.Json;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>
/// Missing data never scales. A target-tracking pool whose Prometheus is unreachable, answers an error, NaN or an empty
/// vector holds at its size (no launch, no drain, no removal, while a low reading would have taken it to its minimum),
/// its status says why, and /metrics counts it; when data returns it scales again. An alert pool whose Alertmanager
/// falls silent stops scaling once the firing alert expires, says so, and resumes when the alert is sent again.
/// </summary>
public sealed class MissingDataTests
{
    private static async Task<JsonElement> PoolAsync(HttpClient http) =>
        JsonDocument.Parse(await http.GetStringAsync("api/v1/pools/web")).RootElement;

    private static async Task CyclesAsync(Func<long> cycles, int n, Action? nudge = null)
    {
        var from = cycles();
        await Wait.UntilAsync(() =>
        {
            nudge?.Invoke();
            return cycles() >= from + n;
        }, $"{n} more engine cycles");
    }

    private static long Metric(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no {series} in /metrics");
        return (long)double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("unreachable", "cannot be reached", "unreachable")]
    [InlineData("http_503", "Prometheus answered HTTP 503", "http_error")]
    [InlineData("nan", "the query returned NaN", "nan")]
    [InlineData("empty", "the query returned no series", "empty")]
    public async Task TargetTracking_NoUsableMetric_HoldsSaysWhyAndCountsIt(string answer, string reason, string metricReason)
    {
        await using var prometheus = await PrometheusStub.StartAsync();
        prometheus.Answer = answer;
        var url = answer == "unreachable" ? PrometheusStub.Closed() : prometheus.Url;
        await using var s = await FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(min: 2, max: 6,
            extra: """
                desired: 4
                scale_up: { step: 1, cooldown: 0s }
                scale_down: { step: 1, cooldown: 0s, drain: 0s }
            """,
            signals: $$"""
                  - target_tracking: { prometheus: "{{url}}", query: "avg(pool_cpu)", target: 50, scale_up_stabilization: 0s, scale_down_stabilization: 0s }
            """), interval: "150ms"));
        var pool = s.Pools["web"];
        await Wait.UntilAsync(() => s.Host.Engine.GetStatus("web") is { View.Serving: 4, Operations.Count: 0 }, "the pool at its configured 4");
        var launches = pool.Cloud.Launches;

        await CyclesAsync(() => s.Host.Loop.Cycles, 8);

        // Held: a reading of 0 (or "no data = idle") would have meant ceil(4 × 0 / 50) → the minimum of 2.
        Assert.Equal(4, launches);
        Assert.Equal(launches, pool.Cloud.Launches);
        Assert.DoesNotContain(pool.Calls, c => c is "drain" or "remove");
        var status = s.Host.Engine.GetStatus("web");
        Assert.Equal(4, status.Desired);
        Assert.Equal(0, status.Counters.ScaleUps + status.Counters.ScaleDowns);

        var json = await PoolAsync(s.Http);
        var signal = Assert.Single(json.GetProperty("signals").EnumerateArray());
        Assert.Equal("missing_data", signal.GetProperty("state").GetString());
        var detail = signal.GetProperty("detail").GetString()!;
        Assert.StartsWith("metric missing (", detail, StringComparison.Ordinal);
        Assert.Contains(reason, detail, StringComparison.Ordinal);
        Assert.Equal("missing_data", json.GetProperty("last_decision").GetProperty("skip").GetString());
        Assert.Contains(reason, json.GetProperty("last_decision").GetProperty("reason").GetString(), StringComparison.Ordinal);

        var metrics = await s.Http.GetStringAsync("metrics");
        Assert.True(Metric(metrics, $"autoscaler_metric_source_missing_total{{reason=\"{metricReason}\"}}") >= 8);
        Assert.True(Metric(metrics, "autoscaler_skips_total{pool=\"web\",reason=\"missing_data\"}") >= 8);
        Assert.Equal(1, Metric(metrics, "autoscaler_pool_signals{pool=\"web\",state=\"missing_data\"}"));
        Assert.Equal(0, Metric(metrics, "autoscaler_pool_signals{pool=\"web\",state=\"ok\"}"));

        if (answer == "unreachable")
        {
            // What an operator sees.
            var (code, stdout, stderr) = await CliProcess.RunAsync(null, "status", "web", "--url", s.Host.BaseAddress.ToString());
            Assert.True(code == 0, stderr);
            Assert.Contains("missing_data", stdout, StringComparison.Ordinal);
            Assert.Contains("metric missing", stdout, StringComparison.Ordinal);
            return;
        }

        // Data is back and low: now the pool scales in, which shows the hold above was the missing data's doing.
        prometheus.Answer = "value:20";
        await Wait.UntilAsync(() => pool.Calls.Contains("remove"), "a removal once the metric reads 20 against a target of 50");
        await Wait.UntilAsync(async () => (await PoolAsync(s.Http)).GetProperty("signals")[0].GetProperty("state").GetString() == "ok", "the signal ok again");
    }

    [Fact]
    public async Task AlertSignal_AlertmanagerFallsSilent_NoScaleUpAfterExpiryStatusSaysExpiredResumesWhenSentAgain()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var dir = new TempDir();
        var pools = new Dictionary<string, GatedPool>();
        AutoscalerConfig config = TestConfig.Build(dir, TestConfig.Pool(min: 2, max: 6, extra: "    scale_up: { step: 1, cooldown: 5m }"), interval: "1h",
            extraTop: "alerts: { repeat_interval: 4h, expire_after_repeats: 3 }");
        await using var host = await AutoscalerHost.StartAsync(config, new AutoscalerServices
        {
            Time = time,
            // The cloud on the same clock: instance ages and the grace period must not see the jumps as boot failures.
            InstancePools = p => pools[p.Name] = new GatedPool(p.Name, time),
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var pool = pools["web"];
        void Nudge() => host.Nudger.Nudge("web", "test");
        async Task ServingAsync(int n) => await Wait.UntilAsync(() =>
        {
            // Boots and health checks take fake milliseconds: a little time per poll, far below the 5-minute cooldown.
            time.Advance(TimeSpan.FromMilliseconds(100));
            Nudge();
            return host.Engine.GetStatus("web") is { View.Launching: 0, Operations.Count: 0 } st && st.View!.Serving == n;
        }, $"{n} serving");
        async Task PostFiringAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "hook")
            {
                Content = TestConfig.Json(TestConfig.Notification("PoolCpuHigh", fingerprint: "cpu-high-web", startsAt: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))),
            };
            request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
            using var response = await http.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        await ServingAsync(2);

        // Alertmanager sends the firing alert: one step, then another once the cooldown is over (it still fires).
        await PostFiringAsync();
        await ServingAsync(3);
        time.Advance(TimeSpan.FromMinutes(6));
        Nudge();
        await ServingAsync(4);
        Assert.Equal(4, pool.Cloud.Launches);

        // Alertmanager falls silent (down, or its route to us broken): past 3 × repeat_interval the alert is not believed.
        time.Advance(TimeSpan.FromHours(12));
        await CyclesAsync(() => host.Loop.Cycles, 5, Nudge);
        Assert.Equal(4, pool.Cloud.Launches);
        Assert.DoesNotContain(pool.Calls, c => c is "drain" or "remove");
        Assert.Equal(4, host.Engine.GetStatus("web").Desired);

        var signal = (await PoolAsync(http)).GetProperty("signals")[0];
        Assert.Equal("signals[0] alert PoolCpuHigh (up)", signal.GetProperty("signal").GetString());
        Assert.Equal("expired", signal.GetProperty("state").GetString());
        var detail = signal.GetProperty("detail").GetString()!;
        Assert.StartsWith("PoolCpuHigh [cpu-high-web] expired: firing since 2026-01-01 00:00:00Z but not re-sent by Alertmanager since ", detail, StringComparison.Ordinal);
        Assert.Contains("(alerts.repeat_interval × expire_after_repeats = 12h)", detail, StringComparison.Ordinal);
        var metrics = await http.GetStringAsync("metrics");
        Assert.Equal(1, Metric(metrics, "autoscaler_pool_signals{pool=\"web\",state=\"expired\"}"));
        var (code, stdout, stderr) = await CliProcess.RunAsync(null, "status", "web", "--url", host.BaseAddress.ToString());
        Assert.True(code == 0, stderr);
        Assert.Contains("expired", stdout, StringComparison.Ordinal);

        // Alertmanager is back and still sends the alert: believed again at once (the copy nudges the engine), and the pool steps up.
        var launchesBefore = pool.Cloud.Launches;
        await PostFiringAsync();
        await Wait.UntilAsync(() => pool.Cloud.Launches > launchesBefore, "a launch right after the alert is sent again");
        await ServingAsync(5);
        Assert.Equal(5, pool.Cloud.Launches);
        Assert.Equal("firing", (await PoolAsync(http)).GetProperty("signals")[0].GetProperty("state").GetString());
        metrics = await http.GetStringAsync("metrics");
        Assert.Equal(0, Metric(metrics, "autoscaler_pool_signals{pool=\"web\",state=\"expired\"}"));
    }
}

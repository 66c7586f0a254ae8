using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Autoscaler.Core.Audit;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>A noisy Alertmanager (or whoever holds the webhook token) sends alerts no pool listens to: they are counted
/// and dropped, never held, so the store can never be too full for the pool's own alert.</summary>
public sealed class AlertFloodTests
{
    private const int Requests = 1_000;
    private const int AlertsPerRequest = 100;

    [Fact]
    public async Task Webhook_100000UnrelatedAlertsThenPoolCpuHigh_NoneHeldAndTheNextCycleScalesUp()
    {
        await using var s = await FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(max: 6)));
        var pool = s.Pools["web"];
        await Wait.UntilAsync(() =>
        {
            s.Host.Nudger.Nudge("web", "test");
            return pool.Cloud.ServingCount() == 2 && s.Host.Engine.GetStatus("web").View?.Serving == 2;
        }, "the pool's minimum serving");
        var cyclesBefore = await WebhookCyclesAsync(s);

        // 1,000 requests of 100 distinct alerts each, 8 at a time.
        var next = -1;
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            var unmatched = 0;
            int r;
            while ((r = Interlocked.Increment(ref next)) < Requests)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(Unrelated(r)) };
                request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
                using var response = await s.Http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(0, json.GetProperty("added").GetInt32() + json.GetProperty("rejected").GetInt32());
                unmatched += json.GetProperty("unmatched").GetInt32();
            }

            return unmatched;
        }));

        Assert.Equal(Requests * AlertsPerRequest, answers.Sum());
        Assert.Equal(0, s.Host.Alerts.Count);
        var metrics = await s.Http.GetStringAsync("metrics");
        Assert.Contains("autoscaler_alerts_ignored_total{reason=\"unmatched\"} 100000", metrics, StringComparison.Ordinal);
        Assert.Contains("autoscaler_alerts_ignored_total{reason=\"store_full\"} 0", metrics, StringComparison.Ordinal);
        // Nothing to evaluate: not one cycle was nudged by the flood.
        Assert.Equal(cyclesBefore, await WebhookCyclesAsync(s));
        Assert.Equal(DecisionAction.None, s.Host.Engine.GetStatus("web").LastDecision?.Action ?? DecisionAction.None);

        using (var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(TestConfig.Fixture("webhook-firing.json")) })
        {
            request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
            using var response = await s.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("added").GetInt32());
        }

        // The nudged cycle (the interval is an hour) decides the scale-up.
        await Wait.UntilAsync(() => s.Host.Engine.GetStatus("web").LastDecision is { Action: DecisionAction.ScaleUp }, "the cycle after the alert to scale up");
        var decision = s.Host.Engine.GetStatus("web").LastDecision!;
        Assert.Equal((2, 3), (decision.PreviousDesired, decision.Desired));
        Assert.Equal(1, s.Host.Alerts.Count);
    }

    private static async Task<string> WebhookCyclesAsync(FakeService s) =>
        (await s.Http.GetStringAsync("metrics")).Split('\n').FirstOrDefault(l => l.StartsWith("autoscaler_engine_cycles_total{trigger=\"webhook\"}", StringComparison.Ordinal)) ?? "";

    /// <summary>100 distinct alerts no signal of pool web listens to: other alert names for web, and the pool's own
    /// alert names for pools that do not exist.</summary>
    private static string Unrelated(int request)
    {
        var alerts = new StringBuilder();
        for (var i = 0; i < AlertsPerRequest; i++)
        {
            var n = request * AlertsPerRequest + i;
            var (name, pool) = (n % 3) switch
            {
                0 => ("NoisyAlert" + (n % 50).ToString(CultureInfo.InvariantCulture), "web"),
                1 => ("PoolCpuHigh", "other" + (n % 7).ToString(CultureInfo.InvariantCulture)),
                _ => ("DiskFull", "db"),
            };
            alerts.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $$"""
                {"status":"firing","labels":{"alertname":"{{name}}","pool":"{{pool}}","instance":"i{{n}}"},"annotations":{"summary":"noise"},
                 "startsAt":"2026-01-01T00:00:00.000Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"n{{n:x8}}"}
                """);
        }

        return $$"""
            {"receiver":"noise","status":"firing","alerts":[{{alerts}}],"groupLabels":{},"commonLabels":{},"commonAnnotations":{},
             "externalURL":"http://127.0.0.1:9093","version":"4","groupKey":"{}:{}","truncatedAlerts":0}
            """;
    }
}

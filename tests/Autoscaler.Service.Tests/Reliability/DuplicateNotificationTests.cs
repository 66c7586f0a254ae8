using System.Globalization;
using System.Net;
using System.Text.Json;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>
/// Alertmanager in HA sends each notification from every replica, and re-sends it while the group fires. The actions
/// must be those of one notification: the same launches at the provider, the same scaling decisions, whether the copies
/// arrive at once, interleaved with the engine's cycles, while the new instance boots or after it serves.
/// </summary>
public sealed class DuplicateNotificationTests
{
    private const string Fingerprint = "6f1c2d3e4a5b6c7d";
    private static readonly DateTimeOffset StartsAt = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static Task<FakeService> StartAsync() =>
        FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(min: 2, max: 8, extra: "    scale_up: { step: 1, cooldown: 10m }"), interval: "150ms"));

    /// <summary>The group as replica <paramref name="replica"/> sends it on its <paramref name="repeat"/>-th notification:
    /// same alert (fingerprint, labels, startsAt), its own externalURL, and the fields that differ between sends.</summary>
    private static string Notification(int replica, int repeat)
    {
        var start = StartsAt.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        // Firing alerts carry either the zero time or the estimated end, which moves with each evaluation.
        var end = repeat % 2 == 0 ? "0001-01-01T00:00:00Z" : StartsAt.AddMinutes(4 + repeat).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return $$"""
            {"receiver":"autoscaler","status":"firing","alerts":[{"status":"firing",
              "labels":{"pool":"web","alertname":"PoolCpuHigh","severity":"page"},
              "annotations":{"summary":"CPU of pool web above 80 % (repeat {{repeat}})"},
              "startsAt":"{{start}}","endsAt":"{{end}}","generatorURL":"http://127.0.0.1:9090/graph?g0.expr=x","fingerprint":"{{Fingerprint}}"}],
             "groupLabels":{"pool":"web"},"commonLabels":{"alertname":"PoolCpuHigh","pool":"web","severity":"page"},"commonAnnotations":{},
             "externalURL":"http://127.0.0.1:{{9093 + replica}}","version":"4","groupKey":"{}/{}:{pool=\"web\"}","truncatedAlerts":0}
            """;
    }

    private static async Task<JsonElement> PostAsync(FakeService s, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(body) };
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
        using var response = await s.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static async Task ServingAsync(FakeService s, int n) =>
        await Wait.UntilAsync(() =>
        {
            var status = s.Host.Engine.GetStatus("web");
            return status.View?.Serving == n && status.View.Launching == 0 && status.Operations.Count == 0;
        }, $"{n} serving, nothing in flight");

    private static async Task CyclesAsync(FakeService s, int n)
    {
        var from = s.Host.Loop.Cycles;
        await Wait.UntilAsync(() => s.Host.Loop.Cycles >= from + n, $"{n} more engine cycles");
    }

    /// <summary>What the provider and the engine did, once settled.</summary>
    private static async Task<(int Launches, int Removals, long ScaleUps, long ScaleDowns, int Desired)> SettledAsync(FakeService s)
    {
        await CyclesAsync(s, 5);
        var expected = s.Host.Engine.GetStatus("web").Desired!.Value;
        await ServingAsync(s, expected);
        await CyclesAsync(s, 5);
        var status = s.Host.Engine.GetStatus("web");
        var calls = s.Pools["web"].Calls.ToArray();
        return (calls.Count(c => c == "launch"), calls.Count(c => c == "remove"), status.Counters.ScaleUps, status.Counters.ScaleDowns, status.Desired!.Value);
    }

    [Fact]
    public async Task Webhook_OneFiringGroupFromThreeReplicasTenTimes_ExactlyTheActionsOfOneNotification()
    {
        // Reference: the notification sent once.
        (int, int, long, long, int) once;
        await using (var single = await StartAsync())
        {
            await ServingAsync(single, 2);
            var answer = await PostAsync(single, Notification(0, 0));
            Assert.Equal(1, answer.GetProperty("added").GetInt32());
            once = await SettledAsync(single);
        }

        Assert.Equal((3, 0, 1L, 0L, 3), once);

        await using var s = await StartAsync();
        await ServingAsync(s, 2);
        var answers = new List<JsonElement>();
        for (var repeat = 0; repeat < 10; repeat++)
        {
            // The three replicas at once, in a different order each time.
            var order = Enumerable.Range(0, 3).Select(r => (r + repeat) % 3);
            answers.AddRange(await Task.WhenAll(order.Select(r => PostAsync(s, Notification(r, repeat)))));

            // Repeats land at different points: right away, while the new instance launches, after one cycle, after it serves.
            switch (repeat % 4)
            {
                case 1:
                    await CyclesAsync(s, 1);
                    break;
                case 2:
                    await ServingAsync(s, 3);
                    break;
                case 3:
                    await CyclesAsync(s, 3);
                    break;
            }
        }

        var replicated = await SettledAsync(s);
        Assert.Equal(once, replicated);
        Assert.Equal(30, answers.Count);
        Assert.Equal(1, answers.Sum(a => a.GetProperty("added").GetInt32()));
        Assert.Equal(29, answers.Sum(a => a.GetProperty("duplicate").GetInt32()));
        Assert.Equal(0, answers.Sum(a => a.GetProperty("changed").GetInt32() + a.GetProperty("stale").GetInt32() + a.GetProperty("rejected").GetInt32()));
        Assert.Equal(1, s.Host.Alerts.Count);

        // The audit trail has exactly one scale-up, as for the single notification.
        var events = JsonDocument.Parse(await s.Http.GetStringAsync("api/v1/events?pool=web&limit=1000")).RootElement.GetProperty("events").EnumerateArray();
        Assert.Single(events, e => e.GetProperty("type").GetString() == "decision" && e.GetProperty("decision").GetProperty("action").GetString() == "scale_up");
    }
}

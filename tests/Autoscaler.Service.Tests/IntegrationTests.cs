using System.Net;
using System.Text.Json;
using Autoscaler.Linode.Models;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests;

/// <summary>The service against the emulator over HTTP: alerts in, instances and NodeBalancer nodes out.</summary>
public sealed class IntegrationTests
{
    private static Func<TempDir, string, Core.Configuration.AutoscalerConfig> Config(int min = 2, int max = 4, string drain = "1s", string interval = "500ms") =>
        (dir, url) => TestConfig.Build(dir, TestConfig.Pool(min: min, max: max, extra: $$"""
                scale_up: { step: 1, cooldown: 0s }
                scale_down: { step: 1, cooldown: 0s, drain: {{drain}}, billing: none }
            """), linodeUrl: url, interval: interval, apiAuth: "{ bearer_token: " + TestConfig.ApiToken + " }");

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path) =>
        JsonDocument.Parse(await http.GetStringAsync(path)).RootElement;

    [Fact]
    public async Task Webhook_FiringHighThenResolvedAndLow_GrowsWithNodesUpThenDrainsBackToMin()
    {
        // Real instance processes (the Workload) behind real load balancers with active health checks.
        await using var env = await EmulatedService.StartAsync(Config(), realRuntimes: true);
        await env.WaitConvergedAsync(2, "the pool at its minimum, nodes UP", TimeSpan.FromMinutes(3));

        await env.PostAlertAsync(TestConfig.Fixture("webhook-firing.json"));
        await env.WaitConvergedAsync(4, "the pool grown to its maximum with every node UP", TimeSpan.FromMinutes(3));

        await env.PostAlertAsync(TestConfig.Fixture("webhook-resolved.json"));
        await env.PostAlertAsync(TestConfig.Notification("PoolCpuLow", fingerprint: "7c1a0e3f9b2d4e61"));
        await env.WaitConvergedAsync(2, "the pool drained back to its minimum", TimeSpan.FromMinutes(3));

        var events = (await GetJsonAsync(env.Http!, "api/v1/events?pool=web&limit=1000")).GetProperty("events").EnumerateArray().ToArray();
        var decisions = events.Where(e => e.GetProperty("type").GetString() == "decision").Select(e => e.GetProperty("decision")).ToArray();
        var summary = string.Join("\n", decisions.Select(d => $"{d.GetProperty("action")} {d.GetProperty("previous_desired")}->{d.GetProperty("desired")}: {d.GetProperty("reason")}"));
        Assert.True(2 == decisions.Count(d => d.GetProperty("action").GetString() == "scale_up"), summary);
        Assert.True(2 == decisions.Count(d => d.GetProperty("action").GetString() == "scale_down"), summary);
        Assert.Contains(decisions, d => d.GetProperty("reason").GetString()!.StartsWith("PoolCpuHigh firing", StringComparison.Ordinal));
        Assert.Contains(decisions, d => d.GetProperty("reason").GetString()!.StartsWith("PoolCpuLow firing", StringComparison.Ordinal));
        var ops = events.Where(e => e.GetProperty("type").GetString() == "operation").Select(e => e.GetProperty("operation")).ToArray();
        Assert.Contains(ops, o => o.GetProperty("kind").GetString() == "remove" && o.GetProperty("phase").GetString() == "draining");
        Assert.True(2 == ops.Count(o => o.GetProperty("kind").GetString() == "remove" && o.GetProperty("event").GetString() == "succeeded"),
            string.Join("\n", ops.Select(o => o.ToString())));
        // Newest first.
        var times = events.Select(e => e.GetProperty("at").GetDateTimeOffset()).ToArray();
        Assert.Equal(times.OrderByDescending(t => t), times);

        // The engine's view may trail the cloud by one evaluation.
        await Wait.UntilAsync(async () => (await GetJsonAsync(env.Http!, "http_sd")).GetArrayLength() == 2, "http_sd to list the two members");
        var sd = await GetJsonAsync(env.Http!, "http_sd");
        var members = await env.MembersAsync();
        Assert.Equal(2, sd.GetArrayLength());
        foreach (var group in sd.EnumerateArray())
        {
            var labels = group.GetProperty("labels");
            var member = Assert.Single(members, m => m.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) == labels.GetProperty("instance_id").GetString());
            Assert.Equal([member.PublicIpv4 + ":9100"], group.GetProperty("targets").EnumerateArray().Select(t => t.GetString()!).ToArray());
            Assert.Equal("web", labels.GetProperty("pool").GetString());
            Assert.Equal(member.Label, labels.GetProperty("instance_label").GetString());
            Assert.Equal("us-east", labels.GetProperty("region").GetString());
            Assert.Equal("g6-standard-1", labels.GetProperty("type").GetString());
        }

        var metrics = await env.Http!.GetStringAsync("metrics");
        Assert.Contains("autoscaler_pool_desired{pool=\"web\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("autoscaler_actions_total{pool=\"web\",direction=\"down\",result=\"succeeded\"} 2", metrics, StringComparison.Ordinal);
        Assert.True(metrics.Contains("autoscaler_linode_api_requests_total{method=\"POST\",route=\"/linode/instances\",code=\"200\"}", StringComparison.Ordinal), metrics);
    }

    [Fact]
    public async Task Restart_InTheMiddleOfAScaleUp_ConvergesWithoutLeaks()
    {
        await using var env = await EmulatedService.StartAsync(Config(max: 6), emulator: o => o.Faults.LatencyMs = 150);
        await env.WaitConvergedAsync(2, "the pool at its minimum");

        await env.ScaleAsync(6);

        // Stop as soon as the first new instance exists: the others are being created or joined.
        await Wait.UntilAsync(async () => (await env.MembersAsync()).Count >= 3, "the scale-up under way");
        await env.StopServiceAsync();

        await env.StartServiceAsync();
        await env.WaitConvergedAsync(6, "the scale-up finished after the restart");
        Assert.Equal(6, env.Host!.Engine.GetStatus("web").Desired);
    }

    [Fact]
    public async Task Restart_InTheMiddleOfAScaleDown_ConvergesWithoutLeaksOrOrphanNodes()
    {
        await using var env = await EmulatedService.StartAsync(Config(max: 6, drain: "3s"));
        await env.WaitConvergedAsync(2, "the pool at its minimum");
        await env.ScaleAsync(5);

        await env.WaitConvergedAsync(5, "the pool at 5");
        await env.ScaleAsync(2);

        await Wait.UntilAsync(async () => (await env.NodesAsync()).Any(n => n.Mode == NodeMode.Drain), "a victim draining");
        await env.StopServiceAsync();

        await env.StartServiceAsync();
        await env.WaitConvergedAsync(2, "the scale-down finished after the restart");
        var events = (await GetJsonAsync(env.Http!, "api/v1/events?pool=web&limit=1000")).GetProperty("events").EnumerateArray();
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "operation" && e.GetProperty("operation").GetProperty("event").GetString() == "resumed");
    }
}

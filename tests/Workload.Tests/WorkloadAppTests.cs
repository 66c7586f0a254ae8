using System.Net;
using Microsoft.Extensions.Time.Testing;
using static Workload.Tests.WorkloadHarness;

namespace Workload.Tests;

public class WorkloadAppTests
{
    [Fact]
    public async Task Root_IdleServer_Returns200WithWork()
    {
        await using var app = await StartAsync(TimeProvider.System, workMs: 5);
        using var client = Client();

        using var response = await client.GetAsync(app.AppUri);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("ok instance=", body, StringComparison.Ordinal);
        Assert.Contains("work_ms=5", body, StringComparison.Ordinal);
        Assert.True(response.Headers.Contains("X-Instance"));
    }

    [Fact]
    public async Task Health_AllCpusBusyAndQueueFull_StillReturnsOk()
    {
        var time = new FakeTimeProvider();
        await using var app = await StartAsync(time, vcpus: 1, workMs: 1000, queue: 0);
        using var client = Client();
        var blocker = client.GetAsync(app.AppUri);
        await EventuallyAsync(() => app.Cpu.WorkStarted == 1, "the CPU to be taken");

        using var health = await client.GetAsync(new Uri(app.AppUri, "/health"));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("ok\n", await health.Content.ReadAsStringAsync());
        time.Advance(TimeSpan.FromSeconds(1));
        using var done = await blocker;
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
    }

    [Fact]
    public async Task Root_WorkMsQuery_OverridesCost()
    {
        await using var app = await StartAsync(TimeProvider.System, workMs: 1000);
        using var client = Client();

        var body = await client.GetStringAsync(new Uri(app.AppUri, "/?work_ms=1"));
        using var bad = await client.GetAsync(new Uri(app.AppUri, "/?work_ms=abc"));

        Assert.Contains("work_ms=1 ", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task UnknownPath_Returns404()
    {
        await using var app = await StartAsync(TimeProvider.System);
        using var client = Client();

        using var response = await client.GetAsync(new Uri(app.AppUri, "/nope"));
        using var metricsRoot = await client.GetAsync(new Uri(app.MetricsUri, "/"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, metricsRoot.StatusCode);
    }

    [Fact]
    public async Task Root_OneVcpuSaturated_QueuesThenRejectsWith503()
    {
        var time = new FakeTimeProvider();
        await using var app = await StartAsync(time, vcpus: 1, workMs: 200, queue: 2);
        using var client = Client();

        // One request runs, two wait, the rest find the queue full.
        var requests = Enumerable.Range(0, 5).Select(_ => client.GetAsync(app.AppUri)).ToList();
        await EventuallyAsync(() => requests.Count(r => r.IsCompleted) == 2 && app.Cpu.QueueDepth == 2,
            "two rejections and a full queue");
        foreach (var rejected in requests.Where(r => r.IsCompleted))
        {
            using var response = await rejected;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        }

        var served = requests.Where(r => !r.IsCompleted).ToList();
        Assert.Equal(1, app.Cpu.Busy);
        for (var k = 1; k <= served.Count; k++)
        {
            // Advance only once the k-th request's CPU timer is armed, so each wait is exactly one request's work.
            await EventuallyAsync(() => app.Cpu.WorkStarted == k, $"request {k} on the CPU");
            time.Advance(TimeSpan.FromMilliseconds(200));
            await EventuallyAsync(() => served.Count(r => r.IsCompleted) == k, $"request {k} to be served");
        }

        var queuedMs = new List<string>();
        foreach (var request in served)
        {
            using var response = await request;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            queuedMs.Add(body[(body.IndexOf("queued_ms=", StringComparison.Ordinal) + 10)..].Trim());
        }

        // Each waited for the ones before it: 0, 200 and 400 ms of (virtual) CPU.
        Assert.Equal(["0", "200", "400"], queuedMs.Order(StringComparer.Ordinal));
        var metrics = await ScrapeAsync(client, app);
        Assert.Equal(2, metrics["workload_http_requests_total{code=\"503\",handler=\"/\"}"]);
        Assert.Equal(3, metrics["workload_http_requests_total{code=\"200\",handler=\"/\"}"]);
    }

    [Fact]
    public async Task Metrics_LoadThenIdle_UserTimeGrowsOnlyUnderLoad()
    {
        var time = new FakeTimeProvider();
        await using var app = await StartAsync(time, vcpus: 2, workMs: 2000);
        using var client = Client();

        time.Advance(TimeSpan.FromSeconds(10));
        var idle = await ScrapeAsync(client, app);
        Assert.Equal(10, idle["node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}"], 6);
        Assert.Equal(0, idle["node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}"]);
        Assert.Equal(0, idle["node_cpu_seconds_total{cpu=\"1\",mode=\"user\"}"]);

        var request = client.GetAsync(app.AppUri);
        await EventuallyAsync(() => app.Cpu.WorkStarted == 1, "the request to take a CPU");
        time.Advance(TimeSpan.FromSeconds(2));
        using (var response = await request)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var loaded = await ScrapeAsync(client, app);
        var user = loaded["node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}"]
            + loaded["node_cpu_seconds_total{cpu=\"1\",mode=\"user\"}"];
        Assert.Equal(2, user, 6);
        Assert.Equal(0, loaded["node_cpu_seconds_total{cpu=\"0\",mode=\"system\"}"]);

        time.Advance(TimeSpan.FromSeconds(30));
        var after = await ScrapeAsync(client, app);
        var userAfter = after["node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}"]
            + after["node_cpu_seconds_total{cpu=\"1\",mode=\"user\"}"];
        var idleAfter = after["node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}"]
            + after["node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"}"];
        Assert.Equal(user, userAfter, 6);
        Assert.Equal((2 * 42) - 2, idleAfter, 6);
    }

    [Fact]
    public async Task Metrics_SaturatedCpuScrapedOften_CountersNeverGoDown()
    {
        var time = new FakeTimeProvider();
        await using var app = await StartAsync(time, vcpus: 1, workMs: 60000);
        using var client = Client();
        time.Advance(TimeSpan.FromSeconds(1000.123456789));

        var request = client.GetAsync(app.AppUri);
        await EventuallyAsync(() => app.Cpu.WorkStarted == 1, "the request to take the CPU");
        var (lastIdle, lastUser) = (0.0, 0.0);
        for (var i = 0; i < 200; i++)
        {
            // Uneven steps while the only CPU is busy: idle must hold still and user must grow, never the reverse.
            time.Advance(TimeSpan.FromTicks(1_234_567 + (i * 7_919)));
            var metrics = await ScrapeAsync(client, app);
            var idle = metrics["node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}"];
            var user = metrics["node_cpu_seconds_total{cpu=\"0\",mode=\"user\"}"];
            Assert.True(idle >= lastIdle, $"idle went down at scrape {i}: {lastIdle:R} -> {idle:R}");
            Assert.True(user >= lastUser, $"user went down at scrape {i}: {lastUser:R} -> {user:R}");
            (lastIdle, lastUser) = (idle, user);
        }
        time.Advance(TimeSpan.FromSeconds(60));
        using var response = await request;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_AfterRequests_HistogramBucketsAreCumulative()
    {
        var time = new FakeTimeProvider();
        await using var app = await StartAsync(time, vcpus: 1, workMs: 200);
        using var client = Client();

        var request = client.GetAsync(app.AppUri);
        await EventuallyAsync(() => app.Cpu.WorkStarted == 1, "the request to take a CPU");
        time.Advance(TimeSpan.FromMilliseconds(200));
        (await request).Dispose();
        (await client.GetAsync(new Uri(app.AppUri, "/?work_ms=0"))).Dispose();

        var text = await client.GetStringAsync(app.MetricsUri);
        var metrics = ParseMetrics(text);
        const string Name = "workload_http_request_duration_seconds";
        Assert.Contains($"# TYPE {Name} histogram", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE node_cpu_seconds_total counter", text, StringComparison.Ordinal);
        Assert.Equal(2, metrics[$"{Name}_count{{handler=\"/\"}}"]);
        Assert.Equal(0.2, metrics[$"{Name}_sum{{handler=\"/\"}}"], 6);
        Assert.Equal(1, metrics[$"{Name}_bucket{{handler=\"/\",le=\"0.005\"}}"]);
        Assert.Equal(1, metrics[$"{Name}_bucket{{handler=\"/\",le=\"0.1\"}}"]);
        Assert.Equal(2, metrics[$"{Name}_bucket{{handler=\"/\",le=\"0.25\"}}"]);
        Assert.Equal(2, metrics[$"{Name}_bucket{{handler=\"/\",le=\"+Inf\"}}"]);
        var buckets = metrics.Where(m => m.Key.StartsWith(Name + "_bucket{handler=\"/\"", StringComparison.Ordinal))
            .Select(m => m.Value).ToList();
        Assert.Equal(12, buckets.Count);
        Assert.Equal(buckets.Order(), buckets);
    }

    [Fact]
    public async Task Metrics_Scrape_HasNodeExporterSeries()
    {
        await using var app = await StartAsync(TimeProvider.System, vcpus: 3);
        using var client = Client();
        (await client.GetAsync(new Uri(app.AppUri, "/health"))).Dispose();

        using var response = await client.GetAsync(app.MetricsUri);
        var metrics = ParseMetrics(await response.Content.ReadAsStringAsync());

        Assert.StartsWith("text/plain; version=0.0.4", response.Content.Headers.ContentType?.ToString(),
            StringComparison.Ordinal);
        Assert.Contains("node_cpu_seconds_total{cpu=\"2\",mode=\"idle\"}", metrics.Keys);
        Assert.DoesNotContain("node_cpu_seconds_total{cpu=\"3\",mode=\"idle\"}", metrics.Keys);
        Assert.Equal(3L * 2048 * 1024 * 1024, metrics["node_memory_MemTotal_bytes"]);
        Assert.InRange(metrics["node_memory_MemAvailable_bytes"], 1, metrics["node_memory_MemTotal_bytes"] - 1);
        Assert.Contains("node_load1", metrics.Keys);
        Assert.True(metrics["node_network_receive_bytes_total{device=\"eth0\"}"] > 0);
        Assert.True(metrics["node_network_transmit_bytes_total{device=\"eth0\"}"] > 0);
        Assert.Equal(1, metrics["workload_http_requests_total{code=\"200\",handler=\"/health\"}"]);
        Assert.Equal(0, metrics["workload_queue_depth"]);
        Assert.Equal(3, metrics["workload_vcpus"]);
        Assert.DoesNotContain(metrics.Keys, k => k.StartsWith("process_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_QueuedRequests_LoadAverageRises()
    {
        var time = new FakeTimeProvider();
        await using var app = await StartAsync(time, vcpus: 1, workMs: 60_000, queue: 4);
        using var client = Client();
        var requests = Enumerable.Range(0, 3).Select(_ => client.GetAsync(app.AppUri)).ToList();
        await EventuallyAsync(() => app.Cpu.WorkStarted == 1 && app.Cpu.QueueDepth == 2, "one running, two queued");

        var before = await ScrapeAsync(client, app);
        for (var i = 0; i < 11; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
        }

        var after = await ScrapeAsync(client, app);
        Assert.Equal(0, before["node_load1"]);
        Assert.InRange(after["node_load1"], 1.5, 3);
        Assert.Equal(2, after["workload_queue_depth"]);
        Assert.Equal(3, after["workload_http_requests_in_flight"]);
        for (var k = 1; k <= requests.Count; k++)
        {
            await EventuallyAsync(() => app.Cpu.WorkStarted == k, $"request {k} on the CPU");
            time.Advance(TimeSpan.FromMinutes(1));
        }

        foreach (var request in requests)
        {
            (await request).Dispose();
        }
    }

    [Fact]
    public async Task Root_RealMode_BurnsAndServes()
    {
        await using var app = await StartAsync(TimeProvider.System, vcpus: 1, workMs: 20, mode: CpuMode.Real);
        using var client = Client();

        var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.GetAsync(app.AppUri)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var metrics = await ScrapeAsync(client, app);
        Assert.Equal(1, metrics["workload_info{mode=\"real\"}"]);
        Assert.Equal(3, metrics["workload_http_requests_total{code=\"200\",handler=\"/\"}"]);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}

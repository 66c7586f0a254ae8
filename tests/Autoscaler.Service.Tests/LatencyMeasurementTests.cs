using System.Diagnostics;
using System.Globalization;
using System.Net;
using Autoscaler.Service.Tests.Support;
using Xunit.Abstractions;

namespace Autoscaler.Service.Tests;

/// <summary>
/// Measures what the issue asks for (webhook → first Linode API call over 1,000 alerts; webhook requests/s at 16
/// concurrent clients) and asserts only what can fail regardless of machine speed: every alert reaches the engine
/// and the API, every request is answered 200. The figures go to the test output.
/// </summary>
public sealed class LatencyMeasurementTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Webhook_1000DistinctAlerts_EachLeadsToALinodeApiCall()
    {
        var probe = new ProbeHandler();
        await using var env = await EmulatedService.StartAsync(
            // snapshot_freshness 0s: every evaluation lists the pool, so each alert's own evaluation shows as a call (with
            // the shared account view, evaluations within 10 s of a list make none, which is the point of the view).
            (dir, url) => TestConfig.Build(dir, TestConfig.Pool(min: 2, max: 2), linodeUrl: url, interval: "1h", snapshotFreshness: "0s"),
            linodeHandler: () => probe);
        await Wait.UntilAsync(async () =>
        {
            env.Host!.Nudger.Nudge("web", "test");
            return await env.DivergenceAsync(2) is null;
        }, "the pool at its size");

        const int Alerts = 1000;
        var latencies = new List<double>(Alerts);
        var cycleDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        env.Host!.Loop.CycleCompleted += _ => Volatile.Read(ref cycleDone).TrySetResult();
        for (var i = 0; i < Alerts; i++)
        {
            // Start from a quiet engine so that the call seen is the one the alert caused.
            Volatile.Write(ref cycleDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            var done = cycleDone.Task;
            var next = probe.Arm();
            var sent = Stopwatch.GetTimestamp();
            await env.PostAlertAsync(TestConfig.Notification("PoolCpuHigh", fingerprint: "fp" + i.ToString("x8", CultureInfo.InvariantCulture),
                startsAt: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(i)));
            var called = await next.WaitAsync(TimeSpan.FromSeconds(60));
            latencies.Add(Stopwatch.GetElapsedTime(sent, called).TotalMilliseconds);
            await done.WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.Equal(Alerts, latencies.Count);
        latencies.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"webhook -> first Linode API call over {Alerts} alerts: p50 {Percentile(latencies, 0.50):0.00} ms, p99 {Percentile(latencies, 0.99):0.00} ms, max {latencies[^1]:0.00} ms"));

        // Throughput: 16 clients re-sending one notification (duplicates: recorded, no cloud work).
        var body = TestConfig.Fixture("webhook-firing.json");
        const int PerClient = 500;
        var watch = Stopwatch.StartNew();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var http = new HttpClient { BaseAddress = env.Host!.BaseAddress };
            var ok = 0;
            for (var i = 0; i < PerClient; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(body) };
                request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
                using var response = await http.SendAsync(request);
                ok += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }

            return ok;
        }));
        watch.Stop();
        Assert.Equal(16 * PerClient, statuses.Sum());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"webhook at 16 concurrent clients: {16 * PerClient / watch.Elapsed.TotalSeconds:0} requests/s ({16 * PerClient} requests in {watch.Elapsed.TotalSeconds:0.00} s)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test process working set (service + emulator + test): {Environment.WorkingSet / (1024.0 * 1024):0} MiB"));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>The Linode transport, noting when the next request after <see cref="Arm"/> starts.</summary>
    private sealed class ProbeHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private TaskCompletionSource<long>? _next;

        public Task<long> Arm()
        {
            var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _next, tcs);
            return tcs.Task;
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Exchange(ref _next, null)?.TrySetResult(Stopwatch.GetTimestamp());
            return base.SendAsync(request, cancellationToken);
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Tests.Reliability;
using Autoscaler.Service.Tests.Support;
using Xunit.Abstractions;

namespace Autoscaler.Service.Tests.Security;

/// <summary>
/// Issue 15's attacks on the HTTP side, each shown failing: the webhook token writing (finding 5), cross-site and
/// DNS-rebinding requests (6), a flood of webhooks spending the Linode rate limit (7), secrets in /metrics and forged
/// log lines (8), unbounded and unauthenticated reads (9).
/// </summary>
public sealed class HttpHardeningTests(ITestOutputHelper output)
{
    private const string ApiAuth = "{ bearer_token: " + TestConfig.ApiToken + " }";

    private static HttpRequestMessage Post(string path, string body, string? contentType = "application/json", string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = TestConfig.BearerHeader(bearer);
        }

        return request;
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    private static Task<FakeService> StartAsync(string? webhookAuth = null, string? apiAuth = null, string extraTop = "") =>
        FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(min: 1, max: 4), webhookAuth: webhookAuth, apiAuth: apiAuth, extraTop: extraTop));

    [Fact]
    public async Task Writes_WithTheWebhookToken_403NamingApiAuthAndNothingChanges()
    {
        var logs = new LogCapture();
        using var dir = new TempDir();
        await using var host = await AutoscalerHost.StartAsync(TestConfig.Build(dir, TestConfig.Pool(min: 1, max: 4)), new AutoscalerServices
        {
            InstancePools = p => new GatedPool(p.Name, TimeProvider.System),
            LoggerFactory = logs.Factory(),
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        foreach (var (path, body) in new[] { ("api/v1/pools/web/scale", """{"desired": 3}"""), ("api/v1/pools/web/dry_run", """{"dry_run": true}"""), ("api/v1/dry_run", """{"dry_run": true}""") })
        {
            var (status, answer) = await SendAsync(http, Post(path, body, bearer: TestConfig.WebhookToken));
            Assert.True(status == HttpStatusCode.Forbidden, $"{path}: {(int)status} {answer}");
            Assert.Contains("set api.auth", answer, StringComparison.Ordinal);
        }

        Assert.Equal(1, host.Engine.GetStatus("web").Desired);
        Assert.False(host.Engine.IsDryRun("web"));
        // The start-up lines say so.
        Assert.Contains(logs.Entries, e => e.Contains("access: webhook needs webhook.auth; writes refused (set api.auth", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CrossSiteSimpleRequests_NoAuthAnywhere_RefusedAndNothingChanges()
    {
        // The review's setting: no credentials at all, on loopback. A page the operator opens can still send these.
        await using var s = await StartAsync(webhookAuth: "");
        (string Path, string Body, string? Type)[] simple =
        [
            ("api/v1/pools/web/scale", """{"desired": 4}""", "text/plain"),
            ("api/v1/pools/web/scale", """{"desired": 4}""", "application/x-www-form-urlencoded"),
            ("api/v1/pools/web/dry_run", """{"dry_run": true}""", "text/plain;charset=UTF-8"),
            ("api/v1/dry_run", """{"dry_run": true}""", null),
            ("hook", TestConfig.Notification("PoolCpuHigh"), null),
            ("hook", TestConfig.Notification("PoolCpuHigh"), "text/plain"),
        ];
        foreach (var (path, body, type) in simple)
        {
            var (status, answer) = await SendAsync(s.Http, Post(path, body, type));
            Assert.True(status is HttpStatusCode.UnsupportedMediaType or HttpStatusCode.BadRequest, $"{path} as {type ?? "no type"}: {(int)status} {answer}");
            Assert.Contains("Content-Type must be application/json", answer, StringComparison.Ordinal);
        }

        // JSON from a foreign page (a CORS preflight would be needed; a non-browser forging Origin gets the same).
        foreach (var origin in new[] { "http://evil.example", "null", "http://127.0.0.1:1" })
        {
            var request = Post("api/v1/pools/web/scale", """{"desired": 4}""");
            request.Headers.TryAddWithoutValidation("Origin", origin);
            var (status, answer) = await SendAsync(s.Http, request);
            Assert.True(status == HttpStatusCode.Forbidden, $"Origin {origin}: {(int)status} {answer}");
            Assert.Contains("cross-origin request refused", answer, StringComparison.Ordinal);
        }

        var crossSite = Post("hook", TestConfig.Notification("PoolCpuHigh"));
        crossSite.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s.Http, crossSite)).Status);

        Assert.Equal(1, s.Host.Engine.GetStatus("web").Desired);
        Assert.False(s.Host.Engine.IsDryRun("web"));
        Assert.Equal(0, s.Host.Alerts.Count);

        // The dashboard's own page (same origin, JSON) still writes: the checks refuse only what is foreign.
        var own = Post("api/v1/pools/web/scale", """{"desired": 2}""");
        own.Headers.TryAddWithoutValidation("Origin", s.Host.BaseAddress.GetLeftPart(UriPartial.Authority));
        var (ok, okBody) = await SendAsync(s.Http, own);
        Assert.True(ok == HttpStatusCode.OK, okBody);
    }

    [Fact]
    public async Task DnsRebinding_ForeignHostHeader_RefusedWhileIpLocalhostAndAllowedNamesAnswer()
    {
        await using var s = await StartAsync(extraTop: "allowed_hosts: [autoscaler.internal]");
        var port = s.Host.BaseAddress.Port.ToString(CultureInfo.InvariantCulture);
        foreach (var (host, expected) in new[]
        {
            ("attacker.example:" + port, HttpStatusCode.Forbidden),
            ("autoscaler.internal.attacker.example", HttpStatusCode.Forbidden),
            ("127.0.0.1:" + port, HttpStatusCode.OK),
            ("localhost:" + port, HttpStatusCode.OK),
            ("autoscaler.internal:" + port, HttpStatusCode.OK),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/pools");
            request.Headers.Host = host;
            var (status, answer) = await SendAsync(s.Http, request);
            Assert.True(expected == status, $"Host {host}: {(int)status} {answer}");
            if (status == HttpStatusCode.Forbidden)
            {
                Assert.Contains("allowed_hosts", answer, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Parse_AuthNoneOnANonLoopbackListener_RefusedAtStart()
    {
        var yaml = $$"""
            linode: { url: "http://127.0.0.1:1/v4", token: t }
            listen: 0.0.0.0:9099
            pools:
            {{TestConfig.Pool()}}
            """;
        var result = ServiceSchema.Parse(yaml, new Dictionary<string, string>());
        Assert.False(result.IsValid);
        Assert.Contains("listen 0.0.0.0:9099 is reachable from other machines and webhook.auth is not set", string.Join("\n", result.Errors), StringComparison.Ordinal);

        var withAuth = ServiceSchema.Parse(yaml.Replace("listen: 0.0.0.0:9099", "listen: 0.0.0.0:9099\nwebhook: { auth: { bearer_token: x } }", StringComparison.Ordinal),
            new Dictionary<string, string>());
        Assert.True(withAuth.IsValid, string.Join("\n", withAuth.Errors));
    }

    [Fact]
    public async Task Start_ConfigBuiltInCodeWithAuthNoneOnAllInterfaces_Refused()
    {
        using var dir = new TempDir();
        var config = TestConfig.Build(dir, TestConfig.Pool(), webhookAuth: "").WithService(c => c with { Listen = "0.0.0.0:0" });

        var error = await Assert.ThrowsAsync<ArgumentException>(() => AutoscalerHost.StartAsync(config, new AutoscalerServices
        {
            InstancePools = p => new GatedPool(p.Name, TimeProvider.System),
        }));
        Assert.Contains("webhook.auth is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_CommandWithSecretArguments_LabelledByIndexAndProgramOnly()
    {
        await using var s = await StartAsync(extraTop: """commands: [ { cmd: /bin/echo, args: ["--api-key", "sekret-value-123"] } ]""");
        var (status, _) = await SendAsync(s.Http, Post("hook", TestConfig.Notification("PoolCpuHigh"), bearer: TestConfig.WebhookToken));
        Assert.Equal(HttpStatusCode.OK, status);

        string metrics = "";
        await Wait.UntilAsync(async () => (metrics = await s.Http.GetStringAsync("metrics")).Contains(
            "autoscaler_command_runs_total{command=\"0:echo\",result=\"succeeded\"} 1", StringComparison.Ordinal), "the run counted");
        Assert.DoesNotContain("sekret-value-123", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("--api-key", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_AlertnameAndCommandOutputWithNewlines_StayOneLineEach()
    {
        var logs = new LogCapture();
        using var dir = new TempDir();
        var config = TestConfig.Build(dir, TestConfig.Pool(min: 1, max: 4),
            extraTop: """commands: [ { cmd: /usr/bin/printf, args: ["first\\nerror: forged by the command\\n"], name: printf } ]""");
        await using var host = await AutoscalerHost.StartAsync(config, new AutoscalerServices
        {
            InstancePools = p => new GatedPool(p.Name, TimeProvider.System),
            LoggerFactory = logs.Factory(),
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        // In JSON, \n is a newline inside the alert name.
        var body = TestConfig.Notification("PoolCpuHigh\\nerror: forged by the alert");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, Post("hook", body, bearer: TestConfig.WebhookToken))).Status);
        await Wait.UntilAsync(() => logs.Entries.Any(e => e.Contains("command printf", StringComparison.Ordinal) && e.Contains("output", StringComparison.Ordinal)),
            "the command's log line");

        // One line names the alert: the warning that no pool listens to that (forged) name, so it is not held.
        var alertLines = logs.Entries.Where(e => e.Contains("webhook: alert PoolCpuHigh", StringComparison.Ordinal)).ToList();
        Assert.Single(alertLines);
        Assert.All(alertLines, line =>
        {
            Assert.DoesNotContain('\n', line);
            Assert.Contains("PoolCpuHigh\\nerror: forged by the alert", line, StringComparison.Ordinal);
        });
        var ran = Assert.Single(logs.Entries, e => e.Contains("command printf", StringComparison.Ordinal) && e.Contains("output", StringComparison.Ordinal));
        Assert.DoesNotContain('\n', ran);
        Assert.Contains("first\\nerror: forged by the command", ran, StringComparison.Ordinal);
        // The configuration summary is ours and keeps its layout.
        Assert.Contains(logs.Entries, e => e.Contains("configuration (secrets redacted):\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reads_AuthReadsSet_NeedTheApiTokenWhileHealthStaysOpen()
    {
        await using var s = await FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(min: 1, max: 4),
            extraTop: "api: { auth: " + ApiAuth + ", auth_reads: true }"));
        foreach (var path in new[] { "api/v1/pools", "api/v1/alerts", "api/v1/events", "metrics", "http_sd" })
        {
            using var anonymous = await s.Http.GetAsync(path);
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {(int)anonymous.StatusCode}");
            using var webhook = new HttpRequestMessage(HttpMethod.Get, path);
            webhook.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
            Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(s.Http, webhook)).Status);
            using var api = new HttpRequestMessage(HttpMethod.Get, path);
            api.Headers.Authorization = TestConfig.BearerHeader(TestConfig.ApiToken);
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(s.Http, api)).Status);
        }

        Assert.Equal("ok\n", await s.Http.GetStringAsync("healthz"));
    }

    [Fact]
    public async Task Alerts_ManyFiring_AnsweredInPagesNeverAllAtOnce()
    {
        await using var s = await StartAsync();
        for (var i = 0; i < 5; i++)
        {
            var body = TestConfig.Notification("PoolCpuHigh", fingerprint: "page" + i.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(s.Http, Post("hook", body, bearer: TestConfig.WebhookToken))).Status);
        }

        var first = JsonDocument.Parse(await s.Http.GetStringAsync("api/v1/alerts?limit=2")).RootElement;
        Assert.Equal(2, first.GetProperty("alerts").GetArrayLength());
        Assert.Equal(5, first.GetProperty("total").GetInt32());
        Assert.Equal(2, first.GetProperty("next_offset").GetInt32());
        var last = JsonDocument.Parse(await s.Http.GetStringAsync("api/v1/alerts?offset=4&limit=2")).RootElement;
        Assert.Equal(1, last.GetProperty("alerts").GetArrayLength());
        Assert.True(!last.TryGetProperty("next_offset", out var next) || next.ValueKind == JsonValueKind.Null);
        using var tooMany = await s.Http.GetAsync("api/v1/alerts?limit=1001");
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        // Without limit: the default page, not the store.
        Assert.Equal(5, JsonDocument.Parse(await s.Http.GetStringAsync("api/v1/alerts")).RootElement.GetProperty("alerts").GetArrayLength());
    }

    [Fact]
    public async Task Webhooks_FloodOfDistinctAlertsForTenSeconds_AHandfulOfLinodeCallsPerPool()
    {
        var counter = new CountingHandler();
        await using var env = await EmulatedService.StartAsync(
            (dir, url) => TestConfig.Build(dir, TestConfig.Pool(min: 2, max: 2), linodeUrl: url, interval: "1h", minEvaluationInterval: "2s"),
            linodeHandler: () => counter);
        await Wait.UntilAsync(async () =>
        {
            env.Host!.Nudger.Nudge("web", "api");
            return await env.DivergenceAsync(2) is null;
        }, "the pool at its size");
        await Task.Delay(2500); // past the minimum interval of the last evaluation
        var callsBefore = counter.Calls;
        var cyclesBefore = env.Host!.Loop.Cycles;

        var watch = Stopwatch.StartNew();
        var sent = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async client =>
        {
            while (watch.Elapsed < TimeSpan.FromSeconds(10) && Interlocked.Increment(ref sent) <= 10_000)
            {
                var n = Volatile.Read(ref sent);
                var body = TestConfig.Notification("PoolCpuHigh", fingerprint: "flood" + n.ToString("x8", CultureInfo.InvariantCulture),
                    startsAt: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(n));
                await env.PostAlertAsync(body);
            }
        }));
        var seconds = watch.Elapsed.TotalSeconds;
        await Task.Delay(2500); // the held nudge of the last interval runs
        var calls = counter.Calls - callsBefore;
        var cycles = env.Host.Loop.Cycles - cyclesBefore;
        var webhooks = Math.Min(sent, 10_000);
        output.WriteLine($"{webhooks} webhooks in {seconds:0.0} s: {cycles} evaluations, {calls} Linode API calls");

        // One evaluation when the flood starts and at most one per 2 s after: 10 s cost at most 7, each a few calls.
        var allowed = (int)Math.Ceiling((seconds + 2.5) / 2) + 1;
        Assert.True(cycles <= allowed, $"{cycles} evaluations for {webhooks} webhooks in {seconds:0.0} s (at most {allowed})");
        Assert.True(calls <= allowed * 4, $"{calls} Linode calls for {webhooks} webhooks in {seconds:0.0} s");
        Assert.True(webhooks >= 500, $"only {webhooks} webhooks were sent");
    }

    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Autoscaler.Core.Alerts;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests;

public sealed class WebhookTests
{
    private static Task<FakeService> StartAsync(string? webhookAuth = null, Action<GatedPool>? prepare = null) =>
        FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(max: 6), webhookAuth: webhookAuth), prepare);

    private static async Task<HttpResponseMessage> PostAsync(FakeService s, string body, string path = "hook", System.Net.Http.Headers.AuthenticationHeaderValue? auth = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = TestConfig.Json(body) };
        request.Headers.Authorization = auth ?? TestConfig.BearerHeader(TestConfig.WebhookToken);
        return await s.Http.SendAsync(request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Post_NoCredentials_401WithBearerChallengeAndNothingRecorded()
    {
        await using var s = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(TestConfig.Fixture("webhook-firing.json")) };
        using var response = await s.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, s.Host.Alerts.Count);
    }

    [Fact]
    public async Task Post_WrongBearer_401AndTheTokenIsNotEchoed()
    {
        await using var s = await StartAsync();
        using var response = await PostAsync(s, TestConfig.Fixture("webhook-firing.json"), auth: TestConfig.BearerHeader("not-the-token"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("not-the-token", body, StringComparison.Ordinal);
        Assert.DoesNotContain(TestConfig.WebhookToken, body, StringComparison.Ordinal);
        Assert.Equal(0, s.Host.Alerts.Count);
    }

    [Fact]
    public async Task Post_AlertForAPoolThatDoesNotExist_AnsweredUnmatchedCountedAndNotHeld()
    {
        await using var s = await StartAsync();
        var body = TestConfig.Fixture("webhook-firing.json").Replace("\"pool\": \"web\"", "\"pool\": \"nope\"", StringComparison.Ordinal);

        using var response = await PostAsync(s, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await JsonAsync(response);
        Assert.Equal((0, 1), (json.GetProperty("added").GetInt32(), json.GetProperty("unmatched").GetInt32()));
        Assert.Equal(0, s.Host.Alerts.Count);
        using var http = new HttpClient { BaseAddress = s.Host.BaseAddress };
        var metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        Assert.Contains("autoscaler_webhook_alerts_unmatched_total 1", metrics, StringComparison.Ordinal);
        Assert.Contains("autoscaler_alerts_ignored_total{reason=\"unmatched\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("autoscaler_webhook_alerts_total{outcome=\"ignored\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_RightBearer_200AndAlertRecordedByFingerprint()
    {
        await using var s = await StartAsync();
        using var response = await PostAsync(s, TestConfig.Fixture("webhook-firing.json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await JsonAsync(response);
        Assert.Equal(1, json.GetProperty("added").GetInt32());
        var state = s.Host.Alerts.Get("505e845896f2651e");
        Assert.NotNull(state);
        Assert.Equal(AlertStatus.Firing, state.Status);
        Assert.Equal("PoolCpuHigh", state.AlertName);
        Assert.Equal("web", state.Labels["pool"]);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("wrong", HttpStatusCode.Unauthorized)]
    [InlineData("right", HttpStatusCode.OK)]
    public async Task Post_BasicAuth_OnlyRightPairAccepted(string? which, HttpStatusCode expected)
    {
        await using var s = await StartAsync(webhookAuth: "{ basic: { username: alertmanager, password: pa55-word } }");
        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(TestConfig.Fixture("webhook-firing.json")) };
        request.Headers.Authorization = which switch
        {
            "right" => TestConfig.BasicHeader("alertmanager", "pa55-word"),
            "wrong" => TestConfig.BasicHeader("alertmanager", "pa55-wore"),
            _ => null,
        };
        using var response = await s.Http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.StartsWith("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.Equal(0, s.Host.Alerts.Count);
        }
        else
        {
            Assert.Equal(1, s.Host.Alerts.Count);
        }
    }

    [Fact]
    public async Task Post_BearerWhenBasicConfigured_401()
    {
        await using var s = await StartAsync(webhookAuth: "{ basic: { username: alertmanager, password: pa55-word } }");
        using var response = await PostAsync(s, TestConfig.Fixture("webhook-firing.json"), auth: TestConfig.BearerHeader("pa55-word"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("", "the body is empty")]
    public async Task Post_MalformedBody_400NamingTheProblem(string body, string expected)
    {
        await using var s = await StartAsync();
        using var response = await PostAsync(s, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (await JsonAsync(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_WrongVersion_400NamingVersion()
    {
        await using var s = await StartAsync();
        var body = TestConfig.Fixture("webhook-firing.json").Replace("\"version\": \"4\"", "\"version\": \"3\"", StringComparison.Ordinal);
        using var response = await PostAsync(s, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problems = (await JsonAsync(response)).GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.Equal<string>(["version must be \"4\" (got \"3\")"], problems);
    }

    [Fact]
    public async Task Post_MissingAndMistypedFields_400ListingEveryProblem()
    {
        await using var s = await StartAsync();
        const string body = """
            {"version":"4","status":"firing","alerts":[
              {"status":"burning","labels":{"alertname":"PoolCpuHigh","n":1},"startsAt":"yesterday"},
              {"labels":{"alertname":"PoolCpuHigh"},"startsAt":"2026-01-01T00:00:00Z"},
              "x"]}
            """;
        using var response = await PostAsync(s, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problems = (await JsonAsync(response)).GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.Equal<string>(
            [
                "alerts[0].status must be \"firing\" or \"resolved\" (got \"burning\")",
                "alerts[0].labels.n must be a string (got a number)",
                "alerts[0].startsAt must be an RFC 3339 time (got \"yesterday\")",
                "alerts[1].status is missing; expected \"firing\" or \"resolved\"",
                "alerts[2] must be an object (got a string)",
            ],
            problems);
        Assert.Equal(0, s.Host.Alerts.Count);
    }

    [Fact]
    public async Task Post_NoAlerts_400()
    {
        await using var s = await StartAsync();
        using var response = await PostAsync(s, """{"version":"4","status":"firing","alerts":[]}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("alerts must contain at least one alert", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_BodyOverLimit_413WithTheLimit()
    {
        await using var s = await StartAsync();
        var big = TestConfig.Fixture("webhook-firing.json").Replace("\"annotations\": {}", "\"annotations\": {\"x\": \"" + new string('a', 70_000) + "\"}", StringComparison.Ordinal);
        using var response = await PostAsync(s, big);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("at most 65536 bytes", (await JsonAsync(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, s.Host.Alerts.Count);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_413()
    {
        await using var s = await StartAsync();
        var bytes = Encoding.UTF8.GetBytes("{\"version\":\"4\",\"pad\":\"" + new string('a', 100_000) + "\"}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = new StreamContent(new NoLengthStream(bytes)) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
        request.Headers.TransferEncodingChunked = true;
        using var response = await s.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Post_SameNotificationFromThreeReplicasTenTimes_OneAlertTheRestDuplicates()
    {
        await using var s = await StartAsync();
        var body = TestConfig.Fixture("webhook-firing.json");
        var outcomes = new List<JsonElement>();
        for (var repeat = 0; repeat < 10; repeat++)
        {
            var replicas = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
            {
                using var r = await PostAsync(s, body);
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                return await JsonAsync(r);
            }));
            outcomes.AddRange(replicas);
        }

        Assert.Equal(1, s.Host.Alerts.Count);
        Assert.Equal(1, outcomes.Sum(o => o.GetProperty("added").GetInt32()));
        Assert.Equal(29, outcomes.Sum(o => o.GetProperty("duplicate").GetInt32()));
        var metrics = await s.Http.GetStringAsync("metrics");
        Assert.Contains("autoscaler_webhook_alerts_total{outcome=\"duplicate\"} 29", metrics, StringComparison.Ordinal);
        Assert.Contains("autoscaler_webhook_requests_total{outcome=\"accepted\"} 30", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hook")]
    [InlineData("webhook")]
    [InlineData("alerts")]
    public async Task Post_EveryReceiverPath_Accepted(string path)
    {
        await using var s = await StartAsync();
        using var response = await PostAsync(s, TestConfig.Fixture("webhook-firing.json"), path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_ResolvedAfterFiring_AlertResolved()
    {
        await using var s = await StartAsync();
        (await PostAsync(s, TestConfig.Fixture("webhook-firing.json"))).Dispose();
        using var response = await PostAsync(s, TestConfig.Fixture("webhook-resolved.json"));

        Assert.Equal(1, (await JsonAsync(response)).GetProperty("changed").GetInt32());
        Assert.Equal(AlertStatus.Resolved, s.Host.Alerts.Get("505e845896f2651e")!.Status);
    }

    [Fact]
    public async Task Post_WhileTheCloudIsBusy_AnswersBeforeAnyCloudWorkAndTheEngineActsAfter()
    {
        await using var s = await StartAsync();
        var pool = s.Pools["web"];
        // Drive the pool to its minimum, then hold every later snapshot at the gate.
        await ServeMinimumAsync(s, pool);
        var launchesBefore = pool.Cloud.Launches;
        pool.Close();

        using var response = await PostAsync(s, TestConfig.Fixture("webhook-firing.json"));

        // The answer came while the nudged cycle is (or will be) stuck in the cloud: nothing was launched for the alert yet.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(AlertStatus.Firing, s.Host.Alerts.Get("505e845896f2651e")!.Status);
        Assert.Equal(launchesBefore, pool.Cloud.Launches);
        await pool.SnapshotWaiting.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(launchesBefore, pool.Cloud.Launches);

        pool.Open();
        await Wait.UntilAsync(() => pool.Cloud.Launches > launchesBefore, "the engine to launch after the cloud answers");
    }

    [Fact]
    public async Task Post_FiringAlert_EvaluatesThePoolWithoutWaitingForTheInterval()
    {
        // The interval is an hour: only the nudge can make the second cycle happen.
        await using var s = await StartAsync();
        var pool = s.Pools["web"];
        await ServeMinimumAsync(s, pool);

        using var response = await PostAsync(s, TestConfig.Fixture("webhook-firing.json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Wait.UntilAsync(() => pool.Cloud.Launches >= 3, "a scale-up launch triggered by the webhook");
        // The cycle counter moves when the cycle ends, which can be after its launch is seen: poll for it.
        await Wait.UntilAsync(async () => (await s.Http.GetStringAsync("metrics"))
            .Contains("autoscaler_engine_cycles_total{trigger=\"webhook\"}", StringComparison.Ordinal), "a webhook-triggered cycle counted");
    }

    /// <summary>The interval is long: nudge cycles by hand until the pool's two members serve and the engine saw it.</summary>
    private static async Task ServeMinimumAsync(FakeService s, GatedPool pool)
    {
        await Wait.UntilAsync(() =>
        {
            s.Host.Nudger.Nudge("web", "test");
            return pool.Cloud.ServingCount() == 2 && s.Host.Engine.GetStatus("web").View?.Serving == 2;
        }, "the pool's minimum serving");
    }

    /// <summary>A stream without a length, so the client must send it chunked.</summary>
    private sealed class NoLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

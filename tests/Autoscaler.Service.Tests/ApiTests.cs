using System.Net;
using System.Text.Json;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests;

public sealed class ApiTests
{
    private static Task<FakeService> StartAsync(string? apiAuth = null, string? webhookAuth = null) =>
        FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool("web", min: 2, max: 6) + "\n" + TestConfig.Pool("api", min: 1, max: 3),
            apiAuth: apiAuth, webhookAuth: webhookAuth));

    private const string ApiAuth = "{ bearer_token: " + TestConfig.ApiToken + " }";

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path) =>
        JsonDocument.Parse(await http.GetStringAsync(path)).RootElement;

    private static async Task<HttpResponseMessage> ScaleAsync(FakeService s, string pool, string body, System.Net.Http.Headers.AuthenticationHeaderValue? auth)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/pools/{pool}/scale") { Content = TestConfig.Json(body) };
        request.Headers.Authorization = auth;
        return await s.Http.SendAsync(request);
    }

    private static async Task ServingAsync(FakeService s, string pool, int n) =>
        await Wait.UntilAsync(() =>
        {
            s.Host.Nudger.Nudge(pool, "test");
            return s.Host.Engine.GetStatus(pool).View?.Serving == n;
        }, $"{n} serving in {pool}");

    [Fact]
    public async Task GetPools_AfterFirstCycles_EveryPoolWithSizesMembersAndLastDecision()
    {
        await using var s = await StartAsync();
        await ServingAsync(s, "web", 2);
        await ServingAsync(s, "api", 1);

        var pools = (await GetJsonAsync(s.Http, "api/v1/pools")).GetProperty("pools").EnumerateArray().ToArray();
        Assert.Equal(["web", "api"], pools.Select(p => p.GetProperty("pool").GetString()!).ToArray());
        var web = pools[0];
        Assert.Equal(2, web.GetProperty("desired").GetInt32());
        Assert.Equal(2, web.GetProperty("min").GetInt32());
        Assert.Equal(6, web.GetProperty("max").GetInt32());
        Assert.Equal(2, web.GetProperty("serving").GetInt32());
        Assert.Equal(2, web.GetProperty("actual").GetInt32());
        Assert.False(web.GetProperty("dry_run").GetBoolean());
        var members = web.GetProperty("members").EnumerateArray().ToArray();
        Assert.Equal(2, members.Length);
        Assert.All(members, m =>
        {
            Assert.Equal("running", m.GetProperty("state").GetString());
            Assert.Equal("serving", m.GetProperty("lifecycle").GetString());
            Assert.Equal("up", m.GetProperty("node_status").GetString());
            Assert.Equal("accept", m.GetProperty("node_mode").GetString());
        });
        Assert.Equal("web", web.GetProperty("last_decision").GetProperty("pool").GetString());
        Assert.Equal(JsonValueKind.Array, web.GetProperty("operations").ValueKind);
        Assert.Equal(JsonValueKind.Object, web.GetProperty("counters").GetProperty("skips").ValueKind);

        var one = await GetJsonAsync(s.Http, "api/v1/pools/api");
        Assert.Equal("api", one.GetProperty("pool").GetString());
        Assert.Equal(1, one.GetProperty("serving").GetInt32());
    }

    [Fact]
    public async Task GetPool_Unknown_404()
    {
        await using var s = await StartAsync();
        using var response = await s.Http.GetAsync("api/v1/pools/nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("unknown pool 'nope'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, HttpStatusCode.Forbidden)]
    [InlineData("webhook", null, HttpStatusCode.Forbidden)]
    [InlineData("wrong", null, HttpStatusCode.Forbidden)]
    [InlineData("api", "api", HttpStatusCode.OK)]
    [InlineData("webhook", "api", HttpStatusCode.Unauthorized)]
    public async Task Scale_Credentials_OnlyTheApisOwnNeverTheWebhooks(string? presented, string? configured, HttpStatusCode expected)
    {
        await using var s = await StartAsync(apiAuth: configured is null ? null : $"{{ bearer_token: {TestConfig.ApiToken} }}");
        var auth = presented switch
        {
            "webhook" => TestConfig.BearerHeader(TestConfig.WebhookToken),
            "api" => TestConfig.BearerHeader(TestConfig.ApiToken),
            "wrong" => TestConfig.BearerHeader("nope"),
            _ => null,
        };
        using var response = await ScaleAsync(s, "web", """{"desired": 3}""", auth);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.OK, s.Host.Engine.GetStatus("web").Desired == 3);
        if (expected == HttpStatusCode.Forbidden)
        {
            // Without api.auth the answer names the setting to add.
            Assert.Contains("set api.auth", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Scale_WithinBounds_DesiredSetDecisionRecordedAndPoolGrows()
    {
        await using var s = await StartAsync(apiAuth: ApiAuth);
        await ServingAsync(s, "web", 2);

        using var response = await ScaleAsync(s, "web", """{"desired": 4}""", TestConfig.BearerHeader(TestConfig.ApiToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, body.GetProperty("previous_desired").GetInt32());
        Assert.Equal(4, body.GetProperty("desired").GetInt32());
        await Wait.UntilAsync(() => s.Pools["web"].Cloud.Launches == 4, "two more launches");
        var events = (await GetJsonAsync(s.Http, "api/v1/events?pool=web")).GetProperty("events").EnumerateArray().ToArray();
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "decision"
            && e.GetProperty("decision").GetProperty("reason").GetString() == "manual: desired set to 4"
            && e.GetProperty("decision").GetProperty("action").GetString() == "scale_up");
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "operation" && e.GetProperty("operation").GetProperty("kind").GetString() == "launch");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(1)]
    public async Task Scale_OutsideBounds_400WithTheBounds(int desired)
    {
        await using var s = await StartAsync(apiAuth: ApiAuth);
        using var response = await ScaleAsync(s, "web", $$"""{"desired": {{desired}}}""", TestConfig.BearerHeader(TestConfig.ApiToken));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal($"desired {desired} is outside min..max (2..6) of pool 'web'", body.GetProperty("error").GetString());
        Assert.Equal(2, body.GetProperty("min").GetInt32());
        Assert.Equal(6, body.GetProperty("max").GetInt32());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"desired": "four"}""")]
    [InlineData("nope")]
    public async Task Scale_BadBody_400(string body)
    {
        await using var s = await StartAsync(apiAuth: ApiAuth);
        using var response = await ScaleAsync(s, "web", body, TestConfig.BearerHeader(TestConfig.ApiToken));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("must be {\\\"desired\\\": N}", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scale_UnknownPool_404()
    {
        await using var s = await StartAsync(apiAuth: ApiAuth);
        using var response = await ScaleAsync(s, "nope", """{"desired": 3}""", TestConfig.BearerHeader(TestConfig.ApiToken));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("api/v1/events?limit=0")]
    [InlineData("api/v1/events?limit=abc")]
    [InlineData("api/v1/events?limit=1001")]
    public async Task Events_BadLimit_400(string path)
    {
        await using var s = await StartAsync();
        using var response = await s.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Events_LimitAndPool_Honoured()
    {
        await using var s = await StartAsync();
        await ServingAsync(s, "web", 2);
        await ServingAsync(s, "api", 1);

        var limited = (await GetJsonAsync(s.Http, "api/v1/events?limit=2")).GetProperty("events");
        Assert.Equal(2, limited.GetArrayLength());
        var api = (await GetJsonAsync(s.Http, "api/v1/events?pool=api&limit=1000")).GetProperty("events").EnumerateArray().ToArray();
        Assert.NotEmpty(api);
        Assert.All(api, e => Assert.Equal("api", e.GetProperty("pool").GetString()));
        using var unknown = await s.Http.GetAsync("api/v1/events?pool=nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task HttpSd_RunningMembers_TargetGroupsWithLabels()
    {
        await using var s = await StartAsync();
        await ServingAsync(s, "web", 2);
        await ServingAsync(s, "api", 1);

        var groups = (await GetJsonAsync(s.Http, "http_sd")).EnumerateArray().ToArray();
        Assert.Equal(3, groups.Length);
        Assert.All(groups, g =>
        {
            var target = Assert.Single(g.GetProperty("targets").EnumerateArray()).GetString()!;
            Assert.EndsWith(":9100", target, StringComparison.Ordinal);
            var labels = g.GetProperty("labels").EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Assert.Equal(["instance_id", "instance_label", "pool", "region", "type"], labels);
        });
        Assert.Equal(2, groups.Count(g => g.GetProperty("labels").GetProperty("pool").GetString() == "web"));
    }

    [Theory]
    [InlineData("healthz")]
    [InlineData("_health")]
    public async Task Health_Ok(string path)
    {
        await using var s = await StartAsync();
        Assert.Equal("ok\n", await s.Http.GetStringAsync(path));
    }

    [Fact]
    public async Task Metrics_AfterActivity_NamedSeriesPresent()
    {
        await using var s = await StartAsync();
        await ServingAsync(s, "web", 2);
        using (var bad = await s.Http.PostAsync("hook", TestConfig.Json("{}")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        }

        using var response = await s.Http.GetAsync("metrics");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        foreach (var series in new[]
        {
            "autoscaler_pool_desired{pool=\"web\"} 2",
            "autoscaler_pool_actual{pool=\"web\"} 2",
            "autoscaler_pool_serving{pool=\"web\"} 2",
            "autoscaler_actions_total{pool=\"web\",direction=\"up\",result=\"started\"} 2",
            "autoscaler_actions_total{pool=\"web\",direction=\"up\",result=\"succeeded\"} 2",
            "autoscaler_evaluation_errors_total{pool=\"web\"} 0",
            "autoscaler_webhook_requests_total{outcome=\"unauthorized\"} 1",
            "autoscaler_decisions_total{pool=\"web\",action=",
            "autoscaler_engine_cycles_total{trigger=\"interval\"}",
            "autoscaler_operation_duration_seconds_count{pool=\"web\",kind=\"launch\",outcome=\"succeeded\"} 2",
            "# TYPE autoscaler_skips_total counter",
            "# TYPE autoscaler_linode_api_requests_total counter",
        })
        {
            Assert.Contains(series, text, StringComparison.Ordinal);
        }
    }
}

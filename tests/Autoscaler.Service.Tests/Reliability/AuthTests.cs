using System.Net;
using System.Text;
using System.Text.Json;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>
/// The webhook and every write of the API refuse missing or wrong credentials (401 with a challenge, nothing recorded,
/// nothing scaled, the presented value never echoed), including near misses: a token one character short or long,
/// another scheme, the other endpoint's secret, malformed basic credentials.
/// </summary>
public sealed class AuthTests
{
    private const string BasicUser = "alertmanager";
    private const string BasicPassword = "pa55-word-c0rrect";

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    /// <summary>Authorization values that must all be refused when the webhook wants <see cref="TestConfig.WebhookToken"/>.</summary>
    private static readonly string?[] WrongForBearer =
    [
        null,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        "Bearer " + TestConfig.WebhookToken[..^1],
        "Bearer " + TestConfig.WebhookToken + "x",
        "Bearer " + TestConfig.WebhookToken.ToUpperInvariant(),
        "Bearer " + TestConfig.ApiToken,
        "Bearer " + TestConfig.LinodeToken,
        "Bearer" + TestConfig.WebhookToken,
        "Token " + TestConfig.WebhookToken,
        "Basic " + B64(TestConfig.WebhookToken + ":"),
        "Basic " + B64("x:" + TestConfig.WebhookToken),
        TestConfig.WebhookToken,
    ];

    private static readonly string?[] WrongForBasic =
    [
        null,
        "Basic",
        "Basic ",
        "Basic !!!not-base64!!!",
        "Basic " + B64(BasicUser),
        "Basic " + B64(BasicUser + ":"),
        "Basic " + B64(BasicUser + ":" + BasicPassword[..^1]),
        "Basic " + B64(BasicUser + ":" + BasicPassword + ":"),
        "Basic " + B64("Alertmanager:" + BasicPassword),
        "Basic " + B64(":" + BasicPassword),
        "Basic " + B64(BasicPassword + ":" + BasicUser),
        "Basic " + B64(BasicUser + ":" + BasicPassword)[..^2],
        "Bearer " + BasicPassword,
        "Bearer " + B64(BasicUser + ":" + BasicPassword),
        B64(BasicUser + ":" + BasicPassword),
    ];

    private static Task<FakeService> StartAsync(string webhookAuth, string? apiAuth = null, int min = 0) =>
        FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(min: min, max: 4, extra: "    scale_up: { step: 1, cooldown: 0s }"),
            webhookAuth: webhookAuth, apiAuth: apiAuth, interval: "200ms"));

    private static async Task<HttpResponseMessage> SendAsync(FakeService s, HttpMethod method, string path, string? authorization, string body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = TestConfig.Json(body) };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await s.Http.SendAsync(request);
    }

    /// <summary>Lets the engine run a few cycles, so anything that could have been acted on would have been.</summary>
    private static async Task SomeCyclesAsync(FakeService s)
    {
        var from = s.Host.Loop.Cycles;
        await Wait.UntilAsync(() => s.Host.Loop.Cycles >= from + 3, "three more engine cycles");
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string? presented, string scheme, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(HttpStatusCode.Unauthorized == response.StatusCode, $"{what} with Authorization '{presented}': {(int)response.StatusCode} {body}");
        Assert.StartsWith(scheme + " realm=", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString();
        Assert.Contains(error, new[] { "authentication required", "invalid credentials" });
        foreach (var secret in new[] { TestConfig.WebhookToken, TestConfig.ApiToken, BasicPassword, presented ?? "" })
        {
            if (secret.Length > 6)
            {
                Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Webhook_BearerMissingOrWrongInFifteenWays_401ChallengeAndNoScaling()
    {
        await using var s = await StartAsync("{ bearer_token: " + TestConfig.WebhookToken + " }");
        var pool = s.Pools["web"];
        for (var i = 0; i < WrongForBearer.Length; i++)
        {
            using var response = await SendAsync(s, HttpMethod.Post, "hook", WrongForBearer[i], TestConfig.Notification("PoolCpuHigh", fingerprint: $"w{i}"));
            await AssertRefusedAsync(response, WrongForBearer[i], "Bearer", "webhook");
        }

        await SomeCyclesAsync(s);
        Assert.Equal(0, s.Host.Alerts.Count);
        Assert.Equal(0, pool.Cloud.Launches);

        // The same notification with the token scales: the refusals above were the only thing stopping it.
        using var ok = await SendAsync(s, HttpMethod.Post, "hook", "bearer " + TestConfig.WebhookToken, TestConfig.Notification("PoolCpuHigh", fingerprint: "right"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        await Wait.UntilAsync(() => pool.Cloud.Launches >= 1, "a launch after the authenticated notification");
    }

    [Fact]
    public async Task Webhook_BasicMissingOrWrongInFifteenWays_401ChallengeAndNoScaling()
    {
        await using var s = await StartAsync($"{{ basic: {{ username: {BasicUser}, password: {BasicPassword} }} }}");
        var pool = s.Pools["web"];
        for (var i = 0; i < WrongForBasic.Length; i++)
        {
            using var response = await SendAsync(s, HttpMethod.Post, "hook", WrongForBasic[i], TestConfig.Notification("PoolCpuHigh", fingerprint: $"b{i}"));
            await AssertRefusedAsync(response, WrongForBasic[i], "Basic", "webhook");
        }

        await SomeCyclesAsync(s);
        Assert.Equal(0, s.Host.Alerts.Count);
        Assert.Equal(0, pool.Cloud.Launches);

        using var ok = await SendAsync(s, HttpMethod.Post, "hook", "Basic " + B64(BasicUser + ":" + BasicPassword), TestConfig.Notification("PoolCpuHigh", fingerprint: "right"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        await Wait.UntilAsync(() => pool.Cloud.Launches >= 1, "a launch after the authenticated notification");
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("oversized")]
    public async Task Webhook_UnauthenticatedBadBody_401BeforeTheBodyIsJudged(string body)
    {
        // A caller without credentials learns nothing about validation or limits.
        await using var s = await StartAsync("{ bearer_token: " + TestConfig.WebhookToken + " }");
        var text = body == "oversized" ? "{\"version\":\"4\",\"x\":\"" + new string('a', 200_000) + "\"}" : body;
        using var response = await SendAsync(s, HttpMethod.Post, "hook", "Bearer nope", text);
        await AssertRefusedAsync(response, "Bearer nope", "Bearer", "webhook");
    }

    [Fact]
    public async Task WriteApi_MissingOrWrongCredentialsOnEveryWrite_401AndNothingChanges()
    {
        await using var s = await StartAsync("{ bearer_token: " + TestConfig.WebhookToken + " }", apiAuth: "{ bearer_token: " + TestConfig.ApiToken + " }", min: 1);
        var pool = s.Pools["web"];
        await Wait.UntilAsync(() => s.Host.Engine.GetStatus("web").View?.Serving == 1, "the pool's one member serving");

        string?[] wrong =
        [
            null,
            "Bearer nope",
            "Bearer " + TestConfig.WebhookToken,
            "Bearer " + TestConfig.ApiToken[..^1],
            "Bearer " + TestConfig.ApiToken + "0",
            "Basic " + B64("api:" + TestConfig.ApiToken),
            TestConfig.ApiToken,
        ];
        (string Path, string Body)[] writes =
        [
            ("api/v1/pools/web/scale", """{"desired": 3}"""),
            ("api/v1/pools/web/dry_run", """{"dry_run": true}"""),
            ("api/v1/dry_run", """{"dry_run": true}"""),
        ];
        var refused = 0;
        foreach (var (path, body) in writes)
        {
            foreach (var auth in wrong)
            {
                using var response = await SendAsync(s, HttpMethod.Post, path, auth, body);
                await AssertRefusedAsync(response, auth, "Bearer", path);
                refused++;
            }
        }

        await SomeCyclesAsync(s);
        var status = s.Host.Engine.GetStatus("web");
        Assert.Equal(1, status.Desired);
        Assert.False(s.Host.Engine.IsDryRun("web"));
        Assert.Equal(1, pool.Cloud.Launches);
        Assert.Equal(21, refused);

        using var ok = await SendAsync(s, HttpMethod.Post, "api/v1/pools/web/scale", "Bearer " + TestConfig.ApiToken, """{"desired": 3}""");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        await Wait.UntilAsync(() => pool.Cloud.Launches == 3, "two launches after the authenticated scale");
    }

    [Fact]
    public async Task AnyRoute_WriteMethodsWithoutCredentials_NeverSucceedAndNothingChanges()
    {
        await using var s = await StartAsync("{ bearer_token: " + TestConfig.WebhookToken + " }", min: 1);
        var pool = s.Pools["web"];
        await Wait.UntilAsync(() => s.Host.Engine.GetStatus("web").View?.Serving == 1, "the pool's one member serving");
        string[] paths =
        [
            "", "hook", "webhook", "alerts", "api/v1/pools", "api/v1/pools/web", "api/v1/pools/web/scale", "api/v1/pools/web/dry_run", "api/v1/dry_run",
            "api/v1/events", "api/v1/alerts", "api/v1/dashboard", "http_sd", "metrics", "healthz", "_health", "api/v1/pools/web/members",
        ];
        var tried = 0;
        foreach (var path in paths)
        {
            foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete })
            {
                using var response = await SendAsync(s, method, path, null, """{"desired": 4, "dry_run": true}""");
                var code = (int)response.StatusCode;
                // 403: no api.auth is configured, so writes are refused to everyone (the webhook's token included).
                Assert.True(code is 401 or 403 or 404 or 405, $"{method} /{path} without credentials: {code}");
                if (code == 401)
                {
                    Assert.NotEmpty(response.Headers.WwwAuthenticate);
                }

                tried++;
            }
        }

        await SomeCyclesAsync(s);
        Assert.Equal(68, tried);
        Assert.Equal(1, s.Host.Engine.GetStatus("web").Desired);
        Assert.False(s.Host.Engine.IsDryRun("web"));
        Assert.Equal(1, pool.Cloud.Launches);
        Assert.Equal(0, s.Host.Alerts.Count);
    }

    [Fact]
    public async Task WriteApi_BasicAuthConfigured_BasicChallengeAndOnlyThePairWorks()
    {
        await using var s = await StartAsync("{ bearer_token: " + TestConfig.WebhookToken + " }",
            apiAuth: $"{{ basic: {{ username: {BasicUser}, password: {BasicPassword} }} }}", min: 1);
        await Wait.UntilAsync(() => s.Host.Engine.GetStatus("web").View?.Serving == 1, "the pool's one member serving");
        foreach (var auth in WrongForBasic)
        {
            using var response = await SendAsync(s, HttpMethod.Post, "api/v1/pools/web/scale", auth, """{"desired": 2}""");
            await AssertRefusedAsync(response, auth, "Basic", "scale");
        }

        Assert.Equal(1, s.Host.Engine.GetStatus("web").Desired);
        using var ok = await SendAsync(s, HttpMethod.Post, "api/v1/pools/web/scale", "Basic " + B64(BasicUser + ":" + BasicPassword), """{"desired": 2}""");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}

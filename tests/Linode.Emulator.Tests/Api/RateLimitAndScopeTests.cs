using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Linode.Emulator.Tests.Api;

/// <summary>Linode's published rate limits (on by default), token scopes and the maintenance-mode 503.</summary>
public sealed class RateLimitAndScopeTests
{
    private const string ReadOnlyToken = "linodes-read-only";
    private const string BalancerToken = "nodebalancers-read-write";
    private const string OtherUserToken = "other-user-token";
    private const string NotAuthorized = """{"errors":[{"reason":"Your OAuth token is not authorized to use this endpoint."}]}""";

    private static readonly JsonObject Nanode = new() { ["region"] = "us-east", ["type"] = "g6-nanode-1", ["booted"] = false };

    [Fact]
    public async Task Create_TwentyFiveInABurst_429AfterTwentyWithHeadersUntilTheWindowEnds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T10:00:00Z", CultureInfo.InvariantCulture));
        await using var h = await EmulatorHarness.StartAsync(time: time);
        var statuses = new List<HttpStatusCode>();
        ApiResponse? limited = null;
        for (var i = 0; i < 25; i++)
        {
            var response = await h.SendAsync(HttpMethod.Post, "linode/instances", Nanode.DeepClone());
            statuses.Add(response.Status);
            Assert.Equal("20", response.Header("X-RateLimit-Limit"));
            if (response.Status == HttpStatusCode.OK)
            {
                Assert.Equal((19 - i).ToString(CultureInfo.InvariantCulture), response.Header("X-RateLimit-Remaining"));
            }
            limited ??= response.Status == HttpStatusCode.TooManyRequests ? response : null;
        }
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 20).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 5)), statuses);
        Assert.Equal("15", limited!.Header("Retry-After"));
        Assert.Equal("0", limited.Header("X-RateLimit-Remaining"));
        Assert.Equal(time.GetUtcNow().AddSeconds(15).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), limited.Header("X-RateLimit-Reset"));
        Assert.Equal("""{"errors":[{"reason":"Too many requests"}]}""", limited.Text);

        // Other operations draw on their own buckets.
        var list = await h.GetAsync("linode/instances");
        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Equal("200", list.Header("X-RateLimit-Limit"));
        Assert.Equal("1600", (await h.GetAsync("account")).Header("X-RateLimit-Limit"));

        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Post, "linode/instances", Nanode.DeepClone())).Status);
    }

    [Theory]
    [InlineData("linode/instances", 200)]
    [InlineData("images", 20)]
    [InlineData("nodebalancers/{nb}/stats", 50)]
    public async Task Get_OverItsBucketInAMinute_429(string path, int limit)
    {
        var time = new FakeTimeProvider();
        await using var h = await EmulatorHarness.StartAsync(time: time);
        var nb = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();
        path = path.Replace("{nb}", nb.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        for (var i = 0; i < limit; i++)
        {
            var ok = await h.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, ok.Status);
            Assert.Equal(limit.ToString(CultureInfo.InvariantCulture), ok.Header("X-RateLimit-Limit"));
        }
        var limited = await h.GetAsync(path);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.Equal("60", limited.Header("Retry-After"));

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, (await h.GetAsync(path)).Status);
    }

    [Fact]
    public async Task Limits_CountedPerTokenOwner_TokensOfOneUserShareOtherUsersDoNot()
    {
        await using var h = await EmulatorHarness.StartAsync(o =>
        {
            o.Tokens.AddRange([EmulatorHarness.Token, "second-token-same-user"]);
            o.ScopedTokens.Add(new EmulatorToken { Token = OtherUserToken, User = "someone-else" });
        });
        for (var i = 0; i < 20; i++)
        {
            var token = i % 2 == 0 ? EmulatorHarness.Token : "second-token-same-user";
            Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Post, "linode/instances", Nanode.DeepClone(), token: token)).Status);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests,
            (await h.SendAsync(HttpMethod.Post, "linode/instances", Nanode.DeepClone(), token: "second-token-same-user")).Status);
        var other = await h.SendAsync(HttpMethod.Post, "linode/instances", Nanode.DeepClone(), token: OtherUserToken);
        Assert.Equal(HttpStatusCode.OK, other.Status);
        Assert.Equal("19", other.Header("X-RateLimit-Remaining"));
    }

    [Fact]
    public async Task Limits_Disabled_NoHeadersAndNo429()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.RateLimits.Enabled = false);
        for (var i = 0; i < 30; i++)
        {
            var response = await h.SendAsync(HttpMethod.Post, "linode/instances", Nanode.DeepClone());
            Assert.Equal(HttpStatusCode.OK, response.Status);
            Assert.Equal("", response.Header("X-RateLimit-Limit"));
        }
    }

    [Fact]
    public async Task ReadOnlyToken_ReadsButCannotCreate_RealScopeError()
    {
        await using var h = await ScopedAsync();
        var list = await h.SendAsync(HttpMethod.Get, "linode/instances", token: ReadOnlyToken);
        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Equal("linodes:read_only", list.Header("X-OAuth-Scopes"));
        Assert.Equal("linodes:read_only", list.Header("X-Accepted-OAuth-Scopes"));

        var create = await h.SendAsync(HttpMethod.Post, "linode/instances", Nanode.DeepClone(), token: ReadOnlyToken);
        Assert.Equal(HttpStatusCode.Unauthorized, create.Status);
        Assert.Equal(NotAuthorized, create.Text);
        Assert.Equal("linodes:read_write", create.Header("X-Accepted-OAuth-Scopes"));

        // Nothing was created.
        Assert.Equal(0, (await h.GetOkAsync("linode/instances"))["results"]!.GetValue<int>());
        Assert.Equal(NotAuthorized, (await h.SendAsync(HttpMethod.Get, "nodebalancers", token: ReadOnlyToken)).Text);
        Assert.Equal(NotAuthorized, (await h.SendAsync(HttpMethod.Get, "account/events", token: ReadOnlyToken)).Text);
    }

    [Fact]
    public async Task ReadWriteScope_IncludesReadOnly_OtherAreasRefused()
    {
        await using var h = await ScopedAsync();
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Get, "nodebalancers", token: BalancerToken)).Status);
        Assert.Equal(HttpStatusCode.OK,
            (await h.SendAsync(HttpMethod.Post, "nodebalancers", new JsonObject { ["region"] = "us-east" }, token: BalancerToken)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.SendAsync(HttpMethod.Get, "linode/instances", token: BalancerToken)).Status);

        // The full token has every scope; the public catalog needs none; /profile any valid token.
        var all = await h.GetAsync("linode/instances");
        Assert.Equal("*", all.Header("X-OAuth-Scopes"));
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Get, "regions", token: ReadOnlyToken)).Status);
        var profile = await h.SendAsync(HttpMethod.Get, "profile", token: BalancerToken);
        Assert.Equal(HttpStatusCode.OK, profile.Status);
        Assert.Equal("nodebalancers:read_write", profile.Header("X-OAuth-Scopes"));
    }

    [Fact]
    public void Validate_UnknownScope_ErrorNamingTheToken()
    {
        var options = new EmulatorOptions();
        options.ScopedTokens.Add(new EmulatorToken { Token = "t", Scopes = "linodes:read_only, linodes:everything" });
        var error = Assert.Single(options.Validate());
        Assert.StartsWith("scoped_tokens[0].scopes: 'linodes:everything' is not a scope", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintenance_FaultAtRunTime_503WithHeaderThenClearedBack()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var set = (await h.SendAsync(HttpMethod.Put, "admin/faults", new JsonObject { ["rate_maintenance"] = 1.0 }, api: false)).Ok();
        Assert.Equal(1.0, set["rate_maintenance"]!.GetValue<double>());

        var down = await h.GetAsync("linode/instances");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
        Assert.NotEmpty(down.Header("X-Maintenance-Mode"));
        Assert.NotEmpty(down.Errors);

        (await h.SendAsync(HttpMethod.Put, "admin/faults", new JsonObject { ["rate_maintenance"] = 0 }, api: false)).Ok();
        var up = await h.GetAsync("linode/instances");
        Assert.Equal(HttpStatusCode.OK, up.Status);
        Assert.Equal("", up.Header("X-Maintenance-Mode"));
    }

    private static Task<EmulatorHarness> ScopedAsync() => EmulatorHarness.StartAsync(o =>
    {
        o.Tokens.Add(EmulatorHarness.Token);
        o.ScopedTokens.Add(new EmulatorToken { Token = ReadOnlyToken, Scopes = "linodes:read_only" });
        o.ScopedTokens.Add(new EmulatorToken { Token = BalancerToken, Scopes = "nodebalancers:read_write" });
    });
}

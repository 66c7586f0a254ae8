using System.Net;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.Api;

public sealed class AuthAndCatalogTests
{
    [Fact]
    public async Task Get_NoAuthorizationHeader_401InvalidToken()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Get, "linode/instances", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
        Assert.Equal("""{"errors":[{"reason":"Invalid Token"}]}""", response.Text);
    }

    [Fact]
    public async Task Get_EmptyBearerToken_401()
    {
        await using var h = await EmulatorHarness.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "v4/nodebalancers");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer");
        using var response = await h.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Invalid Token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_TokenNotInConfiguredList_401AndListedToken200()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.Tokens.Add("the-only-token"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.SendAsync(HttpMethod.Get, "account/events", token: "other")).Status);
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Get, "account/events", token: "the-only-token")).Status);
    }

    [Fact]
    public async Task Get_AnyNonEmptyTokenWhenNoneConfigured_200()
    {
        await using var h = await EmulatorHarness.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Get, "linode/instances", token: "whatever")).Status);
    }

    [Fact]
    public async Task RegionsAndTypes_WithoutToken_ArePublic()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.Tokens.Add("secret-token"));
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Get, "regions", token: null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Get, "regions/us-east", token: null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Get, "linode/types", token: null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Get, "linode/types/g6-nanode-1", token: null)).Status);
    }

    [Fact]
    public async Task Images_WithoutToken_OnlyPublicImages()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.PrivateImages.Add(new EmulatorPrivateImage { Id = "private/golden", Label = "golden" }));
        var anonymous = (await h.SendAsync(HttpMethod.Get, "images", token: null)).Ok();
        var ids = anonymous["data"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
        Assert.Contains("linode/debian12", ids);
        Assert.DoesNotContain("private/golden", ids);
        Assert.Equal(HttpStatusCode.NotFound, (await h.SendAsync(HttpMethod.Get, "images/private/golden", token: null)).Status);

        var authed = await h.GetOkAsync("images");
        Assert.Contains(authed["data"]!.AsArray(), i => i!["id"]!.GetValue<string>() == "private/golden" && !i["is_public"]!.GetValue<bool>());
        Assert.Equal("golden", (await h.GetOkAsync("images/private%2Fgolden"))["label"]!.GetValue<string>());
    }

    [Fact]
    public async Task Regions_List_RealRegionsWithCapabilitiesAndShape()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var list = await h.GetOkAsync("regions");
        var regions = list["data"]!.AsArray().Select(r => r!.AsObject()).ToList();
        foreach (var id in new[] { "us-east", "us-central", "us-west", "eu-west", "ap-south" })
        {
            var region = Assert.Single(regions, r => r["id"]!.GetValue<string>() == id);
            var capabilities = region["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
            Assert.Contains("Linodes", capabilities);
            Assert.Contains("NodeBalancers", capabilities);
            Assert.Contains("Metadata", capabilities);
            Assert.Equal("ok", region["status"]!.GetValue<string>());
            Assert.Equal("core", region["site_type"]!.GetValue<string>());
            Assert.NotNull(region["resolvers"]!["ipv4"]);
            Assert.True(region.ContainsKey("placement_group_limits"));
        }
        Assert.Equal(regions.Count, list["results"]!.GetValue<int>());
        Assert.Equal("Newark, NJ", (await h.GetOkAsync("regions/us-east"))["label"]!.GetValue<string>());
    }

    [Fact]
    public async Task Types_Get_RealPlanWithPricesRegionPricesAndAddons()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var nanode = await h.GetOkAsync("linode/types/g6-nanode-1");
        Assert.Equal("Nanode 1GB", nanode["label"]!.GetValue<string>());
        Assert.Equal("nanode", nanode["class"]!.GetValue<string>());
        Assert.Equal(1024, nanode["memory"]!.GetValue<int>());
        Assert.Equal(25600, nanode["disk"]!.GetValue<int>());
        Assert.Equal(1, nanode["vcpus"]!.GetValue<int>());
        Assert.Equal(0.0075, nanode["price"]!["hourly"]!.GetValue<double>());
        Assert.Equal(5, nanode["price"]!["monthly"]!.GetValue<double>());
        Assert.Contains(nanode["region_prices"]!.AsArray(), p => p!["id"]!.GetValue<string>() == "id-cgk");
        Assert.Equal(2, nanode["addons"]!["backups"]!["price"]!["monthly"]!.GetValue<double>());
        Assert.Null(nanode["successor"]);

        var types = (await h.GetOkAsync("linode/types"))["data"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToList();
        Assert.Contains("g6-standard-1", types);
        Assert.Contains("g6-standard-8", types);
        Assert.Contains("g6-dedicated-2", types);
        Assert.Equal(4, (await h.GetOkAsync("linode/types/g6-dedicated-4"))["vcpus"]!.GetValue<int>());
    }

    [Fact]
    public async Task Images_GetEscapedAndPlainSlash_SameImageWithCloudInit()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var escaped = await h.GetOkAsync("images/linode%2Fdebian12");
        var plain = await h.GetOkAsync("images/linode/debian12");
        Assert.Equal(escaped.ToJsonString(), plain.ToJsonString());
        Assert.Equal("linode/debian12", plain["id"]!.GetValue<string>());
        Assert.Contains(plain["capabilities"]!.AsArray(), c => c!.GetValue<string>() == "cloud-init");
        foreach (var id in new[] { "linode/debian11", "linode/ubuntu24.04", "linode/ubuntu22.04" })
        {
            Assert.True((await h.GetOkAsync("images/" + id))["is_public"]!.GetValue<bool>());
        }
    }

    [Theory]
    [InlineData("regions/nowhere-1")]
    [InlineData("linode/types/g0-imaginary")]
    [InlineData("images/linode/temple-os")]
    [InlineData("linode/instances/123")]
    [InlineData("linode/instances/not-a-number")]
    [InlineData("nodebalancers/5")]
    [InlineData("no/such/path")]
    public async Task Get_Unknown_404NotFound(string path)
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Equal("""{"errors":[{"reason":"Not found"}]}""", response.Text);
    }

    [Fact]
    public async Task AnyResponse_Headers_SpecVersionAndRateLimits()
    {
        await using var h = await EmulatorHarness.StartAsync();
        foreach (var response in new[] { await h.GetAsync("regions"), await h.GetAsync("linode/instances/1"), await h.SendAsync(HttpMethod.Get, "regions", token: null) })
        {
            Assert.Equal("4.189.0", response.Header("X-Spec-Version"));
            Assert.True(int.Parse(response.Header("X-RateLimit-Limit"), System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.True(int.Parse(response.Header("X-RateLimit-Remaining"), System.Globalization.CultureInfo.InvariantCulture) >= 0);
            var reset = long.Parse(response.Header("X-RateLimit-Reset"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(reset > DateTimeOffset.UnixEpoch.AddYears(20).ToUnixTimeSeconds());
        }
    }

    [Fact]
    public async Task V4Beta_SameApi()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var beta = (await h.SendAsync(HttpMethod.Get, "v4beta/regions/us-east", api: false)).Ok();
        Assert.Equal("us-east", beta["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task WrongMethod_405WithErrorBody()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Patch, "regions", new JsonObject());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.Status);
        Assert.NotEmpty(response.Errors);
    }
}

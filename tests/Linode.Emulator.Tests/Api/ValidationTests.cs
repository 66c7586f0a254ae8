using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.Api;

public sealed class ValidationTests
{
    [Fact]
    public async Task CreateInstance_EmptyBody_TypeAndRegionRequired()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject());
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal([("type", "type is required"), ("region", "region is required")], response.Errors);
    }

    [Fact]
    public async Task CreateInstance_SeveralBadFields_EveryErrorWithItsField()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "nowhere-1",
            ["type"] = "g0-imaginary",
            ["image"] = "linode/temple-os",
            ["root_pass"] = "weak",
            ["label"] = "1-starts-with-digit",
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        var errors = response.Errors;
        Assert.Contains(("type", "A valid plan type by that ID was not found"), errors);
        Assert.Contains(("region", "region is not valid"), errors);
        Assert.Contains(("image", "image is not valid"), errors);
        Assert.Contains(("root_pass", "Length must be 11-128 characters"), errors);
        Assert.Contains(("root_pass", "Password does not meet strength requirement."), errors);
        Assert.Contains(errors, e => e.Field == "label");
        Assert.Empty(h.Instances.Started);
        Assert.Equal(0, (await h.GetOkAsync("linode/instances"))["results"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreateInstance_ImageWithoutRootPass_RootPassRequired()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["image"] = "linode/ubuntu24.04",
        });
        Assert.Equal([("root_pass", "root_pass is required")], response.Errors);
    }

    [Theory]
    [InlineData("aaaaaaaaaaaaaaaaaaaa")]
    [InlineData("abcdefghijk")]
    [InlineData("Password123")]
    [InlineData("AAAAAAAAAa1!")]
    public async Task CreateInstance_WeakPassword_StrengthError(string password)
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["image"] = "linode/debian12",
            ["root_pass"] = password,
        });
        Assert.Equal([("root_pass", "Password does not meet strength requirement.")], response.Errors);
    }

    [Theory]
    [InlineData("aComplexP@ssword")]
    [InlineData("thisIsYourRootPassword")]
    [InlineData("Tr0ub4dor&3-horse-staple")]
    public async Task CreateInstance_StrongPassword_Accepted(string password)
    {
        await using var h = await EmulatorHarness.StartAsync();
        await h.CreateInstanceAsync(b => b["root_pass"] = password);
    }

    [Theory]
    [InlineData("ab", "Length must be 3-64 characters")]
    [InlineData("web--1", Rules)]
    [InlineData("web__1", Rules)]
    [InlineData("web..1", Rules)]
    [InlineData("web-", Rules)]
    [InlineData("_web", Rules)]
    [InlineData("web 1", Rules)]
    public async Task CreateInstance_BadLabel_LabelError(string label, string reason)
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["label"] = label,
        });
        Assert.Contains(("label", reason), response.Errors);
    }

    private const string Rules =
        "Must begin with a letter, end with a letter or number, and contain only letters, numbers, '-', '_' and '.', with no '--', '__' or '..'";

    [Fact]
    public async Task CreateInstance_DuplicateLabel_400()
    {
        await using var h = await EmulatorHarness.StartAsync();
        await h.CreateInstanceAsync(b => b["label"] = "web-1");
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["label"] = "web-1",
        });
        Assert.Equal([("label", "Label must be unique among your linodes")], response.Errors);
    }

    [Fact]
    public async Task CreateInstance_WrongJsonTypes_MustBeErrors()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = 5,
            ["private_ip"] = "yes",
            ["tags"] = new JsonArray("ok-tag", 7),
        });
        Assert.Contains(("type", "Must be a string"), response.Errors);
        Assert.Contains(("private_ip", "Must be a boolean"), response.Errors);
        Assert.Contains(("tags[1]", "Must be a string"), response.Errors);
    }

    [Fact]
    public async Task CreateInstance_UserDataNotBase64_MetadataError()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["image"] = "linode/debian12",
            ["root_pass"] = "Correct-Horse-Battery-9",
            ["metadata"] = new JsonObject { ["user_data"] = "not base64 !!" },
        });
        Assert.Equal([("metadata.user_data", "Must be base64-encoded")], response.Errors);
    }

    [Fact]
    public async Task CreateInstance_UserDataOnImageWithoutCloudInit_MetadataError()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.PrivateImages.Add(
            new EmulatorPrivateImage { Id = "private/plain", Label = "plain", CloudInit = false }));
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["image"] = "private/plain",
            ["root_pass"] = "Correct-Horse-Battery-9",
            ["metadata"] = new JsonObject { ["user_data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("#cloud-config\n")) },
        });
        Assert.Equal([("metadata.user_data", "The image does not support cloud-init")], response.Errors);
    }

    [Fact]
    public async Task CreateInstance_StackScriptData_ReachesProcessEnvironment()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var id = (await h.CreateInstanceAsync(b =>
        {
            b["stackscript_id"] = 12345;
            b["stackscript_data"] = new JsonObject { ["APP_PORT"] = "8080" };
        }))["id"]!.GetValue<long>();
        await h.WaitForStatusAsync(id, "running");
        Assert.Equal("8080", Assert.Single(h.Instances.Started).Environment["APP_PORT"]);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    public async Task Post_MalformedJson_400InvalidJson(string text)
    {
        await using var h = await EmulatorHarness.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v4/linode/instances")
        {
            Content = new StringContent(text, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", EmulatorHarness.Token);
        using var response = await h.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"errors":[{"reason":"Invalid JSON"}]}""", await response.Content.ReadAsStringAsync());
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.Api;

public sealed class MoreShapeTests
{
    [Fact]
    public async Task Config_HttpsWithCertificate_RedactedWithCommonNameAndFingerprint()
    {
        await using var h = await EmulatorHarness.StartAsync();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=shop.example.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UnixEpoch.AddYears(50), DateTimeOffset.UnixEpoch.AddYears(60));
        var nbId = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();

        var config = await h.PostOkAsync($"nodebalancers/{nbId}/configs", new JsonObject
        {
            ["port"] = 443,
            ["protocol"] = "https",
            ["ssl_cert"] = cert.ExportCertificatePem(),
            ["ssl_key"] = key.ExportPkcs8PrivateKeyPem(),
        });

        Assert.Equal("<REDACTED>", config["ssl_cert"]!.GetValue<string>());
        Assert.Equal("<REDACTED>", config["ssl_key"]!.GetValue<string>());
        Assert.Equal("shop.example.test", config["ssl_commonname"]!.GetValue<string>());
        Assert.Equal(string.Join(':', cert.Thumbprint.Chunk(2).Select(c => new string(c))), config["ssl_fingerprint"]!.GetValue<string>());
        Assert.DoesNotContain("PRIVATE KEY", (await h.GetAsync($"nodebalancers/{nbId}/configs")).Text, StringComparison.Ordinal);

        using var otherKey = RSA.Create(2048);
        var mismatched = await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs", new JsonObject
        {
            ["port"] = 8443,
            ["protocol"] = "https",
            ["ssl_cert"] = cert.ExportCertificatePem(),
            ["ssl_key"] = otherKey.ExportPkcs8PrivateKeyPem(),
        });
        Assert.Equal([("ssl_cert", "The certificate and key are not a valid PEM pair")], mismatched.Errors);
    }

    [Fact]
    public async Task NodesAndConfigs_AnyFilterKey_CannotFilter()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, _) = await NodeBalancerTests.NodeBalancerWithNodesAsync(h, 1);
        Assert.Equal([("X-Filter", "Cannot filter on mode")], (await h.GetAsync($"nodebalancers/{nbId}/configs/{configId}/nodes", """{"mode":"accept"}""")).Errors);
        Assert.Equal([("X-Filter", "Cannot filter on port")], (await h.GetAsync($"nodebalancers/{nbId}/configs", """{"port":80}""")).Errors);
    }

    [Fact]
    public async Task PutInstance_BadAlertsAndSchedule_FieldsNamedByPath()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        var response = await h.SendAsync(HttpMethod.Put, $"linode/instances/{id}", new JsonObject
        {
            ["alerts"] = new JsonObject { ["cpu"] = -1, ["transfer_quota"] = 101 },
            ["backups"] = new JsonObject { ["schedule"] = new JsonObject { ["day"] = "Someday" } },
            ["label"] = "x",
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        var fields = response.Errors.Select(e => e.Field).ToList();
        Assert.Contains("alerts.cpu", fields);
        Assert.Contains("alerts.transfer_quota", fields);
        Assert.Contains("backups.schedule.day", fields);
        Assert.Contains("label", fields);
        Assert.Equal("linode" + id, (await h.GetOkAsync($"linode/instances/{id}"))["label"]!.GetValue<string>());
    }

    [Fact]
    public async Task EventRead_MarksOnlyThatEvent()
    {
        await using var h = await EmulatorHarness.StartAsync();
        await h.PostOkAsync("tags", new JsonObject { ["label"] = "first-tag" });
        await h.PostOkAsync("tags", new JsonObject { ["label"] = "second-tag" });
        var events = (await h.GetOkAsync("account/events"))["data"]!.AsArray();
        await h.PostOkAsync($"account/events/{events[1]!["id"]}/read");
        var read = await h.GetOkAsync("account/events", """{"read":true}""");
        Assert.Equal(events[1]!["id"]!.GetValue<long>(), Assert.Single(read["data"]!.AsArray())!["id"]!.GetValue<long>());
    }

    [Fact]
    public async Task CreateInstance_BackupsEnabled_SchedulingUntilChosen()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var created = await h.CreateInstanceAsync(b => b["backups_enabled"] = true);
        Assert.True(created["backups"]!["enabled"]!.GetValue<bool>());
        Assert.Equal("Scheduling", created["backups"]!["schedule"]!["day"]!.GetValue<string>());
        Assert.Equal("Scheduling", created["backups"]!["schedule"]!["window"]!.GetValue<string>());
    }

    [Fact]
    public async Task Types_Dedicated_ClassAndFilterByVcpus()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var dedicated = await h.GetOkAsync("linode/types", """{"class":"dedicated","vcpus":{"+gte":4}}""");
        Assert.Equal(["g6-dedicated-4", "g6-dedicated-8", "g6-dedicated-16"], dedicated["data"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()));
        var images = await h.GetOkAsync("images", """{"vendor":"Ubuntu","+order_by":"label","+order":"desc"}""");
        Assert.Equal(["linode/ubuntu24.04", "linode/ubuntu22.04"], images["data"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
        var regions = await h.GetOkAsync("regions", """{"country":"us"}""");
        Assert.All(regions["data"]!.AsArray(), r => Assert.Equal("us", r!["country"]!.GetValue<string>()));
        Assert.True(regions["results"]!.GetValue<int>() >= 4);
    }
}

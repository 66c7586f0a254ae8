using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.Api;

public sealed class FirewallTests
{
    private static JsonObject DropNodeBalancerRange(string label = "web-fw") => new()
    {
        ["label"] = label,
        ["rules"] = new JsonObject
        {
            ["inbound_policy"] = "ACCEPT",
            ["outbound_policy"] = "ACCEPT",
            ["inbound"] = new JsonArray(new JsonObject
            {
                ["action"] = "DROP",
                ["protocol"] = "TCP",
                ["ports"] = "8080",
                ["addresses"] = new JsonObject { ["ipv4"] = new JsonArray("192.168.255.0/24") },
            }),
        },
    };

    [Fact]
    public async Task Firewall_CreateGetRulesDevices_ShapesAndAttachment()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var fw = await h.PostOkAsync("networking/firewalls", DropNodeBalancerRange());
        var id = fw["id"]!.GetValue<long>();
        Assert.Equal("enabled", fw["status"]!.GetValue<string>());
        Assert.Equal(8, fw["rules"]!["fingerprint"]!.GetValue<string>().Length);

        var instance = await h.CreateInstanceAsync(b => b["firewall_id"] = id);
        var devices = await h.GetOkAsync($"networking/firewalls/{id}/devices");
        var device = Assert.Single(devices["data"]!.AsArray());
        Assert.Equal(instance["id"]!.GetValue<long>(), device!["entity"]!["id"]!.GetValue<long>());
        Assert.Equal("linode", device["entity"]!["type"]!.GetValue<string>());

        var rules = await h.PutOkAsync($"networking/firewalls/{id}/rules", new JsonObject { ["inbound_policy"] = "DROP" });
        Assert.Equal("DROP", rules["inbound_policy"]!.GetValue<string>());
        Assert.Single(rules["inbound"]!.AsArray());
        Assert.Equal(2, rules["version"]!.GetValue<int>());

        // Only one enabled firewall per service.
        var other = await h.PostOkAsync("networking/firewalls", DropNodeBalancerRange("other-fw"));
        var second = await h.SendAsync(HttpMethod.Post, $"networking/firewalls/{other["id"]}/devices",
            new JsonObject { ["id"] = instance["id"]!.GetValue<long>(), ["type"] = "linode" });
        Assert.Equal(HttpStatusCode.BadRequest, second.Status);
        Assert.Equal("id", second.Errors.Single().Field);

        var list = await h.GetOkAsync("networking/firewalls");
        Assert.Equal(2, list["results"]!.GetValue<int>());
        await h.DeleteOkAsync($"networking/firewalls/{id}/devices/{device["id"]}");
        Assert.Empty((await h.GetOkAsync($"networking/firewalls/{id}/devices"))["data"]!.AsArray());

        var events = (await h.GetOkAsync("account/events", filter: """{"entity.type":"firewall"}"""))["data"]!.AsArray()
            .Select(e => e!["action"]!.GetValue<string>()).ToHashSet();
        Assert.Superset(new HashSet<string> { "firewall_create", "firewall_device_add", "firewall_rules_update", "firewall_device_remove" }, events);
    }

    [Fact]
    public async Task CreateInstance_UnknownFirewallPlacementGroupSubnet_400NamingEachField()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["image"] = "linode/debian12",
            ["root_pass"] = "Correct-Horse-Battery-9",
            ["firewall_id"] = 4242,
            ["placement_group"] = new JsonObject { ["id"] = 77 },
            ["interfaces"] = new JsonArray(new JsonObject { ["purpose"] = "vpc", ["subnet_id"] = 9 }),
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(["firewall_id", "placement_group.id", "interfaces[0].subnet_id"], response.Errors.Select(e => e.Field));
    }

    [Fact]
    public async Task CreateInstance_StackScriptNotInConfiguredList_400OnStackScriptId()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.Network.StackScriptIds.Add(1001));
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["image"] = "linode/debian12",
            ["root_pass"] = "Correct-Horse-Battery-9",
            ["stackscript_id"] = 2002,
        });

        Assert.Equal([("stackscript_id", "A valid StackScript by that ID was not found")], response.Errors);
        await h.CreateInstanceAsync(b => b["stackscript_id"] = 1001);
    }

    [Fact]
    public async Task CreateInstance_UserDataOver16KiBDecoded_400OnMetadataUserData()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var big = Convert.ToBase64String(Encoding.UTF8.GetBytes("#cloud-config\n" + new string('#', 16_384)));
        var response = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject
        {
            ["region"] = "us-east",
            ["type"] = "g6-nanode-1",
            ["image"] = "linode/debian12",
            ["root_pass"] = "Correct-Horse-Battery-9",
            ["metadata"] = new JsonObject { ["user_data"] = big },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        var error = Assert.Single(response.Errors);
        Assert.Equal("metadata.user_data", error.Field);
        Assert.Contains("16384", error.Reason, StringComparison.Ordinal);
        var fits = Convert.ToBase64String(new byte[16_384]);
        await h.CreateInstanceAsync(b => b["metadata"] = new JsonObject { ["user_data"] = fits });
    }

    [Fact]
    public async Task AccountDefaultFirewall_NewInstanceWithoutFirewallId_IsAttached()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.Network.DefaultFirewall = new EmulatorFirewall { Label = "acct-default" });
        var instance = await h.CreateInstanceAsync();
        var firewalls = await h.GetOkAsync("networking/firewalls");
        var fw = Assert.Single(firewalls["data"]!.AsArray())!;
        Assert.Equal("acct-default", fw["label"]!.GetValue<string>());
        var device = Assert.Single((await h.GetOkAsync($"networking/firewalls/{fw["id"]}/devices"))["data"]!.AsArray());
        Assert.Equal(instance["id"]!.GetValue<long>(), device!["entity"]!["id"]!.GetValue<long>());

        // The later attach of another firewall (attach-firewall.sh's way) fails: one firewall per service.
        var mine = await h.PostOkAsync("networking/firewalls", DropNodeBalancerRange());
        var attach = await h.SendAsync(HttpMethod.Post, $"networking/firewalls/{mine["id"]}/devices",
            new JsonObject { ["id"] = instance["id"]!.GetValue<long>(), ["type"] = "linode" });
        Assert.Equal(HttpStatusCode.BadRequest, attach.Status);
    }

    [Fact]
    public async Task NodeBalancer_CreateWithFirewallId_ListedUnderItsFirewallsAndUnknownIdRefused()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var fw = await h.PostOkAsync("networking/firewalls", DropNodeBalancerRange());
        var nb = await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east", ["firewall_id"] = fw["id"]!.GetValue<long>() });

        var listed = await h.GetOkAsync($"nodebalancers/{nb["id"]}/firewalls");
        Assert.Equal(fw["id"]!.GetValue<long>(), Assert.Single(listed["data"]!.AsArray())!["id"]!.GetValue<long>());

        var bad = await h.SendAsync(HttpMethod.Post, "nodebalancers", new JsonObject { ["region"] = "us-east", ["firewall_id"] = 1 });
        Assert.Equal([("firewall_id", "A valid firewall by that ID was not found")], bad.Errors);
    }

    [Fact]
    public async Task Firewall_DropsNodeBalancerRange_NodeSpecBlocked()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var fw = await h.PostOkAsync("networking/firewalls", DropNodeBalancerRange());
        var blocked = await h.CreateInstanceAsync(b => { b["private_ip"] = true; b["firewall_id"] = fw["id"]!.GetValue<long>(); });
        var open = await h.CreateInstanceAsync(b => b["private_ip"] = true);
        var nbId = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();
        var configId = (await h.PostOkAsync($"nodebalancers/{nbId}/configs", new JsonObject { ["port"] = 80 }))["id"]!.GetValue<long>();
        foreach (var (instance, label) in new[] { (blocked, "blocked"), (open, "open") })
        {
            await h.PostOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes",
                new JsonObject { ["label"] = label, ["address"] = instance["ipv4"]![1]!.GetValue<string>() + ":8080" });
        }

        var nodes = h.Balancers.Current[configId].Nodes;
        Assert.Equal([true, false], nodes.Select(n => n.Blocked));

        // Opening port 8080 to the range reaches the balancer too.
        await h.PutOkAsync($"networking/firewalls/{fw["id"]}/rules", new JsonObject { ["inbound"] = new JsonArray() });
        Assert.All(h.Balancers.Current[configId].Nodes, n => Assert.False(n.Blocked));
    }

    [Fact]
    public async Task InstanceFirewalls_AttachedFirewallListedWithRules_UnknownInstance404()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var fw = await h.PostOkAsync("networking/firewalls", DropNodeBalancerRange("app-fw"));
        var fenced = await h.CreateInstanceAsync(b => b["firewall_id"] = fw["id"]!.GetValue<long>());
        var bare = await h.CreateInstanceAsync();

        var page = await h.GetOkAsync($"linode/instances/{fenced["id"]}/firewalls");
        var none = await h.GetOkAsync($"linode/instances/{bare["id"]}/firewalls");
        var missing = await h.GetAsync("linode/instances/999999/firewalls");

        var listed = Assert.Single(page["data"]!.AsArray())!;
        Assert.Equal("app-fw", listed["label"]!.GetValue<string>());
        Assert.Equal("DROP", listed["rules"]!["inbound"]![0]!["action"]!.GetValue<string>());
        Assert.Equal(0, none["results"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }
}

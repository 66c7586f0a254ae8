using System.Net;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.Api;

public sealed class NodeBalancerTests
{
    private static readonly string[] NodeBalancerFields =
        ["client_conn_throttle", "created", "hostname", "id", "ipv4", "ipv6", "label", "region", "tags", "transfer", "updated"];

    private static readonly string[] ConfigFields =
    [
        "algorithm", "check", "check_attempts", "check_body", "check_interval", "check_passive", "check_path", "check_timeout",
        "cipher_suite", "id", "nodebalancer_id", "nodes_status", "port", "protocol", "proxy_protocol", "ssl_cert",
        "ssl_commonname", "ssl_fingerprint", "ssl_key", "stickiness",
    ];

    private static readonly string[] NodeFields = ["address", "config_id", "id", "label", "mode", "nodebalancer_id", "status", "weight"];

    [Fact]
    public async Task Create_RegionOnly_DefaultsAndLoopbackAddress()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var nb = await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" });

        Assert.Equal(NodeBalancerFields, nb.Select(p => p.Key).Order(StringComparer.Ordinal));
        var id = nb["id"]!.GetValue<long>();
        Assert.Equal("balancer" + id, nb["label"]!.GetValue<string>());
        var ipv4 = nb["ipv4"]!.GetValue<string>();
        Assert.True(IPNetwork.Parse("127.20.0.0/16").Contains(IPAddress.Parse(ipv4)), ipv4);
        Assert.Equal(ipv4.Replace('.', '-') + ".ip.linodeusercontent.com", nb["hostname"]!.GetValue<string>());
        Assert.Equal(0, nb["client_conn_throttle"]!.GetValue<int>());
        Assert.Null(nb["transfer"]!["in"]);
        Assert.Equal(nb.ToJsonString(), (await h.GetOkAsync($"nodebalancers/{id}")).ToJsonString());
        Assert.Single((await h.GetOkAsync("nodebalancers", $$"""{"ipv4":"{{ipv4}}"}"""))["data"]!.AsArray());
    }

    [Fact]
    public async Task Create_BadFields_EveryError()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "nodebalancers", new JsonObject
        {
            ["region"] = "mars-1",
            ["label"] = "no spaces allowed",
            ["client_conn_throttle"] = 21,
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains(("region", "region is not valid"), response.Errors);
        Assert.Contains(("label", "Must contain only letters, numbers, '-' and '_'"), response.Errors);
        Assert.Contains(("client_conn_throttle", "Must be between 0 and 20"), response.Errors);
        Assert.Equal([("region", "region is required")], (await h.SendAsync(HttpMethod.Post, "nodebalancers", new JsonObject())).Errors);
    }

    [Fact]
    public async Task Config_CreateWithNodes_NodesCreatedWithTheConfig()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var linode = await h.CreateInstanceAsync(b => b["private_ip"] = true);
        var privateIp = linode["ipv4"]!.AsArray().Select(a => a!.GetValue<string>()).Single(a => a.StartsWith("192.168.", StringComparison.Ordinal));
        var nbId = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();

        var config = await h.PostOkAsync($"nodebalancers/{nbId}/configs", new JsonObject
        {
            ["port"] = 8090,
            ["nodes"] = new JsonArray(new JsonObject { ["label"] = "with-config", ["address"] = privateIp + ":8080", ["weight"] = 7 }),
        });

        var nodes = (await h.GetOkAsync($"nodebalancers/{nbId}/configs/{config["id"]}/nodes"))["data"]!.AsArray();
        var node = Assert.Single(nodes)!;
        Assert.Equal("with-config", node["label"]!.GetValue<string>());
        Assert.Equal(7, node["weight"]!.GetValue<int>());
        Assert.Single(h.Balancers.Applied.Last().Nodes);

        var bad = await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs", new JsonObject
        {
            ["port"] = 8091,
            ["nodes"] = new JsonArray(new JsonObject { ["label"] = "bad", ["address"] = "10.0.0.1:80" }),
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains(bad.Errors, e => e.Field == "nodes[0].address");
    }

    [Fact]
    public async Task Config_Create_AppliedOnNodeBalancerAddressAndPort()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var nb = await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east", ["label"] = "web-nb" });
        var nbId = nb["id"]!.GetValue<long>();

        var config = await h.PostOkAsync($"nodebalancers/{nbId}/configs", new JsonObject
        {
            ["port"] = 8088,
            ["check"] = "http",
            ["check_path"] = "/health",
            ["check_interval"] = 5,
            ["check_timeout"] = 3,
            ["check_attempts"] = 2,
            ["algorithm"] = "leastconn",
        });

        Assert.Equal(ConfigFields, config.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("http", config["protocol"]!.GetValue<string>());
        Assert.Equal("none", config["stickiness"]!.GetValue<string>());
        Assert.True(config["check_passive"]!.GetValue<bool>());
        Assert.Equal("", config["check_body"]!.GetValue<string>());
        Assert.Null(config["ssl_cert"]);
        Assert.Equal("""{"up":0,"down":0}""", config["nodes_status"]!.ToJsonString());
        var spec = Assert.Single(h.Balancers.Applied);
        Assert.Equal(config["id"]!.GetValue<long>(), spec.ConfigId);
        Assert.Equal(nbId, spec.NodeBalancerId);
        Assert.Equal(nb["ipv4"]!.GetValue<string>(), spec.ListenAddress.ToString());
        Assert.Equal(8088, spec.Port);
        Assert.Equal("leastconn", spec.Algorithm);
        Assert.Equal(("http", "/health", 5, 3, 2), (spec.Check, spec.CheckPath, spec.CheckIntervalSeconds, spec.CheckTimeoutSeconds, spec.CheckAttempts));
        Assert.Empty(spec.Nodes);
    }

    [Fact]
    public async Task Config_Defaults_SpecDefaults()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var nbId = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();
        var config = await h.PostOkAsync($"nodebalancers/{nbId}/configs", new JsonObject());
        Assert.Equal(80, config["port"]!.GetValue<int>());
        Assert.Equal("roundrobin", config["algorithm"]!.GetValue<string>());
        Assert.Equal("none", config["check"]!.GetValue<string>());
        Assert.Equal(31, config["check_interval"]!.GetValue<int>());
        Assert.Equal(30, config["check_timeout"]!.GetValue<int>());
        Assert.Equal(3, config["check_attempts"]!.GetValue<int>());
        Assert.Equal("recommended", config["cipher_suite"]!.GetValue<string>());
        Assert.Equal("none", config["proxy_protocol"]!.GetValue<string>());
    }

    [Fact]
    public async Task Config_BadFields_EveryErrorWithField()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var nbId = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();
        await h.PostOkAsync($"nodebalancers/{nbId}/configs", new JsonObject { ["port"] = 8089 });

        var response = await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs", new JsonObject
        {
            ["port"] = 8089,
            ["check_interval"] = 3,
            ["check_timeout"] = 5,
            ["check_attempts"] = 31,
            ["protocol"] = "udp",
            ["check_path"] = "/has space",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains(("port", "Port is already in use by another config on this NodeBalancer"), response.Errors);
        Assert.Contains(("check_interval", "check_interval must be greater than check_timeout"), response.Errors);
        Assert.Contains(("check_attempts", "Must be between 1 and 30"), response.Errors);
        Assert.Contains(("protocol", "Must be one of http, https, tcp"), response.Errors);
        Assert.Contains(response.Errors, e => e.Field == "check_path");
        Assert.Single(h.Balancers.Applied);
    }

    [Fact]
    public async Task Config_HttpsWithoutCertificate_CertAndKeyRequired()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var nbId = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();
        var response = await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs", new JsonObject { ["protocol"] = "https", ["port"] = 443 });
        Assert.Equal([("ssl_cert", "ssl_cert is required for https"), ("ssl_key", "ssl_key is required for https")], response.Errors);
    }

    [Fact]
    public async Task Node_Create_MapsPrivateAddressToInstanceLoopback()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var instance = await h.CreateInstanceAsync(b => b["private_ip"] = true);
        var publicIp = instance["ipv4"]![0]!.GetValue<string>();
        var privateIp = instance["ipv4"]![1]!.GetValue<string>();
        var nbId = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();
        var configId = (await h.PostOkAsync($"nodebalancers/{nbId}/configs", new JsonObject { ["port"] = 80 }))["id"]!.GetValue<long>();

        var node = await h.PostOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes", new JsonObject
        {
            ["label"] = "web-1",
            ["address"] = privateIp + ":8080",
        });

        Assert.Equal(NodeFields, node.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(privateIp + ":8080", node["address"]!.GetValue<string>());
        Assert.Equal("Unknown", node["status"]!.GetValue<string>());
        Assert.Equal(50, node["weight"]!.GetValue<int>());
        Assert.Equal("accept", node["mode"]!.GetValue<string>());
        Assert.Equal(configId, node["config_id"]!.GetValue<long>());
        Assert.Equal(nbId, node["nodebalancer_id"]!.GetValue<long>());
        var applied = h.Balancers.Current[configId];
        var backend = Assert.Single(applied.Nodes);
        Assert.Equal(node["id"]!.GetValue<long>(), backend.NodeId);
        // The private address's own loopback address (the emulated private network), not the public one.
        Assert.NotEqual(publicIp, backend.Backend.Address.ToString());
        Assert.True(System.Net.IPNetwork.Parse("127.12.0.0/16").Contains(backend.Backend.Address), backend.Backend.Address.ToString());
        Assert.Equal(8080, backend.Backend.Port);
        Assert.Equal(("accept", 50), (backend.Mode, backend.Weight));
    }

    [Fact]
    public async Task Node_StatusFromLoadBalancer_NodeAndConfigReflectIt()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, nodeIds) = await NodeBalancerWithNodesAsync(h, 3);
        h.Balancers.SetNodeStatus(configId, nodeIds[0], "UP");
        h.Balancers.SetNodeStatus(configId, nodeIds[1], "DOWN");

        Assert.Equal("UP", (await h.GetOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[0]}"))["status"]!.GetValue<string>());
        var nodes = await h.GetOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes");
        Assert.Equal(["UP", "DOWN", "Unknown"], nodes["data"]!.AsArray().Select(n => n!["status"]!.GetValue<string>()));
        var config = await h.GetOkAsync($"nodebalancers/{nbId}/configs/{configId}");
        Assert.Equal("""{"up":1,"down":1}""", config["nodes_status"]!.ToJsonString());
    }

    [Theory]
    [InlineData("192.168.130.5", "Must be in address:port format")]
    [InlineData("192.168.130.5:99999", "Must be in address:port format")]
    [InlineData("node.example:80", "Must be in address:port format")]
    [InlineData("10.1.2.3:8080", "Must be a private IP address")]
    [InlineData("127.10.0.1:8080", "Must be a private IP address")]
    [InlineData("192.168.250.250:8080", "No Linode in us-east has the private IP address 192.168.250.250")]
    public async Task Node_BadAddress_AddressError(string address, string reason)
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, _) = await NodeBalancerWithNodesAsync(h, 0);
        var response = await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/nodes", new JsonObject
        {
            ["label"] = "bad-node",
            ["address"] = address,
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal([("address", reason)], response.Errors);
    }

    [Fact]
    public async Task Node_PrivateAddressOfInstanceInOtherRegion_Refused()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var elsewhere = await h.CreateInstanceAsync(b => { b["region"] = "eu-west"; b["private_ip"] = true; });
        var (nbId, configId, _) = await NodeBalancerWithNodesAsync(h, 0);
        var response = await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/nodes", new JsonObject
        {
            ["label"] = "far-node",
            ["address"] = elsewhere["ipv4"]![1]!.GetValue<string>() + ":80",
        });
        Assert.Equal("address", Assert.Single(response.Errors).Field);
    }

    [Fact]
    public async Task Node_MissingAndBadFields_EveryError()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, _) = await NodeBalancerWithNodesAsync(h, 0);
        var missing = await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/nodes", new JsonObject());
        Assert.Equal([("label", "label is required"), ("address", "address is required")], missing.Errors);

        var bad = await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/nodes", new JsonObject
        {
            ["label"] = "x",
            ["address"] = "nope",
            ["weight"] = 0,
            ["mode"] = "sleep",
        });
        Assert.Contains(("label", "Length must be 3-32 characters"), bad.Errors);
        Assert.Contains(("address", "Must be in address:port format"), bad.Errors);
        Assert.Contains(("weight", "Must be between 1 and 255"), bad.Errors);
        Assert.Contains(("mode", "Must be one of accept, reject, drain, backup"), bad.Errors);
    }

    [Fact]
    public async Task Node_UpdateModeAndWeight_Applied()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, nodeIds) = await NodeBalancerWithNodesAsync(h, 2);
        var updated = await h.PutOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[1]}", new JsonObject
        {
            ["mode"] = "drain",
            ["weight"] = 200,
        });
        Assert.Equal("drain", updated["mode"]!.GetValue<string>());
        Assert.Equal(200, updated["weight"]!.GetValue<int>());
        var backend = h.Balancers.Current[configId].Nodes.Single(n => n.NodeId == nodeIds[1]);
        Assert.Equal(("drain", 200), (backend.Mode, backend.Weight));
    }

    [Fact]
    public async Task Node_Delete_RemovedFromAppliedSpec()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, nodeIds) = await NodeBalancerWithNodesAsync(h, 2);
        Assert.Equal("{}", (await h.DeleteOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[0]}")).ToJsonString());
        Assert.Equal([nodeIds[1]], h.Balancers.Current[configId].Nodes.Select(n => n.NodeId));
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[0]}")).Status);
    }

    [Fact]
    public async Task DeleteInstance_NodeStaysAndKeepsItsBackend_AddressesNotReused()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, nodeIds) = await NodeBalancerWithNodesAsync(h, 1);
        var instanceId = (await h.GetOkAsync("linode/instances"))["data"]![0]!["id"]!.GetValue<long>();
        var backend = h.Balancers.Current[configId].Nodes.Single().Backend;
        var nodeAddress = (await h.GetOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[0]}"))["address"]!.GetValue<string>();

        await h.DeleteOkAsync($"linode/instances/{instanceId}");
        await EmulatorHarness.EventuallyAsync("instance gone", async () =>
            (await h.GetAsync($"linode/instances/{instanceId}")).Status == HttpStatusCode.NotFound ? "gone" : null);

        var node = await h.GetOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[0]}");
        Assert.Equal(nodeAddress, node["address"]!.GetValue<string>());
        // A touch of the config re-applies it: the node still points where it did (nothing listens there now).
        await h.PutOkAsync($"nodebalancers/{nbId}/configs/{configId}", new JsonObject { ["algorithm"] = "source" });
        Assert.Equal(backend, h.Balancers.Current[configId].Nodes.Single().Backend);

        // (Next-fit allocation would not reuse them this soon anyway; RetiredAddresses_* proves they are held.)
        var replacement = await h.CreateInstanceAsync(b => b["private_ip"] = true);
        Assert.NotEqual(backend.Address.ToString(), replacement["ipv4"]![0]!.GetValue<string>());
        Assert.NotEqual(nodeAddress.Split(':')[0], replacement["ipv4"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task RetiredAddresses_HeldWhileANodeNamesThem_ReleasedWhenNodeGoes()
    {
        // What a node of a deleted instance holds is the loopback address behind its private address. Limits off:
        // filling the address pool takes 254 creates in a burst (Linode allows 20 per 15 s).
        await using var h = await EmulatorHarness.StartAsync(o =>
        {
            o.PrivateLoopbackPool = "127.12.9.0/24";
            o.RateLimits.Enabled = false;
        });
        var (nbId, configId, nodeIds) = await NodeBalancerWithNodesAsync(h, 1);
        var victim = (await h.GetOkAsync("linode/instances"))["data"]![0]!.AsObject();
        var victimId = victim["id"]!.GetValue<long>();
        await h.DeleteOkAsync($"linode/instances/{victimId}");
        await EmulatorHarness.EventuallyAsync("instance gone", async () =>
            (await h.GetAsync($"linode/instances/{victimId}")).Status == HttpStatusCode.NotFound ? "gone" : null);

        // Fill the pool: 254 usable addresses, one still held for the node.
        for (var i = 0; i < 253; i++)
        {
            await h.CreateInstanceAsync(b => { b["booted"] = false; b["private_ip"] = true; });
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await h.SendAsync(HttpMethod.Post, "linode/instances",
            new JsonObject { ["region"] = "us-east", ["type"] = "g6-nanode-1", ["private_ip"] = true })).Status);

        await h.DeleteOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[0]}");
        var reused = await h.CreateInstanceAsync(b => { b["booted"] = false; b["private_ip"] = true; });
        Assert.Equal(2, reused["ipv4"]!.AsArray().Count);
    }

    [Fact]
    public async Task Config_Rebuild_UpdatesCreatesAndDeletesNodes()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, nodeIds) = await NodeBalancerWithNodesAsync(h, 2);
        var extra = await h.CreateInstanceAsync(b => b["private_ip"] = true);
        var extraPrivate = extra["ipv4"]![1]!.GetValue<string>();
        var kept = await h.GetOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[0]}");

        var rebuilt = await h.PostOkAsync($"nodebalancers/{nbId}/configs/{configId}/rebuild", new JsonObject
        {
            ["port"] = 81,
            ["check"] = "connection",
            ["nodes"] = new JsonArray(
                new JsonObject { ["id"] = nodeIds[0], ["label"] = "kept-node", ["address"] = kept["address"]!.GetValue<string>(), ["mode"] = "backup" },
                new JsonObject { ["label"] = "new-node", ["address"] = extraPrivate + ":8080" }),
        });

        Assert.Equal(81, rebuilt["port"]!.GetValue<int>());
        Assert.Equal("connection", rebuilt["check"]!.GetValue<string>());
        var nodes = (await h.GetOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes"))["data"]!.AsArray();
        Assert.Equal(["kept-node", "new-node"], nodes.Select(n => n!["label"]!.GetValue<string>()));
        Assert.Equal("backup", nodes[0]!["mode"]!.GetValue<string>());
        Assert.Equal(nodeIds[0], nodes[0]!["id"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[1]}")).Status);
        var spec = h.Balancers.Current[configId];
        Assert.Equal(81, spec.Port);
        Assert.Equal(2, spec.Nodes.Count);
        var extraBackend = spec.Nodes.Single(n => n.NodeId != nodeIds[0]).Backend.Address;
        Assert.NotEqual(extra["ipv4"]![0]!.GetValue<string>(), extraBackend.ToString());
        Assert.True(System.Net.IPNetwork.Parse("127.12.0.0/16").Contains(extraBackend), extraBackend.ToString());

        var unknown = await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/rebuild", new JsonObject
        {
            ["nodes"] = new JsonArray(new JsonObject { ["id"] = 1, ["label"] = "ghost", ["address"] = extraPrivate + ":80" }),
        });
        Assert.Equal([("nodes[0].id", "Not found")], unknown.Errors);
        Assert.Equal([("nodes", "nodes is required")], (await h.SendAsync(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/rebuild", new JsonObject())).Errors);
    }

    [Fact]
    public async Task Create_WithConfigsAndNodes_AllCreatedAndApplied()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var a = await h.CreateInstanceAsync(b => b["private_ip"] = true);
        var b2 = await h.CreateInstanceAsync(b => b["private_ip"] = true);

        var nb = await h.PostOkAsync("nodebalancers", new JsonObject
        {
            ["region"] = "us-east",
            ["label"] = "full-nb",
            ["tags"] = new JsonArray("pool:web"),
            ["configs"] = new JsonArray(
                new JsonObject
                {
                    ["port"] = 80,
                    ["nodes"] = new JsonArray(
                        new JsonObject { ["label"] = "a-80", ["address"] = a["ipv4"]![1]!.GetValue<string>() + ":8080" },
                        new JsonObject { ["label"] = "b-80", ["address"] = b2["ipv4"]![1]!.GetValue<string>() + ":8080" }),
                },
                new JsonObject
                {
                    ["port"] = 9100,
                    ["protocol"] = "tcp",
                    ["nodes"] = new JsonArray(new JsonObject { ["label"] = "a-9100", ["address"] = a["ipv4"]![1]!.GetValue<string>() + ":9100" }),
                }),
        });

        var nbId = nb["id"]!.GetValue<long>();
        var configs = (await h.GetOkAsync($"nodebalancers/{nbId}/configs"))["data"]!.AsArray();
        Assert.Equal([80, 9100], configs.Select(c => c!["port"]!.GetValue<int>()));
        Assert.Equal(2, h.Balancers.Current.Count);
        Assert.Equal([2, 1], configs.Select(c => h.Balancers.Current[c!["id"]!.GetValue<long>()].Nodes.Count));
    }

    [Fact]
    public async Task Create_WithBadNestedConfig_PathsNameConfigAndNode()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Post, "nodebalancers", new JsonObject
        {
            ["region"] = "us-east",
            ["configs"] = new JsonArray(
                new JsonObject { ["port"] = 80, ["nodes"] = new JsonArray(new JsonObject { ["label"] = "n-1", ["address"] = "192.168.1.1" }) },
                new JsonObject { ["port"] = 80 }),
        });
        Assert.Contains(("configs[0].nodes[0].address", "Must be in address:port format"), response.Errors);
        Assert.Contains(("configs[1].port", "Port is already in use by another config on this NodeBalancer"), response.Errors);
        Assert.Contains(("configs[1].nodes", "nodes is required"), response.Errors);
        Assert.Equal(0, (await h.GetOkAsync("nodebalancers"))["results"]!.GetValue<int>());
    }

    [Fact]
    public async Task Update_LabelThrottleTags_UpdatedAndUniqueLabel()
    {
        await using var h = await EmulatorHarness.StartAsync();
        await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east", ["label"] = "taken" });
        var nbId = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();
        var updated = await h.PutOkAsync($"nodebalancers/{nbId}", new JsonObject
        {
            ["label"] = "renamed",
            ["client_conn_throttle"] = 5,
            ["tags"] = new JsonArray("edge"),
        });
        Assert.Equal(("renamed", 5, "edge"), (updated["label"]!.GetValue<string>(), updated["client_conn_throttle"]!.GetValue<int>(), updated["tags"]![0]!.GetValue<string>()));
        var duplicate = await h.SendAsync(HttpMethod.Put, $"nodebalancers/{nbId}", new JsonObject { ["label"] = "taken" });
        Assert.Equal([("label", "Label must be unique among your NodeBalancers")], duplicate.Errors);
    }

    [Fact]
    public async Task DeleteConfigAndNodeBalancer_RemovedFromLoadBalancer()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, _) = await NodeBalancerWithNodesAsync(h, 1);
        var second = (await h.PostOkAsync($"nodebalancers/{nbId}/configs", new JsonObject { ["port"] = 443, ["protocol"] = "tcp" }))["id"]!.GetValue<long>();

        Assert.Equal("{}", (await h.DeleteOkAsync($"nodebalancers/{nbId}/configs/{configId}")).ToJsonString());
        Assert.Equal([configId], h.Balancers.Removed);
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync($"nodebalancers/{nbId}/configs/{configId}")).Status);

        Assert.Equal("{}", (await h.DeleteOkAsync($"nodebalancers/{nbId}")).ToJsonString());
        Assert.Equal([configId, second], h.Balancers.Removed);
        Assert.Empty(h.Balancers.Current);
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync($"nodebalancers/{nbId}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync($"nodebalancers/{nbId}/configs/{second}")).Status);
    }

    [Fact]
    public async Task ConfigOfAnotherNodeBalancer_404()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (_, configId, _) = await NodeBalancerWithNodesAsync(h, 0);
        var other = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync($"nodebalancers/{other}/configs/{configId}")).Status);
    }

    /// <summary>A NodeBalancer in us-east with one config on port 80 and a node per new instance (private IPs).</summary>
    internal static async Task<(long NodeBalancerId, long ConfigId, List<long> NodeIds)> NodeBalancerWithNodesAsync(EmulatorHarness h, int nodes)
    {
        var nbId = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();
        var configId = (await h.PostOkAsync($"nodebalancers/{nbId}/configs", new JsonObject { ["port"] = 80 }))["id"]!.GetValue<long>();
        var nodeIds = new List<long>();
        for (var i = 0; i < nodes; i++)
        {
            var instance = await h.CreateInstanceAsync(b => b["private_ip"] = true);
            var node = await h.PostOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes", new JsonObject
            {
                ["label"] = $"node-{i}",
                ["address"] = instance["ipv4"]![1]!.GetValue<string>() + ":8080",
            });
            nodeIds.Add(node["id"]!.GetValue<long>());
        }
        return (nbId, configId, nodeIds);
    }
}

using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;

namespace Linode.Emulator.Tests.Api;

public sealed partial class EventAndTagTests
{
    private static readonly string[] EventFields =
    [
        "action", "created", "duration", "entity", "id", "message", "percent_complete", "rate", "read", "secondary_entity",
        "seen", "status", "time_remaining", "username",
    ];

    [Fact]
    public async Task Create_EventsProgressScheduledStartedFinishedWithPercent()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 7, 1, 8, 0, 0, TimeSpan.Zero));
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = new EmulatorDelays
        {
            Provisioning = TimeSpan.FromSeconds(10),
            Booting = TimeSpan.FromSeconds(10),
        }, time);
        var instance = await h.CreateInstanceAsync(b => b["label"] = "evented");
        var id = instance["id"]!.GetValue<long>();

        var create = await EmulatorHarness.EventuallyAsync("linode_create started", async () =>
        {
            var e = (await h.GetOkAsync("account/events", """{"action":"linode_create"}"""))["data"]![0]!.AsObject();
            return e["status"]!.GetValue<string>() == "started" ? e : null;
        });
        Assert.Equal(EventFields, create.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("""{"id":""" + id + ""","label":"evented","type":"linode","url":"/v4/linode/instances/""" + id + "\"}", create["entity"]!.ToJsonString());
        Assert.Equal("image", create["secondary_entity"]!["type"]!.GetValue<string>());
        Assert.Equal("emulator", create["username"]!.GetValue<string>());
        Assert.Equal("2024-07-01T08:00:00", create["created"]!.GetValue<string>());
        var boot = (await h.GetOkAsync("account/events", """{"action":"linode_boot"}"""))["data"]![0]!;
        Assert.Equal("scheduled", boot["status"]!.GetValue<string>());
        Assert.Equal(0, boot["percent_complete"]!.GetValue<int>());

        time.Advance(TimeSpan.FromSeconds(5));
        var halfway = await h.GetOkAsync($"account/events/{create["id"]}");
        Assert.Equal(50, halfway["percent_complete"]!.GetValue<int>());
        Assert.Equal(5, halfway["duration"]!.GetValue<double>());

        await InstanceLifecycleTests.StepUntilAsync(h, id, "running");
        var finished = await h.GetOkAsync($"account/events/{create["id"]}");
        Assert.Equal("finished", finished["status"]!.GetValue<string>());
        Assert.Equal(100, finished["percent_complete"]!.GetValue<int>());
        var booted = (await h.GetOkAsync("account/events", """{"action":"linode_boot"}"""))["data"]![0]!;
        Assert.Equal("finished", booted["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_NewestFirstAndEveryTimestampWithoutZoneOrFraction()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 7, 1, 8, 0, 0, 123, TimeSpan.Zero));
        await using var h = await EmulatorHarness.StartAsync(time: time);
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        await h.WaitForStatusAsync(id, "running");
        time.Advance(TimeSpan.FromSeconds(1.5));
        await h.PutOkAsync($"linode/instances/{id}", new JsonObject { ["label"] = "later" });

        var events = (await h.GetOkAsync("account/events"))["data"]!.AsArray();
        var ids = events.Select(e => e!["id"]!.GetValue<long>()).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Equal("linode_update", events[0]!["action"]!.GetValue<string>());
        Assert.Equal("notification", events[0]!["status"]!.GetValue<string>());
        Assert.Null(events[0]!["percent_complete"]);
        var text = (await h.GetAsync("account/events")).Text + (await h.GetAsync($"linode/instances/{id}")).Text;
        var stamps = Timestamp().Matches(text).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(stamps);
        Assert.All(stamps, s => Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", s));
    }

    [Fact]
    public async Task Seen_MarksThisAndEarlierEvents()
    {
        await using var h = await EmulatorHarness.StartAsync();
        await h.CreateInstanceAsync(b => b["booted"] = false);
        await h.PostOkAsync("tags", new JsonObject { ["label"] = "tag-one" });
        await h.PostOkAsync("tags", new JsonObject { ["label"] = "tag-two" });
        var events = (await h.GetOkAsync("account/events"))["data"]!.AsArray();
        var middle = events[1]!["id"]!.GetValue<long>();

        Assert.Equal("{}", (await h.PostOkAsync($"account/events/{middle}/seen")).ToJsonString());

        var after = (await h.GetOkAsync("account/events"))["data"]!.AsArray();
        Assert.Equal([false, true, true], after.Select(e => e!["seen"]!.GetValue<bool>()));
        Assert.Equal(HttpStatusCode.NotFound, (await h.SendAsync(HttpMethod.Post, "account/events/1/seen")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync("account/events/1")).Status);
    }

    [Fact]
    public async Task NodeBalancerChanges_RaiseEventsWithNodeBalancerEntity()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (nbId, configId, nodeIds) = await NodeBalancerTests.NodeBalancerWithNodesAsync(h, 1);
        await h.PutOkAsync($"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeIds[0]}", new JsonObject { ["mode"] = "drain" });
        await h.DeleteOkAsync($"nodebalancers/{nbId}/configs/{configId}");
        await h.DeleteOkAsync($"nodebalancers/{nbId}");

        var events = await h.GetOkAsync("account/events", $$"""{"entity.type":"nodebalancer","entity.id":{{nbId}},"+order_by":"id"}""");
        Assert.Equal(
            ["nodebalancer_create", "nodebalancer_config_create", "nodebalancer_node_create", "nodebalancer_node_update",
                "nodebalancer_config_delete", "nodebalancer_delete"],
            events["data"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()));
        var nodeEvent = events["data"]![2]!;
        Assert.Equal(nodeIds[0].ToString(System.Globalization.CultureInfo.InvariantCulture), nodeEvent["secondary_entity"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tags_CreateWithObjects_ListGetAndDelete()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var linode = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        var nb = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east" }))["id"]!.GetValue<long>();

        var created = await h.PostOkAsync("tags", new JsonObject
        {
            ["label"] = "team:web",
            ["linodes"] = new JsonArray(linode),
            ["nodebalancers"] = new JsonArray(nb),
        });
        Assert.Equal("""{"label":"team:web"}""", created.ToJsonString());
        Assert.Contains("team:web", (await h.GetOkAsync($"linode/instances/{linode}"))["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains((await h.GetOkAsync("tags"))["data"]!.AsArray(), t => t!["label"]!.GetValue<string>() == "team:web");

        var tagged = await h.GetOkAsync("tags/team:web");
        Assert.Equal(2, tagged["results"]!.GetValue<int>());
        Assert.Equal(["linode", "nodebalancer"], tagged["data"]!.AsArray().Select(o => o!["type"]!.GetValue<string>()));
        Assert.Equal(linode, tagged["data"]![0]!["data"]!["id"]!.GetValue<long>());
        Assert.Equal("running", (await h.WaitForStatusAsync(linode, "running"))["status"]!.GetValue<string>());

        var createEvent = (await h.GetOkAsync("account/events", """{"action":"tag_create"}"""))["data"]![0]!;
        Assert.Equal("team:web", createEvent["entity"]!["id"]!.GetValue<string>());

        Assert.Equal("{}", (await h.DeleteOkAsync("tags/team:web")).ToJsonString());
        Assert.DoesNotContain("team:web", (await h.GetOkAsync($"linode/instances/{linode}"))["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Empty((await h.GetOkAsync($"nodebalancers/{nb}"))["tags"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync("tags/team:web")).Status);
        Assert.Equal(1, (await h.GetOkAsync("account/events", """{"action":"tag_delete"}"""))["results"]!.GetValue<int>());
    }

    [Fact]
    public async Task Tags_SetOnObjects_AppearInTagList()
    {
        await using var h = await EmulatorHarness.StartAsync();
        await h.CreateInstanceAsync(b => b["tags"] = new JsonArray("pool:api"));
        var tags = await h.GetOkAsync("tags", """{"label":"pool:api"}""");
        Assert.Equal(1, tags["results"]!.GetValue<int>());
    }

    [Fact]
    public async Task Tags_CreateNamingMissingObjects_400AndNothingTagged()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var linode = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        var response = await h.SendAsync(HttpMethod.Post, "tags", new JsonObject
        {
            ["label"] = "ghosts",
            ["linodes"] = new JsonArray(linode, 4242),
            ["volumes"] = new JsonArray(7),
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal([("linodes", "Linode 4242 not found"), ("volumes", "Volume 7 not found")], response.Errors);
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync("tags/ghosts")).Status);
        Assert.Empty((await h.GetOkAsync($"linode/instances/{linode}"))["tags"]!.AsArray());
        Assert.Equal([("label", "label is required")], (await h.SendAsync(HttpMethod.Post, "tags", new JsonObject())).Errors);
        Assert.Equal([("label", "Length must be 3-50 characters")], (await h.SendAsync(HttpMethod.Post, "tags", new JsonObject { ["label"] = "ab" })).Errors);
    }

    [GeneratedRegex("\"(?:created|updated|last_successful|eol)\":\"([^\"]*)\"")]
    private static partial Regex Timestamp();
}

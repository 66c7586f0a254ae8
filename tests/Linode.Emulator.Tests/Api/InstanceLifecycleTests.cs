using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Linode.Emulator.Tests.Api;

public sealed class InstanceLifecycleTests
{
    private static readonly DateTimeOffset Start = new(2024, 5, 1, 10, 0, 0, TimeSpan.Zero);

    private static readonly string[] LinodeFields =
    [
        "alerts", "backups", "capabilities", "created", "group", "has_user_data", "host_uuid", "hypervisor", "id", "image",
        "ipv4", "ipv6", "label", "lke_cluster_id", "placement_group", "region", "specs", "status", "tags", "type", "updated",
        "watchdog_enabled",
    ];

    [Fact]
    public async Task Create_WithImage_ReturnsProvisioningLinodeWithEverySpecField()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Fast, time);
        var created = await h.CreateInstanceAsync(b =>
        {
            b["label"] = "web-1";
            b["private_ip"] = true;
            b["tags"] = new JsonArray("pool:web", "env:test");
        });

        Assert.Equal(LinodeFields, created.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("provisioning", created["status"]!.GetValue<string>());
        Assert.Equal("web-1", created["label"]!.GetValue<string>());
        Assert.Equal("2024-05-01T10:00:00", created["created"]!.GetValue<string>());
        Assert.Equal("2024-05-01T10:00:00", created["updated"]!.GetValue<string>());
        Assert.Equal("g6-nanode-1", created["type"]!.GetValue<string>());
        Assert.Equal("linode/debian12", created["image"]!.GetValue<string>());
        Assert.Equal("", created["group"]!.GetValue<string>());
        Assert.Equal("kvm", created["hypervisor"]!.GetValue<string>());
        Assert.Equal(90, created["alerts"]!["cpu"]!.GetValue<int>());
        Assert.Equal(1, created["specs"]!["vcpus"]!.GetValue<int>());
        Assert.Equal(1024, created["specs"]!["memory"]!.GetValue<int>());
        Assert.False(created["backups"]!["enabled"]!.GetValue<bool>());
        Assert.Null(created["backups"]!["last_successful"]);
        Assert.Null(created["placement_group"]);
        Assert.Equal(40, created["host_uuid"]!.GetValue<string>().Length);
        Assert.Equal(["pool:web", "env:test"], created["tags"]!.AsArray().Select(t => t!.GetValue<string>()));

        var ipv4 = created["ipv4"]!.AsArray().Select(a => IPAddress.Parse(a!.GetValue<string>())).ToList();
        Assert.Equal(2, ipv4.Count);
        Assert.True(IPNetwork.Parse("127.10.0.0/16").Contains(ipv4[0]), ipv4[0] + " is not in 127.10.0.0/16");
        Assert.True(IPNetwork.Parse("192.168.128.0/17").Contains(ipv4[1]), ipv4[1] + " is not in 192.168.128.0/17");
        var ipv6 = created["ipv6"]!.GetValue<string>();
        Assert.EndsWith("/128", ipv6, StringComparison.Ordinal);
        Assert.StartsWith("2600:3c03::", ipv6, StringComparison.Ordinal);
        Assert.Equal(AddressFamily.InterNetworkV6, IPAddress.Parse(ipv6[..^4]).AddressFamily);
    }

    [Fact]
    public async Task Create_NoLabel_LabelFromId()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var created = await h.CreateInstanceAsync();
        Assert.Equal("linode" + created["id"]!.GetValue<long>(), created["label"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_WithImage_ProvisioningThenBootingThenRunningAndProcessStarted()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Fast, time);
        const string cloudConfig = "#cloud-config\npackages: [nginx]\n";
        var created = await h.CreateInstanceAsync(b =>
        {
            b["type"] = "g6-standard-2";
            b["private_ip"] = true;
            b["metadata"] = new JsonObject { ["user_data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(cloudConfig)) };
        });
        var id = created["id"]!.GetValue<long>();

        var seen = await StepUntilAsync(h, id, "running");

        Assert.Equal(["provisioning", "booting", "running"], seen);
        var spec = Assert.Single(h.Instances.Started);
        Assert.Equal(id, spec.LinodeId);
        Assert.Equal(created["ipv4"]![0]!.GetValue<string>(), spec.Address.ToString());
        Assert.Equal("linode/debian12", spec.Image);
        Assert.Equal(2, spec.Vcpus);
        Assert.Equal(cloudConfig, spec.UserData);
        Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), spec.Environment["LINODE_ID"]);
        Assert.Equal(created["ipv4"]![1]!.GetValue<string>(), spec.Environment["LINODE_PRIVATE_IPV4"]);
        var instance = await h.GetOkAsync($"linode/instances/{id}");
        Assert.True(instance["has_user_data"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Create_BootedFalse_EndsOfflineWithoutProcess()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var created = await h.CreateInstanceAsync(b => b["booted"] = false);
        await h.WaitForStatusAsync(created["id"]!.GetValue<long>(), "offline");
        Assert.Empty(h.Instances.Started);
    }

    [Fact]
    public async Task Create_NoImage_OfflineAndBootRunsWithoutProcess()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var created = await h.PostOkAsync("linode/instances", new JsonObject { ["region"] = "us-west", ["type"] = "g6-standard-1" });
        var id = created["id"]!.GetValue<long>();
        Assert.Null(created["image"]);
        await h.WaitForStatusAsync(id, "offline");

        Assert.Equal("{}", (await h.PostOkAsync($"linode/instances/{id}/boot")).ToJsonString());
        await h.WaitForStatusAsync(id, "running");
        Assert.Empty(h.Instances.Started);
    }

    [Fact]
    public async Task Actions_WhileProvisioning_LinodeBusy()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Fast, time);
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();

        foreach (var action in new[] { "boot", "reboot", "shutdown" })
        {
            var response = await h.SendAsync(HttpMethod.Post, $"linode/instances/{id}/{action}", new JsonObject());
            Assert.Equal(HttpStatusCode.BadRequest, response.Status);
            Assert.Equal("""{"errors":[{"reason":"Linode busy."}]}""", response.Text);
        }
    }

    [Fact]
    public async Task Shutdown_Running_ShuttingDownThenOfflineAndProcessStopped()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Fast, time);
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        await StepUntilAsync(h, id, "running");

        Assert.Equal("{}", (await h.SendAsync(HttpMethod.Post, $"linode/instances/{id}/shutdown")).Ok().ToJsonString());
        Assert.Equal("shutting_down", (await h.GetOkAsync($"linode/instances/{id}"))["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await h.SendAsync(HttpMethod.Post, $"linode/instances/{id}/boot")).Status);

        var seen = await StepUntilAsync(h, id, "offline");
        Assert.Equal(["shutting_down", "offline"], seen);
        Assert.Contains(id, h.Instances.Stopped);
        Assert.DoesNotContain(id, h.Instances.Running);
    }

    [Fact]
    public async Task Boot_Offline_BootingThenRunningWithNewProcess()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Fast, time);
        var id = (await h.CreateInstanceAsync(b => b["booted"] = false))["id"]!.GetValue<long>();
        await StepUntilAsync(h, id, "offline");

        await h.PostOkAsync($"linode/instances/{id}/boot", new JsonObject { ["config_id"] = null });
        var seen = await StepUntilAsync(h, id, "running");

        Assert.Equal(["booting", "running"], seen);
        Assert.Single(h.Instances.Started);
        Assert.Contains(id, h.Instances.Running);
    }

    [Fact]
    public async Task Reboot_Running_RebootingThenRunningWithProcessRestarted()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Fast, time);
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        await StepUntilAsync(h, id, "running");

        await h.PostOkAsync($"linode/instances/{id}/reboot");
        var seen = await StepUntilAsync(h, id, "running");

        Assert.Equal(["rebooting", "running"], seen);
        Assert.Equal(2, h.Instances.Started.Count);
        Assert.Contains(id, h.Instances.Stopped);
        Assert.Contains(id, h.Instances.Running);
    }

    [Fact]
    public async Task BootAndShutdown_NothingToDo_200AndFinishedEvent()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        await h.WaitForStatusAsync(id, "running");
        await EmulatorHarness.EventuallyAsync("idle", async () =>
            (await h.SendAsync(HttpMethod.Post, $"linode/instances/{id}/boot")).Status == HttpStatusCode.OK ? "ok" : null);

        var boots = await h.GetOkAsync("account/events", $$"""{"action":"linode_boot","entity.id":{{id}}}""");
        Assert.All(boots["data"]!.AsArray(), e => Assert.Equal("finished", e!["status"]!.GetValue<string>()));
        Assert.Equal(2, boots["results"]!.GetValue<int>());
        Assert.Single(h.Instances.Started);
    }

    [Fact]
    public async Task Delete_Running_DeletingThen404AndProcessStoppedAndAddressesGone()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Fast, time);
        var created = await h.CreateInstanceAsync(b => b["private_ip"] = true);
        var id = created["id"]!.GetValue<long>();
        await StepUntilAsync(h, id, "running");

        Assert.Equal("{}", (await h.DeleteOkAsync($"linode/instances/{id}")).ToJsonString());
        Assert.Equal("deleting", (await h.GetOkAsync($"linode/instances/{id}"))["status"]!.GetValue<string>());
        Assert.Equal("""{"errors":[{"reason":"Linode busy."}]}""", (await h.SendAsync(HttpMethod.Delete, $"linode/instances/{id}")).Text);

        await EmulatorHarness.EventuallyAsync("instance gone", async () =>
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            return (await h.GetAsync($"linode/instances/{id}")).Status == HttpStatusCode.NotFound ? "gone" : null;
        });
        Assert.Contains(id, h.Instances.Stopped);
        var ips = await h.GetOkAsync("networking/ips");
        Assert.Equal(0, ips["results"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delete_WhileProvisioning_CancelsCreateAndNoProcessLeft()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Fast, time);
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();

        await h.DeleteOkAsync($"linode/instances/{id}");
        await EmulatorHarness.EventuallyAsync("instance gone", async () =>
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            return (await h.GetAsync($"linode/instances/{id}")).Status == HttpStatusCode.NotFound ? "gone" : null;
        });

        Assert.Empty(h.Instances.Running);
        var create = (await h.GetOkAsync("account/events", """{"action":"linode_create"}"""))["data"]![0]!;
        Assert.Equal("failed", create["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_ReleasesAddresses_NextInstanceCanUseThem()
    {
        // A /24 holds 254 usable addresses (.0 and .255 are never handed out). Limits off: filling the pool takes
        // 254 creates in a burst, which Linode's 20 per 15 s would spread over three minutes.
        await using var h = await EmulatorHarness.StartAsync(o =>
        {
            o.InstanceAddressPool = "127.10.7.0/24";
            o.RateLimits.Enabled = false;
        });
        var addresses = new List<string>();
        long firstId = 0;
        for (var i = 0; i < 254; i++)
        {
            var created = await h.CreateInstanceAsync(b => b["booted"] = false);
            firstId = firstId == 0 ? created["id"]!.GetValue<long>() : firstId;
            addresses.Add(created["ipv4"]![0]!.GetValue<string>());
        }
        Assert.Equal(254, addresses.Distinct().Count());
        Assert.DoesNotContain(addresses, a => a.EndsWith(".0", StringComparison.Ordinal) || a.EndsWith(".255", StringComparison.Ordinal));
        var full = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject { ["region"] = "us-east", ["type"] = "g6-nanode-1" });
        Assert.Equal(HttpStatusCode.BadRequest, full.Status);

        await h.WaitForStatusAsync(firstId, "offline");
        await h.DeleteOkAsync($"linode/instances/{firstId}");
        await EmulatorHarness.EventuallyAsync("first instance gone", async () =>
            (await h.GetAsync($"linode/instances/{firstId}")).Status == HttpStatusCode.NotFound ? "gone" : null);

        var reused = await h.CreateInstanceAsync(b => b["booted"] = false);
        Assert.Equal(addresses[0], reused["ipv4"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Put_LabelTagsAlertsWatchdog_UpdatedAndEvent()
    {
        var time = new FakeTimeProvider(Start);
        await using var h = await EmulatorHarness.StartAsync(time: time);
        var id = (await h.CreateInstanceAsync(b => b["tags"] = new JsonArray("a-tag", "b-tag")))["id"]!.GetValue<long>();
        time.Advance(TimeSpan.FromMinutes(5));

        var updated = await h.PutOkAsync($"linode/instances/{id}", new JsonObject
        {
            ["label"] = "renamed.web_1",
            ["tags"] = new JsonArray("c-tag"),
            ["alerts"] = new JsonObject { ["cpu"] = 150 },
            ["watchdog_enabled"] = false,
            ["backups"] = new JsonObject { ["schedule"] = new JsonObject { ["day"] = "Monday", ["window"] = "W10" } },
            ["status"] = "ignored-read-only",
        });

        Assert.Equal("renamed.web_1", updated["label"]!.GetValue<string>());
        Assert.Equal(["c-tag"], updated["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(150, updated["alerts"]!["cpu"]!.GetValue<int>());
        Assert.Equal(10, updated["alerts"]!["network_in"]!.GetValue<int>());
        Assert.False(updated["watchdog_enabled"]!.GetValue<bool>());
        Assert.Equal("Monday", updated["backups"]!["schedule"]!["day"]!.GetValue<string>());
        Assert.Equal("2024-05-01T10:05:00", updated["updated"]!.GetValue<string>());
        Assert.Equal("2024-05-01T10:00:00", updated["created"]!.GetValue<string>());
        var events = await h.GetOkAsync("account/events", $$"""{"action":"linode_update","entity.id":{{id}}}""");
        Assert.Equal(1, events["results"]!.GetValue<int>());
    }

    [Fact]
    public async Task Put_LabelOfAnotherInstance_400LabelUnique()
    {
        await using var h = await EmulatorHarness.StartAsync();
        await h.CreateInstanceAsync(b => b["label"] = "taken");
        var id = (await h.CreateInstanceAsync(b => b["label"] = "free"))["id"]!.GetValue<long>();
        var response = await h.SendAsync(HttpMethod.Put, $"linode/instances/{id}", new JsonObject { ["label"] = "taken" });
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal([("label", "Label must be unique among your linodes")], response.Errors);
    }

    [Fact]
    public async Task Ips_GetAndAllocatePrivate_LinodeShapedAddresses()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var created = await h.CreateInstanceAsync(b => b["region"] = "eu-west");
        var id = created["id"]!.GetValue<long>();

        var ips = await h.GetOkAsync($"linode/instances/{id}/ips");
        var pub = ips["ipv4"]!["public"]![0]!;
        Assert.Equal(created["ipv4"]![0]!.GetValue<string>(), pub["address"]!.GetValue<string>());
        Assert.True(pub["public"]!.GetValue<bool>());
        Assert.Equal(24, pub["prefix"]!.GetValue<int>());
        Assert.Equal("eu-west", pub["region"]!.GetValue<string>());
        Assert.Empty(ips["ipv4"]!["private"]!.AsArray());
        Assert.Equal(created["ipv6"]!.GetValue<string>()[..^4], ips["ipv6"]!["slaac"]!["address"]!.GetValue<string>());
        Assert.StartsWith("fe80::", ips["ipv6"]!["link_local"]!["address"]!.GetValue<string>(), StringComparison.Ordinal);

        var allocated = await h.PostOkAsync($"linode/instances/{id}/ips", new JsonObject { ["type"] = "ipv4", ["public"] = false });
        Assert.True(IPNetwork.Parse("192.168.128.0/17").Contains(IPAddress.Parse(allocated["address"]!.GetValue<string>())));
        Assert.Equal(17, allocated["prefix"]!.GetValue<int>());
        Assert.Equal("255.255.128.0", allocated["subnet_mask"]!.GetValue<string>());
        Assert.Null(allocated["gateway"]);
        Assert.Null(allocated["rdns"]);
        Assert.False(allocated["public"]!.GetValue<bool>());
        Assert.Equal(id, allocated["linode_id"]!.GetValue<long>());

        var instance = await h.GetOkAsync($"linode/instances/{id}");
        Assert.Equal(allocated["address"]!.GetValue<string>(), instance["ipv4"]![1]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await h.SendAsync(HttpMethod.Post, $"linode/instances/{id}/ips", new JsonObject { ["type"] = "ipv4", ["public"] = false })).Status);
        var publicRequest = await h.SendAsync(HttpMethod.Post, $"linode/instances/{id}/ips", new JsonObject { ["type"] = "ipv4", ["public"] = true });
        Assert.Equal(HttpStatusCode.BadRequest, publicRequest.Status);
        var missing = await h.SendAsync(HttpMethod.Post, $"linode/instances/{id}/ips", new JsonObject());
        Assert.Equal([("type", "type is required"), ("public", "public is required")], missing.Errors);
        var addip = await h.GetOkAsync("account/events", """{"action":"linode_addip"}""");
        Assert.Equal(1, addip["results"]!.GetValue<int>());
    }

    [Fact]
    public async Task NetworkingIps_ListsPublicPrivateAndIpv6OfEveryInstance()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var a = await h.CreateInstanceAsync(b => b["private_ip"] = true);
        await h.CreateInstanceAsync(b => b["region"] = "ap-south");

        var all = await h.GetOkAsync("networking/ips");
        Assert.Equal(5, all["results"]!.GetValue<int>());
        var priv = await h.GetOkAsync("networking/ips", """{"prefix":17}""");
        var entry = Assert.Single(priv["data"]!.AsArray())!;
        Assert.Equal(a["ipv4"]![1]!.GetValue<string>(), entry["address"]!.GetValue<string>());
        Assert.False(entry["public"]!.GetValue<bool>());
        var inRegion = await h.GetOkAsync("networking/ips", """{"region":"ap-south"}""");
        Assert.Equal(2, inRegion["results"]!.GetValue<int>());
        var v6 = await h.GetOkAsync("networking/ips", """{"type":"ipv6"}""");
        Assert.Equal(2, v6["results"]!.GetValue<int>());
        var ranges = await h.GetOkAsync("networking/ipv6/ranges", """{"region":"us-east"}""");
        Assert.Equal("""{"data":[],"page":1,"pages":1,"results":0}""", ranges.ToJsonString());
    }

    /// <summary>Advances the fake clock in small steps until the instance shows <paramref name="target"/>, and
    /// returns the statuses seen on the way (consecutive duplicates folded).</summary>
    internal static async Task<List<string>> StepUntilAsync(EmulatorHarness h, long id, string target)
    {
        var seen = new List<string>();
        for (var i = 0; i < 3000; i++)
        {
            var status = (await h.GetOkAsync($"linode/instances/{id}"))["status"]!.GetValue<string>();
            if (seen.Count == 0 || seen[^1] != status)
            {
                seen.Add(status);
            }
            if (status == target)
            {
                return seen;
            }
            h.Time!.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(2);
        }
        throw new TimeoutException($"instance {id} never reached {target}; saw {string.Join(" > ", seen)}");
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Linode.Emulator.Tests.Api;

/// <summary>The endpoints real tools read besides ours (Terraform, linode-cli), and the event details recorded
/// real answers show.</summary>
public sealed class ToolEndpointTests
{
    [Fact]
    public async Task DisksAndConfigs_InstanceFromImage_BootDiskSwapAndOneConfigNamingThem()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var instance = await h.CreateInstanceAsync(b => b["type"] = "g6-standard-2");
        var id = instance["id"]!.GetValue<long>();

        var disks = await h.GetOkAsync($"linode/instances/{id}/disks");
        Assert.Equal(2, disks["results"]!.GetValue<int>());
        var boot = disks["data"]![0]!;
        var swap = disks["data"]![1]!;
        Assert.Equal(("Debian 12 Disk", "ext4"), (boot["label"]!.GetValue<string>(), boot["filesystem"]!.GetValue<string>()));
        Assert.Equal(("swap", 512), (swap["filesystem"]!.GetValue<string>(), swap["size"]!.GetValue<int>()));
        // The two disks fill the plan's disk.
        Assert.Equal(instance["specs"]!["disk"]!.GetValue<int>(), boot["size"]!.GetValue<int>() + swap["size"]!.GetValue<int>());

        var configs = await h.GetOkAsync($"linode/instances/{id}/configs");
        var config = Assert.Single(configs["data"]!.AsArray())!;
        Assert.Equal(boot["id"]!.GetValue<long>(), config["devices"]!["sda"]!["disk_id"]!.GetValue<long>());
        Assert.Equal(swap["id"]!.GetValue<long>(), config["devices"]!["sdb"]!["disk_id"]!.GetValue<long>());
        Assert.Equal("/dev/sda", config["root_device"]!.GetValue<string>());

        var configId = config["id"]!.GetValue<long>();
        Assert.Equal(configId, (await h.GetOkAsync($"linode/instances/{id}/configs/{configId}"))["id"]!.GetValue<long>());
        Assert.Equal(boot["id"]!.GetValue<long>(),
            (await h.GetOkAsync($"linode/instances/{id}/disks/{boot["id"]}"))["id"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync($"linode/instances/{id}/disks/1")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync("linode/instances/999/configs")).Status);
    }

    [Fact]
    public async Task DisksAndConfigs_InstanceWithoutImage_EmptyLists()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var id = (await h.PostOkAsync("linode/instances", new JsonObject { ["region"] = "us-east", ["type"] = "g6-nanode-1" }))["id"]!.GetValue<long>();
        Assert.Equal(0, (await h.GetOkAsync($"linode/instances/{id}/disks"))["results"]!.GetValue<int>());
        Assert.Equal(0, (await h.GetOkAsync($"linode/instances/{id}/configs"))["results"]!.GetValue<int>());
    }

    [Fact]
    public async Task ProfileGrantsUsers_AccountUser_WhatLinodeCliConfigureReads()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.Username = "alice");
        var profile = await h.GetOkAsync("profile");
        Assert.Equal("alice", profile["username"]!.GetValue<string>());
        Assert.False(profile["restricted"]!.GetValue<bool>());

        var grants = await h.GetAsync("profile/grants");
        Assert.Equal(HttpStatusCode.NoContent, grants.Status);
        Assert.Equal("", grants.Text);

        var users = await h.GetOkAsync("account/users");
        Assert.Equal("alice", Assert.Single(users["data"]!.AsArray())!["username"]!.GetValue<string>());
        Assert.Equal("alice", (await h.GetOkAsync("account/users/alice"))["username"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync("account/users/mallory")).Status);
    }

    [Fact]
    public async Task Account_BalanceUninvoiced_ADecimalNumber()
    {
        await using var h = await EmulatorHarness.StartAsync();
        await h.CreateInstanceAsync();
        var account = await h.GetOkAsync("account");
        Assert.Equal(System.Text.Json.JsonValueKind.Number, account["balance_uninvoiced"]!.GetValueKind());
        Assert.True(account["balance_uninvoiced"]!.GetValue<decimal>() > 0);
    }

    [Fact]
    public async Task NodeBalancer_VpcsAndStats_EmptyListAndStatsShape()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var nb = (await h.PostOkAsync("nodebalancers", new JsonObject { ["region"] = "us-east", ["label"] = "web-nb" }))["id"]!.GetValue<long>();
        var vpcs = await h.GetOkAsync($"nodebalancers/{nb}/vpcs");
        Assert.Equal((0, 1), (vpcs["results"]!.GetValue<int>(), vpcs["pages"]!.GetValue<int>()));
        var stats = await h.GetOkAsync($"nodebalancers/{nb}/stats");
        Assert.Contains("web-nb", stats["title"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(stats["data"]!["connections"]!.AsArray());
        Assert.NotNull(stats["data"]!["traffic"]!["in"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync("nodebalancers/1/vpcs")).Status);
    }

    [Fact]
    public async Task Events_BootCarriesItsConfig_FinishedHaveZeroTimeRemaining()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        await h.WaitForStatusAsync(id, "running");
        var configId = (await h.GetOkAsync($"linode/instances/{id}/configs"))["data"]![0]!["id"]!.GetValue<long>();

        var boot = await EmulatorHarness.EventuallyAsync("boot finished", async () =>
        {
            var e = (await h.GetOkAsync("account/events", """{"action":"linode_boot"}"""))["data"]![0]!;
            return e["status"]!.GetValue<string>() == "finished" ? e : null;
        });
        var secondary = boot["secondary_entity"]!;
        Assert.Equal("linode_config", secondary["type"]!.GetValue<string>());
        Assert.Equal(configId.ToString(System.Globalization.CultureInfo.InvariantCulture), secondary["id"]!.ToString());
        Assert.Equal($"/v4/linode/instances/{id}/configs/{configId}", secondary["url"]!.GetValue<string>());
        Assert.Equal(0, boot["time_remaining"]!.GetValue<int>());
    }

    [Fact]
    public async Task Events_OlderThan90Days_Dropped()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var h = await EmulatorHarness.StartAsync(time: time);
        await h.PostOkAsync("tags", new JsonObject { ["label"] = "old-tag" });
        var old = (await h.GetOkAsync("account/events"))["data"]![0]!["id"]!.GetValue<long>();

        time.Advance(TimeSpan.FromDays(89));
        Assert.Equal(1, (await h.GetOkAsync("account/events"))["results"]!.GetValue<int>());

        time.Advance(TimeSpan.FromDays(2));
        await h.PostOkAsync("tags", new JsonObject { ["label"] = "new-tag" });
        var events = await h.GetOkAsync("account/events");
        Assert.Equal("new-tag", Assert.Single(events["data"]!.AsArray())!["entity"]!["label"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await h.GetAsync($"account/events/{old}")).Status);
    }

    [Fact]
    public void RealisticProfile_RecordedTimings_CreateToRunning65sBoot24sShutdown28s()
    {
        var realistic = EmulatorDelays.Realistic;
        Assert.Equal(TimeSpan.FromSeconds(65), realistic.Provisioning + realistic.Booting);
        Assert.Equal(TimeSpan.FromSeconds(24), realistic.Booting);
        Assert.Equal(TimeSpan.FromSeconds(28), realistic.ShuttingDown);
        Assert.Equal(realistic.ShuttingDown + realistic.Booting, realistic.Rebooting);
    }
}

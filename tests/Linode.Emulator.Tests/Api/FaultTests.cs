using System.Net;
using System.Text.Json.Nodes;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Linode.Emulator.Tests.Api;

public sealed class FaultTests
{
    [Fact]
    public async Task Rate429_One_EveryApiCall429WithRetryAfterAndRateLimitHeaders()
    {
        await using var h = await EmulatorHarness.StartAsync(o => { o.Faults.Rate429 = 1; o.Faults.RetryAfterSeconds = 7; });
        var response = await h.GetAsync("linode/instances");
        Assert.Equal(HttpStatusCode.TooManyRequests, response.Status);
        Assert.Equal("""{"errors":[{"reason":"Too many requests"}]}""", response.Text);
        Assert.Equal("7", response.Header("Retry-After"));
        Assert.Equal("0", response.Header("X-RateLimit-Remaining"));
        Assert.Equal("200", response.Header("X-RateLimit-Limit"));
        Assert.NotEmpty(response.Header("X-RateLimit-Reset"));
        Assert.Equal("4.189.0", response.Header("X-Spec-Version"));

        // The emulator's own controls are not subject to faults.
        Assert.Equal(HttpStatusCode.OK, (await h.SendAsync(HttpMethod.Get, "admin/health", api: false)).Status);
    }

    [Fact]
    public async Task Rate500_SetAtRunTime_500ThenClearedBack()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var set = (await h.SendAsync(HttpMethod.Put, "admin/faults", new JsonObject { ["rate_500"] = 1.0 }, api: false)).Ok();
        Assert.Equal(1.0, set["rate_500"]!.GetValue<double>());
        Assert.Equal(0.0, set["rate_429"]!.GetValue<double>());

        var failed = await h.SendAsync(HttpMethod.Post, "linode/instances", new JsonObject { ["region"] = "us-east", ["type"] = "g6-nanode-1" });
        Assert.Equal(HttpStatusCode.InternalServerError, failed.Status);
        Assert.Equal("""{"errors":[{"reason":"Internal server error"}]}""", failed.Text);

        (await h.SendAsync(HttpMethod.Put, "admin/faults", new JsonObject { ["rate_500"] = 0 }, api: false)).Ok();
        Assert.Equal(0, (await h.GetOkAsync("linode/instances"))["results"]!.GetValue<int>());
        Assert.Equal(0.0, (await h.SendAsync(HttpMethod.Get, "admin/faults", api: false)).Ok()["rate_500"]!.GetValue<double>());
    }

    [Fact]
    public async Task PutFaults_BadValues_400EveryFieldAndNothingChanged()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.SendAsync(HttpMethod.Put, "admin/faults", new JsonObject
        {
            ["rate_429"] = 2,
            ["latency_ms"] = -1,
            ["boot_failure_rate"] = "often",
            ["rate_404"] = 0.5,
        }, api: false);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        var fields = response.Errors.Select(e => e.Field).ToList();
        Assert.Contains("rate_429", fields);
        Assert.Contains("latency_ms", fields);
        Assert.Contains("boot_failure_rate", fields);
        Assert.Contains("rate_404", fields);
        Assert.Equal(0.0, (await h.SendAsync(HttpMethod.Get, "admin/faults", api: false)).Ok()["rate_429"]!.GetValue<double>());
    }

    [Fact]
    public async Task Latency_DelaysApiResponsesOnTheEmulatorClock()
    {
        var time = new FakeTimeProvider();
        await using var h = await EmulatorHarness.StartAsync(o => o.Faults.LatencyMs = 60_000, time);
        var pending = h.GetAsync("regions");
        await Task.Delay(100);
        Assert.False(pending.IsCompleted);
        await EmulatorHarness.EventuallyAsync("the delayed response", () =>
        {
            time.Advance(TimeSpan.FromSeconds(30));
            return Task.FromResult(pending.IsCompleted ? "done" : null);
        });
        Assert.Equal(HttpStatusCode.OK, (await pending).Status);
    }

    [Fact]
    public async Task BootFailureRate_One_InstanceOfflineAndBootEventFailed()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.Faults.BootFailureRate = 1);
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();

        var boot = await EmulatorHarness.EventuallyAsync("failed boot event", async () =>
        {
            var e = (await h.GetOkAsync("account/events", $$"""{"action":"linode_boot","entity.id":{{id}}}"""))["data"]![0]!;
            return e["status"]!.GetValue<string>() == "failed" ? e : null;
        });
        Assert.NotEqual("", boot["message"]!.GetValue<string>());
        Assert.Equal("offline", (await h.GetOkAsync($"linode/instances/{id}"))["status"]!.GetValue<string>());
        Assert.Empty(h.Instances.Running);
        var create = (await h.GetOkAsync("account/events", """{"action":"linode_create"}"""))["data"]![0]!;
        Assert.Equal("finished", create["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task StartFailure_InstanceBootException_OfflineAndEventFailed()
    {
        await using var h = await EmulatorHarness.StartAsync();
        h.Instances.FailStart = _ => new InstanceBootException("no such command");
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();

        await EmulatorHarness.EventuallyAsync("failed boot", async () =>
        {
            var e = (await h.GetOkAsync("account/events", """{"action":"linode_boot"}"""))["data"]![0]!;
            return e["status"]!.GetValue<string>() == "failed" ? e : null;
        });
        Assert.Equal("offline", (await h.GetOkAsync($"linode/instances/{id}"))["status"]!.GetValue<string>());

        // The next boot works again.
        h.Instances.FailStart = null;
        await h.PostOkAsync($"linode/instances/{id}/boot");
        await h.WaitForStatusAsync(id, "running");
    }

    [Fact]
    public async Task Kill_RunningInstance_OfflineWithSystemEvent()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        await h.WaitForStatusAsync(id, "running");

        var kill = (await h.SendAsync(HttpMethod.Post, $"admin/instances/{id}/kill", api: false)).Ok();
        Assert.True(kill["killed"]!.GetValue<bool>());

        await h.WaitForStatusAsync(id, "offline");
        var shutdown = (await h.GetOkAsync("account/events", $$"""{"action":"linode_shutdown","entity.id":{{id}}}"""))["data"]![0]!;
        Assert.Equal("finished", shutdown["status"]!.GetValue<string>());
        Assert.Null(shutdown["username"]);
        Assert.False((await h.SendAsync(HttpMethod.Post, $"admin/instances/{id}/kill", api: false)).Ok()["killed"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NotFound, (await h.SendAsync(HttpMethod.Post, "admin/instances/999/kill", api: false)).Status);

        // It can be booted again.
        await h.PostOkAsync($"linode/instances/{id}/boot");
        await h.WaitForStatusAsync(id, "running");
        Assert.Equal(2, h.Instances.Started.Count);
    }

    [Fact]
    public async Task Crash_WhileBooting_BootFails()
    {
        var time = new FakeTimeProvider();
        await using var h = await EmulatorHarness.StartAsync(o => o.Delays = EmulatorDelays.Fast, time);
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        await EmulatorHarness.EventuallyAsync("process started", () =>
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            return h.Instances.Running.Contains(id);
        });
        Assert.Equal("booting", (await h.GetOkAsync($"linode/instances/{id}"))["status"]!.GetValue<string>());

        h.Instances.Crash(id);

        await InstanceLifecycleTests.StepUntilAsync(h, id, "offline");
        var boot = (await h.GetOkAsync("account/events", """{"action":"linode_boot"}"""))["data"]![0]!;
        Assert.Equal("failed", boot["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_ReportsCounts()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var id = (await h.CreateInstanceAsync())["id"]!.GetValue<long>();
        await h.WaitForStatusAsync(id, "running");
        var health = (await h.SendAsync(HttpMethod.Get, "admin/health", api: false)).Ok();
        Assert.Equal("ok", health["status"]!.GetValue<string>());
        Assert.Equal(1, health["instances"]!.GetValue<int>());
        Assert.Equal(1, health["processes"]!.GetValue<int>());
    }
}

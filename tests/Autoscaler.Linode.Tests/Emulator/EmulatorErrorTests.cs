using Autoscaler.Linode.Models;
using Autoscaler.Linode.Tests.Support;

namespace Autoscaler.Linode.Tests.Emulator;

/// <summary>Error paths end to end, with the emulator's own validation and its fault injection.</summary>
public sealed class EmulatorErrorTests
{
    [Fact]
    public async Task CreateAsync_SeveralInvalidFields_ValidationErrorPerField()
    {
        await using var emulator = await TestEmulator.StartAsync();

        var ex = await Assert.ThrowsAsync<LinodeValidationException>(() =>
            emulator.Client.Instances.CreateAsync(new CreateInstanceRequest
            {
                Region = "mars-1",
                Type = "g6-imaginary-9",
                Label = "-bad--label-",
                Image = "linode/debian12",
            }));

        var fields = ex.Errors.Select(e => e.Field).ToHashSet();
        Assert.Superset(new HashSet<string?> { "region", "type", "label", "root_pass" }, fields);
        Assert.Equal(1, ex.Attempts);
        Assert.Contains("region", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCall_WrongToken_ThrowsUnauthorizedWithoutTheToken()
    {
        await using var emulator = await TestEmulator.StartAsync(emulator: o => o.Tokens.Add("the-only-good-token"));

        var ex = await Assert.ThrowsAsync<LinodeUnauthorizedException>(() => emulator.Client.Instances.GetAsync(1));

        Assert.Equal("Invalid Token", Assert.Single(ex.Errors).Reason);
        Assert.Equal(1, ex.Attempts);
        Assert.DoesNotContain(TestClients.Token, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(TestClients.Token, emulator.Logs.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_Missing_ThrowsNotFound()
    {
        await using var emulator = await TestEmulator.StartAsync();

        var ex = await Assert.ThrowsAsync<LinodeNotFoundException>(() => emulator.Client.Instances.GetAsync(987654));

        Assert.Equal("Not found", Assert.Single(ex.Errors).Reason);
        Assert.Equal("/v4/linode/instances/987654", ex.Path);
    }

    [Fact]
    public async Task GetAsync_429ThenCleared_RetriesAfterRetryAfterAndSucceeds()
    {
        await using var emulator = await TestEmulator.StartAsync(client: o => o.MaxRetries = 5);
        await emulator.SetFaultsAsync(rate429: 1.0, retryAfterSeconds: 1);

        var call = emulator.Client.Regions.GetAsync("us-east");
        await TestClients.WaitUntilAsync(() => emulator.Logs.WithEvent(3).Any(), "the first retry to be scheduled");
        await emulator.SetFaultsAsync();
        var region = await call;

        Assert.Equal("us-east", region.Id);
        var retries = emulator.Logs.WithEvent(3).ToList();
        Assert.NotEmpty(retries);
        Assert.All(retries, r =>
        {
            Assert.Equal("429", r.Get<string>("Outcome"));
            Assert.True(r.Get<double>("DelayMs") >= 1000, $"retry delay {r.Get<double>("DelayMs")} ms < Retry-After");
        });
        var attempts = emulator.Logs.WithEvent(1).Where(e => e.Get<string>("Path") == "/v4/regions/us-east").ToList();
        Assert.Equal(429, attempts[0].Get<int>("StatusCode"));
        Assert.Equal(200, attempts[^1].Get<int>("StatusCode"));
        Assert.Equal(retries.Count + 1, attempts.Count);
        Assert.True(attempts[^1].Timestamp - attempts[0].Timestamp >= TimeSpan.FromMilliseconds(950),
            "the retry came before Retry-After");
    }

    [Fact]
    public async Task GetAsync_429Persisting_SurfacesAfterMaxRetriesWithRateLimitInfo()
    {
        await using var emulator = await TestEmulator.StartAsync(client: o => o.MaxRetries = 2);
        await emulator.SetFaultsAsync(rate429: 1.0, retryAfterSeconds: 1);

        var ex = await Assert.ThrowsAsync<LinodeRateLimitedException>(() => emulator.Client.Regions.GetAsync("us-east"));

        Assert.Equal(3, ex.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(1), ex.RetryAfter);
        Assert.Equal(0, ex.RateLimit.Remaining);
        Assert.NotNull(ex.RateLimit.Reset);
        Assert.NotNull(ex.RateLimit.Limit);
        Assert.Equal("Too many requests", Assert.Single(ex.Errors).Reason);
        Assert.All(emulator.Logs.WithEvent(3), r => Assert.True(r.Get<double>("DelayMs") >= 1000));
    }

    [Fact]
    public async Task CreateAsync_429_RetriedBecauseTheApiDidNotAct()
    {
        await using var emulator = await TestEmulator.StartAsync(client: o => o.MaxRetries = 5);
        await emulator.SetFaultsAsync(rate429: 1.0, retryAfterSeconds: 1);

        var call = emulator.CreateInstanceAsync("web-1");
        await TestClients.WaitUntilAsync(() => emulator.Logs.WithEvent(3).Any(), "the create to be retried");
        await emulator.SetFaultsAsync();
        var created = await call;

        Assert.Equal("web-1", created.Label);
        Assert.Single(await emulator.Client.Instances.ListAsync().ToListAsync());
    }

    [Fact]
    public async Task GetAsync_500ThenCleared_RetriedAndSucceeds()
    {
        await using var emulator = await TestEmulator.StartAsync(client: o =>
        {
            o.MaxRetries = 20;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
        });
        await emulator.SetFaultsAsync(rate500: 1.0);

        var call = emulator.Client.Types.GetAsync("g6-nanode-1");
        await TestClients.WaitUntilAsync(() => emulator.Logs.WithEvent(3).Any(), "a retry after the 500");
        await emulator.SetFaultsAsync();
        var type = await call;

        Assert.Equal("g6-nanode-1", type.Id);
        Assert.All(emulator.Logs.WithEvent(3), r => Assert.Equal("500", r.Get<string>("Outcome")));
    }

    [Fact]
    public async Task GetAsync_500Persisting_SurfacesAfterMaxRetries()
    {
        await using var emulator = await TestEmulator.StartAsync(client: o => o.MaxRetries = 3);
        await emulator.SetFaultsAsync(rate500: 1.0);

        var ex = await Assert.ThrowsAsync<LinodeServerException>(() => emulator.Client.Instances.ListAsync().ToListAsync().AsTask());

        Assert.Equal(4, ex.Attempts);
        Assert.Equal(500, (int)ex.StatusCode);
        Assert.False(ex.IsMaintenance);
    }

    [Fact]
    public async Task CreateAsync_500_NotRetried()
    {
        await using var emulator = await TestEmulator.StartAsync(client: o => o.MaxRetries = 5);
        await emulator.SetFaultsAsync(rate500: 1.0);

        var ex = await Assert.ThrowsAsync<LinodeServerException>(() => emulator.CreateInstanceAsync("web-1"));
        await emulator.SetFaultsAsync();

        Assert.Equal(1, ex.Attempts);
        Assert.Empty(emulator.Logs.WithEvent(3));
        Assert.Single(emulator.Logs.WithEvent(5));
        Assert.Single(emulator.Logs.WithEvent(1), e => e.Get<string>("Method") == "POST");
    }

    [Fact]
    public async Task BootAsync_WhileProvisioning_BusyRetriedUntilItBoots()
    {
        await using var emulator = await TestEmulator.StartAsync(client: o =>
        {
            o.MaxRetries = 200;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(100);
        }, emulator: o => o.Delays = new global::Linode.Emulator.EmulatorDelays
        {
            Provisioning = TimeSpan.FromSeconds(2),
            Booting = TimeSpan.FromMilliseconds(100),
        });
        var web = await emulator.CreateInstanceAsync("web-1");

        await emulator.Client.Instances.BootAsync(web.Id);

        await emulator.WaitForStatusAsync(web.Id, InstanceStatus.Running);
        Assert.Contains(emulator.Logs.WithEvent(1), e => e.Get<int>("StatusCode") == 400 &&
                                                        e.Get<string>("Path").EndsWith("/boot", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetAsync_LatencyAboveAttemptTimeout_RetriedThenTimeout()
    {
        await using var emulator = await TestEmulator.StartAsync(client: o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(300);
            o.MaxRetries = 1;
        });
        await emulator.SetFaultsAsync(latencyMs: 5000);

        var ex = await Assert.ThrowsAsync<LinodeTimeoutException>(() => emulator.Client.Regions.GetAsync("us-east"));

        Assert.Equal(2, ex.Attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(300), ex.Timeout);
    }

    [Fact]
    public async Task GetAsync_CanceledDuringLatency_ThrowsOperationCanceled()
    {
        await using var emulator = await TestEmulator.StartAsync();
        await emulator.SetFaultsAsync(latencyMs: 10_000);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            emulator.Client.Instances.ListAsync(cancellationToken: cts.Token).ToListAsync().AsTask());

        Assert.Equal(cts.Token, ex.CancellationToken);
    }
}

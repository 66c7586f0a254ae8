using System.Net;
using Autoscaler.Linode.Http;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace Autoscaler.Linode.Tests.Unit;

public sealed class RateLimitTests
{
    private const string Endpoint = "POST /linode/instances";
    private static readonly DateTimeOffset Start = new(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Gate_OneEndpointExhausted_OthersStayOpen()
    {
        var gate = new RateLimitGate(new FakeTimeProvider(Start), TimeSpan.FromMinutes(5));
        gate.Observe(Endpoint, new RateLimitInfo(10, 0, Start.AddSeconds(30), null), 200);
        Assert.Equal(TimeSpan.FromSeconds(30), gate.DelayFor(Endpoint));
        Assert.Equal(TimeSpan.Zero, gate.DelayFor("GET /linode/instances"));
    }

    [Fact]
    public void Gate_RemainingZero_BlocksUntilReset()
    {
        var time = new FakeTimeProvider(Start);
        var gate = new RateLimitGate(time, TimeSpan.FromMinutes(5));
        gate.Observe(Endpoint, new RateLimitInfo(800, 0, Start.AddSeconds(20), null), 200);
        Assert.Equal(TimeSpan.FromSeconds(20), gate.DelayFor(Endpoint));
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(TimeSpan.FromSeconds(5), gate.DelayFor(Endpoint));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.Zero, gate.DelayFor(Endpoint));
    }

    [Fact]
    public void Gate_RemainingPositive_StaysOpen()
    {
        var gate = new RateLimitGate(new FakeTimeProvider(Start), TimeSpan.FromMinutes(5));
        gate.Observe(Endpoint, new RateLimitInfo(800, 3, Start.AddSeconds(20), null), 200);
        Assert.Equal(TimeSpan.Zero, gate.DelayFor(Endpoint));
    }

    [Fact]
    public void Gate_FarReset_IsCapped()
    {
        var gate = new RateLimitGate(new FakeTimeProvider(Start), TimeSpan.FromSeconds(30));
        gate.Observe(Endpoint, new RateLimitInfo(800, 0, Start.AddHours(1), null), 200);
        Assert.Equal(TimeSpan.FromSeconds(30), gate.DelayFor(Endpoint));
    }

    [Fact]
    public void Gate_429WithRetryAfter_BlocksOtherRequests()
    {
        var gate = new RateLimitGate(new FakeTimeProvider(Start), TimeSpan.FromSeconds(30));
        gate.Observe(Endpoint, new RateLimitInfo(null, null, null, TimeSpan.FromSeconds(3)), 429);
        Assert.Equal(TimeSpan.FromSeconds(3), gate.DelayFor(Endpoint));
    }

    [Fact]
    public void Gate_EarlierResetAfterLater_KeepsLater()
    {
        var gate = new RateLimitGate(new FakeTimeProvider(Start), TimeSpan.FromMinutes(5));
        gate.Observe(Endpoint, new RateLimitInfo(800, 0, Start.AddSeconds(40), null), 200);
        gate.Observe(Endpoint, new RateLimitInfo(800, 0, Start.AddSeconds(10), null), 200);
        Assert.Equal(TimeSpan.FromSeconds(40), gate.DelayFor(Endpoint));
    }

    [Theory]
    [InlineData(5, 30, 5)]
    [InlineData(120, 30, 30)]
    [InlineData(0, 30, 0)]
    public void RetryAfterDelay_429_HonouredAndCapped(int retryAfter, int cap, int expected)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.Add("Retry-After", retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TimeSpan.FromSeconds(expected),
            LinodeResilience.RetryAfterDelay(Outcome.FromResult(response), Start, TimeSpan.FromSeconds(cap)));
    }

    [Fact]
    public void RetryAfterDelay_429WithOnlyReset_WaitsUntilReset()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.Add("X-RateLimit-Reset", Start.AddSeconds(8).ToUnixTimeSeconds().ToString(
            System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TimeSpan.FromSeconds(8),
            LinodeResilience.RetryAfterDelay(Outcome.FromResult(response), Start, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void RetryAfterDelay_Not429_UsesBackoff()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.InternalServerError);
        response.Headers.Add("Retry-After", "5");
        Assert.Null(LinodeResilience.RetryAfterDelay(Outcome.FromResult(response), Start, TimeSpan.FromSeconds(30)));
    }
}

using System.Globalization;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Autoscaler.Linode.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>The create limiter follows the limit the API announces (Linode now: 20 per 15 s), on one fake clock
/// shared by a loopback stub that counts fixed windows as the API does.</summary>
public sealed class AnnouncedRateLimitTests
{
    private const string InstanceJson = """{"id":7,"label":"web-1","status":"provisioning","type":"g6-nanode-1","region":"us-east","ipv4":["127.10.0.7"],"tags":[]}""";

    [Fact]
    public async Task Creates_BurstOf25Announced20Per15s_PacedWithNo429()
    {
        await using var rig = await Rig.StartAsync(limit: 20, window: TimeSpan.FromSeconds(15));
        // Built with the 4.176 spec's older numbers: the announced bucket must win.
        var limiter = new InstanceCreateRateLimiter(rig.Time, limit: 10, window: TimeSpan.FromSeconds(30), announced: rig.Client.RateLimits);
        var start = rig.Time.GetUtcNow();

        await rig.CreateAsync(limiter, count: 25);

        var api = rig.Api;
        Assert.Equal(0, api.Refused);
        Assert.Equal(25, api.Served.Count);
        Assert.Equal(20, limiter.Limit);
        Assert.Equal(TimeSpan.FromSeconds(15), limiter.Window);
        Assert.Equal(20, api.Served.Count(t => t < start + TimeSpan.FromSeconds(15)));
        Assert.True(api.Served.Max() - start <= TimeSpan.FromSeconds(16), $"the last create went at +{api.Served.Max() - start}");
    }

    [Fact]
    public async Task Creates_AnnouncedLimitSmallerThanAssumed_FirstAnswerLearnedBeforeTheBurst()
    {
        await using var rig = await Rig.StartAsync(limit: 4, window: TimeSpan.FromSeconds(15));
        var limiter = new InstanceCreateRateLimiter(rig.Time, announced: rig.Client.RateLimits);

        await rig.CreateAsync(limiter, count: 10);

        Assert.Equal(0, rig.Api.Refused);
        Assert.Equal(10, rig.Api.Served.Count);
        Assert.Equal(4, limiter.Limit);
    }

    /// <summary>A fixed-window stub and a client calling it, on one fake clock.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly StubServer _stub;

        private Rig(FakeTimeProvider time, FixedWindowApi api, StubServer stub)
        {
            Time = time;
            Api = api;
            _stub = stub;
            Client = TestClients.Create(stub.ApiUrl, time: time);
        }

        public FakeTimeProvider Time { get; }

        public FixedWindowApi Api { get; }

        public StandaloneLinodeClient Client { get; }

        public static async Task<Rig> StartAsync(int limit, TimeSpan window)
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 10, 0, 0, TimeSpan.Zero));
            var api = new FixedWindowApi(time, limit, window);
            return new Rig(time, api, await StubServer.StartAsync(api.HandleAsync));
        }

        /// <summary>Sends <paramref name="count"/> creates at once, each through <paramref name="limiter"/>, and moves
        /// the clock until every one is answered.</summary>
        public async Task CreateAsync(InstanceCreateRateLimiter limiter, int count)
        {
            var creates = Enumerable.Range(0, count).Select(async i =>
            {
                await limiter.AcquireAsync(CancellationToken.None);
                return await Client.Instances.CreateAsync(new CreateInstanceRequest { Region = "us-east", Type = "g6-nanode-1", Label = $"web-{i}" });
            }).ToList();
            await AdvanceWhileWaitingAsync(creates, limiter);
            await Task.WhenAll(creates);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _stub.DisposeAsync();
        }

        // Advances the clock one second at a time, only while every unfinished create waits in the limiter and nothing
        // is in flight (so no request's timeout ever sees time jump).
        private async Task AdvanceWhileWaitingAsync(List<Task<Instance>> creates, InstanceCreateRateLimiter limiter)
        {
            for (var step = 0; step < 600 && !creates.All(c => c.IsCompleted); step++)
            {
                await TestClients.WaitUntilAsync(() => creates.All(c => c.IsCompleted)
                    || (Api.InFlight == 0 && creates.Count(c => c.IsCompleted) + limiter.Pending == creates.Count),
                    "every unfinished create waiting in the limiter");
                if (creates.All(c => c.IsCompleted))
                {
                    break;
                }

                Time.Advance(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>Linode-like fixed windows starting at the first request, announced in every answer.</summary>
    private sealed class FixedWindowApi(TimeProvider time, int limit, TimeSpan window)
    {
        private readonly Lock _lock = new();
        private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
        private int _used;
        private int _inFlight;

        public List<DateTimeOffset> Served { get; } = [];

        public int Refused { get; private set; }

        public int InFlight => Volatile.Read(ref _inFlight);

        public async Task HandleAsync(HttpContext context, int _)
        {
            Interlocked.Increment(ref _inFlight);
            try
            {
                int remaining;
                DateTimeOffset reset;
                bool refused;
                lock (_lock)
                {
                    var now = time.GetUtcNow();
                    if (now >= _windowStart + window)
                    {
                        _windowStart = now;
                        _used = 0;
                    }

                    refused = _used >= limit;
                    if (refused)
                    {
                        Refused++;
                    }
                    else
                    {
                        _used++;
                        Served.Add(now);
                    }

                    remaining = limit - _used;
                    reset = _windowStart + window;
                }

                context.Response.Headers["X-RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["X-RateLimit-Reset"] = reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                if (refused)
                {
                    context.Response.Headers.RetryAfter = Math.Ceiling((reset - time.GetUtcNow()).TotalSeconds).ToString(CultureInfo.InvariantCulture);
                    await StubServer.Json(context, 429, """{"errors":[{"reason":"Too many requests"}]}""");
                    return;
                }

                await StubServer.Json(context, 200, InstanceJson);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }
}

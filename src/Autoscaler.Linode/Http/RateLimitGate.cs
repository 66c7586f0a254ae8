using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Polly;

namespace Autoscaler.Linode.Http;

/// <summary>Client-side gate: once a response says a rate-limit window is used up (<c>X-RateLimit-Remaining: 0</c>) or
/// a 429 names a <c>Retry-After</c>, later requests to the same endpoint wait until the window resets instead of
/// spending attempts on certain 429s.</summary>
/// <remarks>Kept per endpoint template because the API's windows differ by operation (creating instances has a
/// window of its own, far smaller than the general one): an exhausted create window must not stall every GET.</remarks>
internal sealed class RateLimitGate(TimeProvider timeProvider, TimeSpan maxWait)
{
    private readonly ConcurrentDictionary<string, long> _blockedUntilUtcTicks = new(StringComparer.Ordinal);

    /// <summary>What the API announced per bucket (the create limiter paces by it; /metrics shows it).</summary>
    public RateLimitBuckets Buckets { get; } = new();

    /// <summary>How long a request to <paramref name="endpoint"/> starting now must wait (zero when open), capped.</summary>
    public TimeSpan DelayFor(string endpoint)
    {
        if (!_blockedUntilUtcTicks.TryGetValue(endpoint, out var until))
        {
            return TimeSpan.Zero;
        }

        var remaining = new DateTimeOffset(until, TimeSpan.Zero) - timeProvider.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            _blockedUntilUtcTicks.TryRemove(KeyValuePair.Create(endpoint, until));
            return TimeSpan.Zero;
        }

        return remaining > maxWait ? maxWait : remaining;
    }

    /// <summary>Learns from the rate-limit headers of a response to <paramref name="endpoint"/>.</summary>
    public void Observe(string endpoint, RateLimitInfo info, int statusCode)
    {
        ArgumentNullException.ThrowIfNull(info);
        var now = timeProvider.GetUtcNow();
        Buckets.Observe(endpoint, info, now);
        if (info.Remaining is <= 0 && info.Reset is { } reset && reset > now)
        {
            BlockUntil(endpoint, reset);
        }

        if (statusCode == 429 && info.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero)
        {
            BlockUntil(endpoint, now + retryAfter);
        }
    }

    private void BlockUntil(string endpoint, DateTimeOffset until) =>
        _blockedUntilUtcTicks.AddOrUpdate(endpoint, until.UtcTicks, (_, current) => Math.Max(current, until.UtcTicks));
}

/// <summary>Polly strategy that waits at the gate before each attempt and feeds the gate each attempt's headers.
/// It sits inside the retry (so every attempt waits) and outside the attempt timeout (so waiting is not mistaken
/// for a slow server).</summary>
internal sealed class RateLimitGateStrategy(RateLimitGate gate, TimeProvider timeProvider, ILogger logger)
    : ResilienceStrategy<HttpResponseMessage>
{
    protected override async ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback,
        ResilienceContext context,
        TState state)
    {
        var request = context.GetRequestMessage();
        var endpoint = LinodeRequestContext.Of(request)?.Endpoint ?? "unknown";
        var delay = gate.DelayFor(endpoint);
        if (delay > TimeSpan.Zero)
        {
            Log.RateLimitWait(logger, delay.TotalMilliseconds, request?.Method.Method ?? "?",
                request?.RequestUri?.AbsolutePath ?? "?");
            try
            {
                await Task.Delay(delay, timeProvider, context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
            }
            catch (OperationCanceledException ex)
            {
                return Outcome.FromException<HttpResponseMessage>(ex);
            }
        }

        var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        if (outcome.Result is { } response)
        {
            gate.Observe(endpoint, RateLimitInfo.From(response.Headers, timeProvider.GetUtcNow()), (int)response.StatusCode);
        }

        return outcome;
    }
}

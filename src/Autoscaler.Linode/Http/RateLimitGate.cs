using Microsoft.Extensions.Logging;
using Polly;

namespace Autoscaler.Linode.Http;

/// <summary>Client-side gate: once a response says the window is used up (<c>X-RateLimit-Remaining: 0</c>) or a 429
/// names a <c>Retry-After</c>, later requests of this client wait until the window resets instead of spending
/// attempts on certain 429s.</summary>
internal sealed class RateLimitGate(TimeProvider timeProvider, TimeSpan maxWait)
{
    private long _blockedUntilUtcTicks;

    /// <summary>How long a request starting now must wait (zero when the gate is open), capped at the maximum.</summary>
    public TimeSpan CurrentDelay
    {
        get
        {
            var until = Interlocked.Read(ref _blockedUntilUtcTicks);
            if (until == 0)
            {
                return TimeSpan.Zero;
            }

            var remaining = new DateTimeOffset(until, TimeSpan.Zero) - timeProvider.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return TimeSpan.Zero;
            }

            return remaining > maxWait ? maxWait : remaining;
        }
    }

    /// <summary>Learns from a response's rate-limit headers.</summary>
    public void Observe(RateLimitInfo info, int statusCode)
    {
        ArgumentNullException.ThrowIfNull(info);
        var now = timeProvider.GetUtcNow();
        if (info.Remaining is <= 0 && info.Reset is { } reset && reset > now)
        {
            BlockUntil(reset);
        }

        if (statusCode == 429 && info.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero)
        {
            BlockUntil(now + retryAfter);
        }
    }

    private void BlockUntil(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        var current = Interlocked.Read(ref _blockedUntilUtcTicks);
        while (ticks > current)
        {
            var seen = Interlocked.CompareExchange(ref _blockedUntilUtcTicks, ticks, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
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
        var delay = gate.CurrentDelay;
        if (delay > TimeSpan.Zero)
        {
            var request = context.GetRequestMessage();
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
            gate.Observe(RateLimitInfo.From(response.Headers, timeProvider.GetUtcNow()), (int)response.StatusCode);
        }

        return outcome;
    }
}

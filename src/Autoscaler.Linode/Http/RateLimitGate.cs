using Microsoft.Extensions.Logging;
using Polly;

namespace Autoscaler.Linode.Http;

/// <summary>The client's side of Linode's rate limits: what the API announced per endpoint (<see cref="Buckets"/>) and
/// the budget per published bucket (<see cref="Budget"/>), which paces every attempt before it is sent. Once a response
/// says a bucket's window is used up (<c>X-RateLimit-Remaining: 0</c>) or a 429 names a <c>Retry-After</c>, later
/// requests of that bucket wait until the window resets instead of spending attempts on certain 429s.</summary>
/// <remarks>Kept per bucket because the API's windows differ by kind of operation (creating instances has a window of
/// its own, far smaller than the general one): an exhausted create window must not stall every GET.</remarks>
internal sealed class RateLimitGate
{
    private readonly TimeProvider _timeProvider;

    public RateLimitGate(TimeProvider timeProvider, TimeSpan maxWait)
    {
        _timeProvider = timeProvider;
        Budget = new LinodeApiBudget(timeProvider, maxWait, Buckets);
    }

    /// <summary>What the API announced per endpoint template (the create limiter paces by it; /metrics shows it).</summary>
    public RateLimitBuckets Buckets { get; } = new();

    /// <summary>The budget per published bucket, shared by every request of the client.</summary>
    public LinodeApiBudget Budget { get; }

    /// <summary>How long a request to <paramref name="endpoint"/> starting now must wait for what the API announced
    /// (zero when open), capped.</summary>
    public TimeSpan DelayFor(string endpoint) => Budget.BlockedFor(LinodeApiBudget.BucketOf(endpoint));

    /// <summary>Waits until the request fits its bucket (writes before reads); returns how long it waited.</summary>
    public ValueTask<TimeSpan> AcquireAsync(string endpoint, bool? paginated, CancellationToken cancellationToken) =>
        Budget.AcquireAsync(LinodeApiBudget.BucketOf(endpoint, paginated), !endpoint.StartsWith("GET ", StringComparison.Ordinal), cancellationToken);

    /// <summary>Learns from the rate-limit headers of a response to <paramref name="endpoint"/>.</summary>
    public void Observe(string endpoint, RateLimitInfo info, int statusCode, bool? paginated = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        Buckets.Observe(endpoint, info, _timeProvider.GetUtcNow());
        Budget.Observe(LinodeApiBudget.BucketOf(endpoint, paginated), info, statusCode);
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
        var request = context.GetRequestMessage();
        var requestContext = LinodeRequestContext.Of(request);
        var endpoint = requestContext?.Endpoint ?? "unknown";
        var paginated = requestContext?.Paginated;
        try
        {
            // A window the API said is spent is told before the wait; pacing by our own count after it.
            var blocked = gate.DelayFor(endpoint);
            if (blocked > TimeSpan.Zero)
            {
                Log.RateLimitWait(logger, blocked.TotalMilliseconds, request?.Method.Method ?? "?",
                    request?.RequestUri?.AbsolutePath ?? "?");
            }

            var waited = await gate.AcquireAsync(endpoint, paginated, context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
            if (waited > TimeSpan.Zero && blocked == TimeSpan.Zero)
            {
                Log.BudgetWait(logger, waited.TotalMilliseconds, request?.Method.Method ?? "?",
                    request?.RequestUri?.AbsolutePath ?? "?");
            }
        }
        catch (OperationCanceledException ex)
        {
            return Outcome.FromException<HttpResponseMessage>(ex);
        }

        var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        if (outcome.Result is { } response)
        {
            gate.Observe(endpoint, RateLimitInfo.From(response.Headers, timeProvider.GetUtcNow()), (int)response.StatusCode, paginated);
        }

        return outcome;
    }
}

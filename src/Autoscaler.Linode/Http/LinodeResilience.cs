using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Autoscaler.Linode.Http;

/// <summary>The resilience pipeline of every Linode request, outermost first:
/// total timeout → retry → rate-limit gate → per-attempt timeout.</summary>
/// <remarks>What is retried, and why:
/// <list type="bullet">
/// <item>429 always, after <c>Retry-After</c> (capped): the API did not act.</item>
/// <item>400 "Linode busy." always, with backoff: the API refused to start a conflicting job.</item>
/// <item>408 always: the server gave up before reading the request.</item>
/// <item>5xx (except maintenance 503), per-attempt timeouts and lost connections only for requests that are safe to
/// repeat. A create whose answer was lost may have succeeded; sending it again could leak a second instance.</item>
/// <item>Connection failures that happen before anything is sent (DNS, refused) for every request.</item>
/// </list></remarks>
internal static class LinodeResilience
{
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, LinodeClientOptions options,
        RateLimitGate gate, LinodeClientMetrics metrics, ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);

        builder.TimeProvider = timeProvider;
        builder.AddTimeout(new TimeoutStrategyOptions { Name = "linode-total-timeout", Timeout = options.TotalTimeout });

        if (options.MaxRetries > 0)
        {
            var maxRetryAfter = options.MaxRetryAfter;
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                Name = "linode-retry",
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = args => ShouldRetryAsync(args.Outcome, args.Context, logger),
                DelayGenerator = args => new ValueTask<TimeSpan?>(
                    RetryAfterDelay(args.Outcome, timeProvider.GetUtcNow(), maxRetryAfter)),
                OnRetry = args =>
                {
                    var request = args.Context.GetRequestMessage();
                    var endpoint = LinodeRequestContext.Of(request)?.Endpoint ?? "unknown";
                    var outcome = Describe(args.Outcome);
                    metrics.RecordRetry(endpoint, outcome);
                    Log.Retrying(logger, request?.Method.Method ?? "?", request?.RequestUri?.AbsolutePath ?? "?",
                        args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, outcome);
                    return default;
                },
            });
        }

        builder.AddStrategy(_ => new RateLimitGateStrategy(gate, timeProvider, logger));
        builder.AddTimeout(new TimeoutStrategyOptions { Name = "linode-attempt-timeout", Timeout = options.AttemptTimeout });
    }

    /// <summary>The delay a 429 asks for (<c>Retry-After</c>, else until <c>X-RateLimit-Reset</c>), capped;
    /// null means "use the exponential backoff".</summary>
    internal static TimeSpan? RetryAfterDelay(Outcome<HttpResponseMessage> outcome, DateTimeOffset now, TimeSpan cap)
    {
        if (outcome.Result is not { StatusCode: HttpStatusCode.TooManyRequests } response)
        {
            return null;
        }

        var info = RateLimitInfo.From(response.Headers, now);
        var wanted = info.RetryAfter ?? (info.Reset is { } reset && reset > now ? reset - now : null);
        if (wanted is not { } delay)
        {
            return null;
        }

        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > cap ? cap : delay;
    }

    internal static async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome,
        ResilienceContext context, ILogger logger)
    {
        var request = context.GetRequestMessage();
        var idempotent = LinodeRequestContext.Of(request)?.Idempotent
                         ?? (request is null || (request.Method != HttpMethod.Post && request.Method != HttpMethod.Patch));

        if (outcome.Exception is { } exception)
        {
            return exception switch
            {
                TimeoutRejectedException => idempotent,
                HttpRequestException http => idempotent || NothingWasSent(http),
                _ => false,
            };
        }

        if (outcome.Result is not { } response)
        {
            return false;
        }

        var status = (int)response.StatusCode;
        switch (status)
        {
            case 429:
            case 408:
                return true;
            case 400:
                return await IsBusyAsync(response, context.CancellationToken).ConfigureAwait(false);
            case 503 when response.Headers.Contains("X-Maintenance-Mode"):
                return false;
            case >= 500 and < 600:
                if (!idempotent && request is not null)
                {
                    Log.NotRetriedUnsafe(logger, request.Method.Method, request.RequestUri?.AbsolutePath ?? "?",
                        response.StatusCode);
                }

                return idempotent;
            default:
                return false;
        }
    }

    private static bool NothingWasSent(HttpRequestException exception) =>
        exception.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError;

    private static async Task<bool> IsBusyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            // Buffered, so the client can read the same body again when the retries run out.
            await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return LinodeErrorBody.IsBusy(LinodeErrorBody.Parse(body, response.StatusCode,
                response.Content.Headers.ContentType?.MediaType));
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static string Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception switch
        {
            TimeoutRejectedException => "timeout",
            HttpRequestException => "transport",
            { } other => other.GetType().Name,
            null => ((int?)outcome.Result?.StatusCode)?.ToString(CultureInfo.InvariantCulture) ?? "none",
        };
}

using System.Collections.Concurrent;

namespace Autoscaler.Linode;

/// <summary>What the API last announced about one rate-limit bucket (an endpoint template's window).</summary>
/// <param name="Limit"><c>X-RateLimit-Limit</c>: requests the window allows.</param>
/// <param name="Remaining"><c>X-RateLimit-Remaining</c> when observed.</param>
/// <param name="Reset">When the window resets (<c>X-RateLimit-Reset</c>), if announced.</param>
/// <param name="Window">The window's length, inferred from an answer that opened a window (remaining = limit − 1:
/// the reset is then one window away); null until such an answer came.</param>
/// <param name="ObservedAt">When the answer came.</param>
public sealed record RateLimitBucket(int Limit, int? Remaining, DateTimeOffset? Reset, TimeSpan? Window,
    DateTimeOffset ObservedAt);

/// <summary>The rate-limit buckets a client has seen, by endpoint template (e.g. <c>POST /linode/instances</c>), from
/// each answer's <c>X-RateLimit-*</c> headers. Linode's limits change (10 per 30 s on creates became 20 per 15 s), so
/// pacing follows what the API announces instead of a number compiled in.</summary>
public sealed class RateLimitBuckets
{
    private static readonly TimeSpan MaxWindow = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, RateLimitBucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Raised after a bucket changed (endpoint template, new state).</summary>
    public event Action<string, RateLimitBucket>? Observed;

    /// <summary>Raised for every answer (endpoint template), with or without rate-limit headers.</summary>
    public event Action<string>? Answered;

    /// <summary>Every bucket seen, by endpoint template.</summary>
    public IReadOnlyDictionary<string, RateLimitBucket> Snapshot() =>
        new Dictionary<string, RateLimitBucket>(_buckets, StringComparer.Ordinal);

    /// <summary>The bucket of <paramref name="endpoint"/>, or null when no answer announced one.</summary>
    public RateLimitBucket? Get(string endpoint) => _buckets.GetValueOrDefault(endpoint);

    /// <summary>Learns from one answer's headers; answers without <c>X-RateLimit-Limit</c> change nothing.</summary>
    public void Observe(string endpoint, RateLimitInfo info, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.Limit is not { } limit || limit <= 0)
        {
            Answered?.Invoke(endpoint);
            return;
        }

        var bucket = _buckets.AddOrUpdate(endpoint,
            _ => new RateLimitBucket(limit, info.Remaining, info.Reset, InferWindow(info, limit, now), now),
            (_, old) => new RateLimitBucket(limit, info.Remaining, info.Reset,
                InferWindow(info, limit, now) ?? (old.Limit == limit ? old.Window : null), now));
        Observed?.Invoke(endpoint, bucket);
        Answered?.Invoke(endpoint);
    }

    // Reset is in whole epoch seconds: rounding the distance up never makes the window shorter than the server's.
    private static TimeSpan? InferWindow(RateLimitInfo info, int limit, DateTimeOffset now)
    {
        if (info.Remaining != limit - 1 || info.Reset is not { } reset || reset <= now)
        {
            return null;
        }

        var seconds = Math.Ceiling((reset - now).TotalSeconds);
        var window = TimeSpan.FromSeconds(seconds);
        return window > MaxWindow ? MaxWindow : window;
    }
}

using System.Globalization;
using System.Net.Http.Headers;

namespace Autoscaler.Linode;

/// <summary>The rate-limit headers of a response; each is null when absent or unreadable.</summary>
/// <param name="Limit"><c>X-RateLimit-Limit</c>: requests allowed in the window.</param>
/// <param name="Remaining"><c>X-RateLimit-Remaining</c>.</param>
/// <param name="Reset"><c>X-RateLimit-Reset</c> (UTC epoch seconds): when the window resets.</param>
/// <param name="RetryAfter"><c>Retry-After</c>, as a delay.</param>
public sealed record RateLimitInfo(int? Limit, int? Remaining, DateTimeOffset? Reset, TimeSpan? RetryAfter)
{
    public static RateLimitInfo None { get; } = new(null, null, null, null);

    /// <summary>Reads the headers; <paramref name="now"/> turns a date-valued Retry-After into a delay.</summary>
    public static RateLimitInfo From(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var limit = ReadInt(headers, "X-RateLimit-Limit");
        var remaining = ReadInt(headers, "X-RateLimit-Remaining");
        var resetSeconds = ReadLong(headers, "X-RateLimit-Reset");
        DateTimeOffset? reset = resetSeconds is { } s && s is > 0 and < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(s)
            : null;

        TimeSpan? retryAfter = null;
        if (headers.RetryAfter is { } header)
        {
            if (header.Delta is { } delta)
            {
                retryAfter = delta;
            }
            else if (header.Date is { } date)
            {
                retryAfter = date > now ? date - now : TimeSpan.Zero;
            }
        }
        else if (ReadLong(headers, "Retry-After") is { } seconds && seconds >= 0)
        {
            retryAfter = TimeSpan.FromSeconds(seconds);
        }

        return limit is null && remaining is null && reset is null && retryAfter is null
            ? None
            : new RateLimitInfo(limit, remaining, reset, retryAfter);
    }

    private static int? ReadInt(HttpResponseHeaders headers, string name) =>
        ReadLong(headers, name) is { } value and >= int.MinValue and <= int.MaxValue ? (int)value : null;

    private static long? ReadLong(HttpResponseHeaders headers, string name)
    {
        if (!headers.TryGetValues(name, out var values))
        {
            return null;
        }

        var first = values.FirstOrDefault()?.Trim();
        if (long.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
        {
            return whole;
        }

        // Some proxies write fractional seconds.
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var fractional)
            && double.IsFinite(fractional)
            ? (long)Math.Ceiling(fractional)
            : null;
    }
}

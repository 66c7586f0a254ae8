namespace Linode.Emulator.Faults;

/// <summary>Fixed-window counters per owner and bucket, like Linode's published limits (see
/// <see cref="EmulatorRateLimits"/>): the numbers behind the X-RateLimit-* headers, and the 429s.</summary>
internal sealed class RateLimiter(EmulatorRateLimits limits, TimeProvider time)
{
    // GETs whose path ends in a literal segment but that answer one object, not a page of a collection.
    private static readonly HashSet<string> SingleObjectGets = new(StringComparer.Ordinal)
    {
        "/account", "/account/settings", "/profile", "/profile/grants", "/linode/instances/{linodeId}/ips",
        "/networking/firewalls/{firewallId}/rules", "/networking/firewalls/settings",
    };

    // GETs whose path ends in a parameter but that answer a page: the objects that carry a tag.
    private static readonly HashSet<string> PaginatedById = new(StringComparer.Ordinal) { "/tags/{tagLabel}" };

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Caller, RateBucket Bucket), Window> _windows = [];

    public bool Enforced => limits.Enabled;

    /// <summary>The bucket of an operation, from its method and route pattern (without the /v4 prefix).</summary>
    public static RateBucket BucketOf(string method, string pattern)
    {
        if (method == "POST" && pattern == "/linode/instances")
        {
            return RateBucket.CreateInstance;
        }
        if (method != "GET")
        {
            return RateBucket.General;
        }
        if (pattern == "/images")
        {
            return RateBucket.Images;
        }
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Contains("stats"))
        {
            return RateBucket.Stats;
        }
        // A collection's path ends in its (literal) name; one object's path ends in its {id}.
        return PaginatedById.Contains(pattern)
            || (segments.Length > 0 && !segments[^1].StartsWith('{') && !SingleObjectGets.Contains(pattern))
            ? RateBucket.Paginated
            : RateBucket.General;
    }

    /// <summary>The published limit of a bucket.</summary>
    public int LimitOf(RateBucket bucket) => limits.Bucket(bucket).Limit;

    /// <summary>Counts the request against its bucket and says where the caller stands.</summary>
    public Verdict Count(string caller, RateBucket bucket)
    {
        var (limit, length) = limits.Bucket(bucket);
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_windows.TryGetValue((caller, bucket), out var window) || now >= window.Reset)
            {
                window = new Window(now + length);
                _windows[(caller, bucket)] = window;
                if (_windows.Count > 10_000)
                {
                    // Forget expired windows now and then so many throwaway callers cannot grow the table forever.
                    foreach (var expired in _windows.Where(w => now >= w.Value.Reset).Select(w => w.Key).ToList())
                    {
                        _windows.Remove(expired);
                    }
                }
            }
            window.Used++;
            var remaining = Math.Max(0, limit - window.Used);
            return new Verdict(limit, remaining, window.Reset, window.Used > limit, window.Reset - now);
        }
    }

    private sealed class Window(DateTimeOffset reset)
    {
        public DateTimeOffset Reset { get; } = reset;

        public int Used { get; set; }
    }

    public readonly record struct Verdict(int Limit, int Remaining, DateTimeOffset Reset, bool Exceeded, TimeSpan RetryAfter);
}

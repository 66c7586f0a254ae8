using System.Collections.Concurrent;
using Autoscaler.Linode.Provider;

namespace Autoscaler.Linode;

/// <summary>One published rate-limit bucket of the Linode API and how much of it the client uses.</summary>
/// <param name="Bucket"><c>create</c>, <c>paginated</c>, <c>images</c>, <c>stats</c> or <c>general</c>.</param>
/// <param name="Limit">Requests per window: what the API last announced (<c>X-RateLimit-Limit</c>), else the published figure.</param>
/// <param name="Window">The window: as a fresh one was announced (remaining = limit − 1, reset one window away), else the published one.</param>
/// <param name="Used">Our requests in the last window.</param>
/// <param name="Remaining">What the API last announced as left in its current window (less our requests since), if any.</param>
/// <param name="Sent">Requests sent since start.</param>
/// <param name="Waits">Requests that waited for budget before being sent.</param>
/// <param name="WaitedSeconds">Total time requests waited for budget.</param>
/// <param name="Throttled">429 answers received.</param>
public sealed record ApiBudgetUse(string Bucket, int Limit, TimeSpan Window, int Used, int? Remaining, long Sent, long Waits,
    double WaitedSeconds, long Throttled);

/// <summary>
/// The client's API budget, shared by every pool that uses the client (Linode counts per user): each published bucket
/// (SUBSET.md §13, Linode's rate-limits page: create a Linode 20 per 15 s, paginated GETs 200 per minute, list images
/// 20 per minute, <c>/stats</c> 50 per minute, every other operation 1,600 per minute) with the limit the API announces
/// (<c>X-RateLimit-Limit</c>), what it says is left (<c>X-RateLimit-Remaining</c> until <c>X-RateLimit-Reset</c>) and
/// our own requests of the last window. A request waits for budget instead of being sent into a certain 429; writes go
/// before reads, and reads never take the last part (a twentieth, at least one request, of a bucket of 10 or more)
/// of a bucket that writes draw on too (the general one).
/// </summary>
/// <remarks>Our own count paces a bucket once the API announced it (an API that announces no limit enforces none).
/// Our own requests are counted in a sliding window one second longer than the published one: every fixed
/// window the server may count (from its first request, reset in whole seconds, requests counted on arrival) then
/// holds no more than the limit. Creates are paced in arrival order by <see cref="Creates"/> before the request is
/// built (a waiting create holds no connection and its pool logs the wait); here they only honour what the API
/// announced.</remarks>
public sealed class LinodeApiBudget
{
    /// <summary>Bucket names.</summary>
    public const string Create = "create", Paginated = "paginated", Images = "images", Stats = "stats", General = "general";

    /// <summary>Linode's published limits (requests, window), per user.</summary>
    public static IReadOnlyDictionary<string, (int Limit, TimeSpan Window)> Published { get; } =
        new Dictionary<string, (int, TimeSpan)>(StringComparer.Ordinal)
        {
            [Create] = (InstanceCreateRateLimiter.DefaultLimit, InstanceCreateRateLimiter.DefaultWindow),
            [Paginated] = (200, TimeSpan.FromMinutes(1)),
            [Images] = (20, TimeSpan.FromMinutes(1)),
            [Stats] = (50, TimeSpan.FromMinutes(1)),
            [General] = (1600, TimeSpan.FromMinutes(1)),
        };

    // GETs whose template ends in a literal but that answer one object (not a page).
    private static readonly HashSet<string> SingleObjectGets = new(StringComparer.Ordinal)
    {
        "/account", "/account/settings", "/profile", "/profile/grants", "/linode/instances/{linodeId}/ips",
        "/networking/firewalls/{firewallId}/rules", "/networking/firewalls/settings",
    };

    private readonly TimeProvider _time;
    private readonly TimeSpan _maxWait;
    private readonly ConcurrentDictionary<string, BudgetBucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Creates the budget.</summary>
    /// <param name="timeProvider">Clock of the windows and waits.</param>
    /// <param name="maxWait">Cap on one wait for an announced reset or a <c>Retry-After</c>.</param>
    /// <param name="announced">What the API announced per endpoint (the create limiter follows it).</param>
    public LinodeApiBudget(TimeProvider? timeProvider = null, TimeSpan? maxWait = null, RateLimitBuckets? announced = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _maxWait = maxWait ?? TimeSpan.FromSeconds(30);
        Announced = announced ?? new RateLimitBuckets();
        Creates = new InstanceCreateRateLimiter(_time, announced: Announced);
        foreach (var (name, (limit, window)) in Published)
        {
            _buckets[name] = new BudgetBucket(name, limit, window, _time,
                paceOwn: name != Create, reserveForWrites: name == General);
        }
    }

    /// <summary>What the API announced, per endpoint template.</summary>
    public RateLimitBuckets Announced { get; }

    /// <summary>The account's create limiter (every pool of the client shares it).</summary>
    public InstanceCreateRateLimiter Creates { get; }

    /// <summary>The bucket a request counts against. <paramref name="paginated"/>: whether the answer is a page (null:
    /// judged from the template, as the emulator does: a GET whose path ends in a literal segment lists a collection).</summary>
    public static string BucketOf(string endpoint, bool? paginated = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var space = endpoint.IndexOf(' ', StringComparison.Ordinal);
        var method = space > 0 ? endpoint[..space] : "GET";
        var path = space > 0 ? endpoint[(space + 1)..] : endpoint;
        if (method == "POST" && path == "/linode/instances")
        {
            return Create;
        }

        if (method != "GET")
        {
            return General;
        }

        if (path == "/images")
        {
            return Images;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Contains("stats"))
        {
            return Stats;
        }

        if (paginated is { } known)
        {
            return known ? Paginated : General;
        }

        return path == "/tags/{tagLabel}" || (segments.Length > 0 && !segments[^1].StartsWith('{') && !SingleObjectGets.Contains(path))
            ? Paginated
            : General;
    }

    /// <summary>Waits until a request to <paramref name="bucket"/> fits; returns how long it waited.</summary>
    public ValueTask<TimeSpan> AcquireAsync(string bucket, bool write, CancellationToken cancellationToken) =>
        Get(bucket).AcquireAsync(write, _maxWait, cancellationToken);

    /// <summary>How long a request to <paramref name="bucket"/> must wait for what the API announced (a spent window,
    /// a <c>Retry-After</c>), capped; zero when open.</summary>
    public TimeSpan BlockedFor(string bucket) => Get(bucket).BlockedFor(_maxWait);

    /// <summary>Learns from one answer's headers.</summary>
    public void Observe(string bucket, RateLimitInfo info, int statusCode)
    {
        ArgumentNullException.ThrowIfNull(info);
        Get(bucket).Observe(info, statusCode, _maxWait);
    }

    /// <summary>Use per bucket, in the order of <see cref="Published"/>.</summary>
    public IReadOnlyList<ApiBudgetUse> Use() => [.. Published.Keys.Select(name => _buckets[name].Use())];

    private BudgetBucket Get(string bucket) => _buckets.TryGetValue(bucket, out var b) ? b : _buckets[General];
}

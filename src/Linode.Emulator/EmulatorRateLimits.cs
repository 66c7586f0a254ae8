namespace Linode.Emulator;

/// <summary>
/// Linode's published API rate limits, counted per token owner (per client address for public calls), each in a
/// fixed window. Source: Linode's rate-limits page (techdocs.akamai.com/linode-api/reference/rate-limits, read for
/// SUBSET.md §13): create Linode 20 per 15 s, list images 20 per minute, <c>/stats</c> 50 per minute, paginated
/// GETs 200 per minute, every other operation 1,600 per minute. Recorded 2025 answers carry
/// <c>X-Ratelimit-Limit: 20</c> on <c>POST /linode/instances</c>. Enforced by default.
/// </summary>
/// <remarks>Simpler than Linode: each bucket is shared by every operation of its kind (all paginated GETs draw on one
/// 200-per-minute budget), which is never kinder than per-operation counting.</remarks>
public sealed class EmulatorRateLimits
{
    /// <summary>Refuse requests over the limits with 429, <c>Retry-After</c> and Linode's error body, and send the
    /// <c>X-RateLimit-*</c> headers. Off: no counting and no rate-limit headers.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>POST /linode/instances</c>: requests per window.</summary>
    public int CreateInstanceLimit { get; set; } = 20;

    /// <summary><c>POST /linode/instances</c> window.</summary>
    public TimeSpan CreateInstanceWindow { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>GETs of paginated collections (<c>{data, page, pages, results}</c>): requests per window.</summary>
    public int PaginatedLimit { get; set; } = 200;

    /// <summary>Paginated GET window.</summary>
    public TimeSpan PaginatedWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary><c>GET /images</c>: requests per window.</summary>
    public int ImagesLimit { get; set; } = 20;

    /// <summary><c>GET /images</c> window.</summary>
    public TimeSpan ImagesWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary><c>…/stats</c> operations: requests per window.</summary>
    public int StatsLimit { get; set; } = 50;

    /// <summary><c>…/stats</c> window.</summary>
    public TimeSpan StatsWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Every other operation: requests per window.</summary>
    public int GeneralLimit { get; set; } = 1600;

    /// <summary>General window.</summary>
    public TimeSpan GeneralWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A bucket's limit and window.</summary>
    internal (int Limit, TimeSpan Window) Bucket(RateBucket bucket) => bucket switch
    {
        RateBucket.CreateInstance => (CreateInstanceLimit, CreateInstanceWindow),
        RateBucket.Paginated => (PaginatedLimit, PaginatedWindow),
        RateBucket.Images => (ImagesLimit, ImagesWindow),
        RateBucket.Stats => (StatsLimit, StatsWindow),
        _ => (GeneralLimit, GeneralWindow),
    };

    internal IEnumerable<string> Validate()
    {
        foreach (var bucket in Enum.GetValues<RateBucket>())
        {
            var (limit, window) = Bucket(bucket);
            var name = BucketName(bucket);
            if (limit < 1)
            {
                yield return $"{name}_limit: must be at least 1 (is {limit})";
            }
            if (window <= TimeSpan.Zero)
            {
                yield return $"{name}_window: must be positive (is {window})";
            }
        }
    }

    internal static string BucketName(RateBucket bucket) => bucket switch
    {
        RateBucket.CreateInstance => "create_instance",
        RateBucket.Paginated => "paginated",
        RateBucket.Images => "images",
        RateBucket.Stats => "stats",
        _ => "general",
    };
}

/// <summary>Which published limit a request counts against.</summary>
internal enum RateBucket
{
    General,
    CreateInstance,
    Paginated,
    Images,
    Stats,
}

/// <summary>A token limited to some OAuth scopes, optionally of another user.</summary>
public sealed class EmulatorToken
{
    /// <summary>The bearer token.</summary>
    public string Token { get; set; } = "";

    /// <summary>Space- or comma-separated scopes, as Linode writes them: <c>*</c> (everything),
    /// <c>linodes:read_only</c>, <c>nodebalancers:read_write</c>, … A <c>read_write</c> scope includes its
    /// <c>read_only</c>.</summary>
    public string Scopes { get; set; } = "*";

    /// <summary>The token's owner; null: the account's user. Rate limits are counted per owner.</summary>
    public string? User { get; set; }

    internal static IEnumerable<string> ValidateAll(IReadOnlyList<EmulatorToken> tokens)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++)
        {
            var at = $"scoped_tokens[{i}]";
            var token = tokens[i];
            if (token is null)
            {
                yield return $"{at}: must be set";
                continue;
            }
            if (string.IsNullOrWhiteSpace(token.Token))
            {
                yield return $"{at}.token: must not be empty";
            }
            else if (!seen.Add(token.Token))
            {
                yield return $"{at}.token: is listed twice";
            }
            foreach (var problem in Api.OAuthScopes.Problems(token.Scopes))
            {
                yield return $"{at}.scopes: {problem}";
            }
            if (token.User is not null && string.IsNullOrWhiteSpace(token.User))
            {
                yield return $"{at}.user: must not be empty when given";
            }
        }
    }
}

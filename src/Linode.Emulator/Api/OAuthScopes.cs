namespace Linode.Emulator.Api;

/// <summary>
/// OAuth scopes of personal access tokens. Every operation of the 4.189 spec names the scope it needs under
/// <c>security: oauth</c>: GET needs <c>&lt;area&gt;:read_only</c>, anything else <c>&lt;area&gt;:read_write</c>,
/// and <c>read_write</c> includes <c>read_only</c>. A token without it gets
/// <c>401 {"errors":[{"reason":"Your OAuth token is not authorized to use this endpoint."}]}</c> (SUBSET.md §13).
/// Every answer to a token carries <c>X-OAuth-Scopes</c> (the token's scopes) and <c>X-Accepted-OAuth-Scopes</c>
/// (what the operation needs), as recorded real answers do; that is how a client learns its token's scopes.
/// </summary>
internal static class OAuthScopes
{
    public const string All = "*";

    public const string NotAuthorized = "Your OAuth token is not authorized to use this endpoint.";

    /// <summary>The areas of the spec's OAuth scope list.</summary>
    public static readonly IReadOnlySet<string> Areas = new HashSet<string>(StringComparer.Ordinal)
    {
        "account", "databases", "domains", "events", "firewall", "images", "ips", "linodes", "lke", "longview",
        "nodebalancers", "object_storage", "stackscripts", "volumes", "vpc",
    };

    /// <summary>The scopes of a scope string (space- or comma-separated).</summary>
    public static IReadOnlySet<string> Parse(string? scopes) =>
        (scopes ?? "").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>What is wrong with a scope string; empty when every scope is known.</summary>
    public static IEnumerable<string> Problems(string? scopes)
    {
        var parsed = Parse(scopes);
        if (parsed.Count == 0)
        {
            yield return "must name at least one scope, or '*'";
        }
        foreach (var scope in parsed.Where(s => s != All))
        {
            var colon = scope.IndexOf(':', StringComparison.Ordinal);
            var area = colon < 0 ? scope : scope[..colon];
            var level = colon < 0 ? "" : scope[(colon + 1)..];
            if (!Areas.Contains(area) || level is not ("read_only" or "read_write"))
            {
                yield return $"'{scope}' is not a scope (e.g. linodes:read_only, nodebalancers:read_write or *)";
            }
        }
    }

    /// <summary>The scope an operation needs, from its route pattern (without the /v4 prefix); null when any valid
    /// token will do (GET /profile, GET /profile/grants) or none is needed (public catalog).</summary>
    public static string? Required(string method, string pattern)
    {
        var area = pattern switch
        {
            "/profile" or "/profile/grants" when method == "GET" => null,
            _ when pattern.StartsWith("/profile", StringComparison.Ordinal) => "account",
            _ when pattern.StartsWith("/account/events", StringComparison.Ordinal) => "events",
            _ when pattern.StartsWith("/account", StringComparison.Ordinal) => "account",
            _ when pattern.StartsWith("/tags", StringComparison.Ordinal) => "account",
            _ when pattern.StartsWith("/networking/firewalls", StringComparison.Ordinal) => "firewall",
            _ when pattern.StartsWith("/networking", StringComparison.Ordinal) => "ips",
            _ when pattern.StartsWith("/linode/stackscripts", StringComparison.Ordinal) => "stackscripts",
            _ when pattern.StartsWith("/linode", StringComparison.Ordinal) => "linodes",
            _ when pattern.StartsWith("/nodebalancers", StringComparison.Ordinal) => "nodebalancers",
            _ when pattern.StartsWith("/images", StringComparison.Ordinal) => "images",
            _ when pattern.StartsWith("/vpcs", StringComparison.Ordinal) => "vpc",
            _ when pattern.StartsWith("/volumes", StringComparison.Ordinal) => "volumes",
            _ when pattern.StartsWith("/domains", StringComparison.Ordinal) => "domains",
            _ => null,
        };
        return area is null ? null : area + (method == "GET" ? ":read_only" : ":read_write");
    }

    /// <summary>Whether <paramref name="granted"/> covers <paramref name="required"/>.</summary>
    public static bool Allows(IReadOnlySet<string> granted, string? required)
    {
        if (required is null || granted.Contains(All) || granted.Contains(required))
        {
            return true;
        }
        return required.EndsWith(":read_only", StringComparison.Ordinal)
            && granted.Contains(required[..^":read_only".Length] + ":read_write");
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Autoscaler.Linode;

/// <summary>Settings of the Linode API client. Bind from configuration (section <c>Linode</c> by convention) or set in
/// code; <see cref="Validate"/> reports every problem at once.</summary>
public sealed class LinodeClientOptions
{
    /// <summary>The real API.</summary>
    public const string DefaultBaseUrl = "https://api.linode.com/v4";

    /// <summary>API root including the version segment (<c>/v4</c> or <c>/v4beta</c>), with or without a trailing
    /// slash. A bare host (<c>http://127.0.0.1:8081</c>) means <c>/v4</c> on it.</summary>
    public string BaseUrl { get; set; } = DefaultBaseUrl;

    /// <summary>Personal access token or OAuth token; required. Never logged and never part of any message.</summary>
    public string Token { get; set; } = "";

    /// <summary>Timeout of one attempt. Default 30 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of a call including every retry and wait. Default 3 min.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Retries after the first attempt (0 disables retrying). Default 5.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First backoff delay; it doubles on each retry, with jitter. Default 1 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap on a backoff delay. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Cap on an honoured <c>Retry-After</c> and on the wait for <c>X-RateLimit-Reset</c> (linodego uses 30 s).</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Items per page on list calls, 25..500. Default 500 (fewest requests against the paginated-GET limit).</summary>
    public int PageSize { get; set; } = 500;

    /// <summary>User-Agent header. Default <c>linode-autoscaler/&lt;version&gt;</c>.</summary>
    public string UserAgent { get; set; } = DefaultUserAgent;

    /// <summary>Allows plain http to a host that is not loopback (the token would cross the network in clear text).</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>The default User-Agent, from this assembly's version.</summary>
    public static string DefaultUserAgent { get; } = "linode-autoscaler/" + AssemblyVersion();

    /// <summary>Every problem with these settings, one message each; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();

        if (!TryGetApiBaseUri(BaseUrl, out _, out var urlError))
        {
            errors.Add(urlError);
        }
        else if (Uri.TryCreate(BaseUrl.Trim(), UriKind.Absolute, out var parsed) &&
                 parsed.Scheme == Uri.UriSchemeHttp && !parsed.IsLoopback && !AllowInsecureHttp)
        {
            errors.Add($"BaseUrl: '{BaseUrl}' uses plain http to a host that is not loopback; use https " +
                       "(or set AllowInsecureHttp).");
        }

        if (string.IsNullOrWhiteSpace(Token))
        {
            errors.Add("Token: a Linode API token is required.");
        }
        else if (Token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            // The value itself is never echoed: it is a secret even when malformed.
            errors.Add("Token: contains whitespace or control characters.");
        }

        if (AttemptTimeout < TimeSpan.FromMilliseconds(10) || AttemptTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"AttemptTimeout: {AttemptTimeout} is outside 00:00:00.010..01:00:00.");
        }

        if (TotalTimeout < TimeSpan.FromMilliseconds(10) || TotalTimeout > TimeSpan.FromHours(24))
        {
            errors.Add($"TotalTimeout: {TotalTimeout} is outside 00:00:00.010..1.00:00:00.");
        }

        if (TotalTimeout < AttemptTimeout)
        {
            errors.Add($"TotalTimeout ({TotalTimeout}) is shorter than AttemptTimeout ({AttemptTimeout}).");
        }

        if (MaxRetries is < 0 or > 1000)
        {
            errors.Add($"MaxRetries: {MaxRetries} is outside 0..1000.");
        }

        if (RetryBaseDelay < TimeSpan.Zero || RetryBaseDelay > TimeSpan.FromHours(1))
        {
            errors.Add($"RetryBaseDelay: {RetryBaseDelay} is outside 00:00:00..01:00:00.");
        }

        if (MaxRetryDelay < RetryBaseDelay || MaxRetryDelay > TimeSpan.FromHours(1))
        {
            errors.Add($"MaxRetryDelay: {MaxRetryDelay} must be between RetryBaseDelay ({RetryBaseDelay}) and 01:00:00.");
        }

        if (MaxRetryAfter < TimeSpan.Zero || MaxRetryAfter > TimeSpan.FromHours(1))
        {
            errors.Add($"MaxRetryAfter: {MaxRetryAfter} is outside 00:00:00..01:00:00.");
        }

        if (PageSize is < 25 or > 500)
        {
            errors.Add($"PageSize: {PageSize} is outside 25..500 (the API's limits).");
        }

        if (string.IsNullOrWhiteSpace(UserAgent))
        {
            errors.Add("UserAgent: must not be empty.");
        }
        else if (!ProductInfoHeaderValue.TryParse(UserAgent.Split(' ')[0], out _))
        {
            errors.Add($"UserAgent: '{UserAgent}' does not start with a product token (name/version).");
        }

        return errors;
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(LinodeClientOptions), errors);
        }
    }

    /// <summary>Everything but the token.</summary>
    public override string ToString() =>
        $"LinodeClientOptions {{ BaseUrl = {BaseUrl}, Token = {(string.IsNullOrEmpty(Token) ? "(none)" : "***")}, " +
        $"AttemptTimeout = {AttemptTimeout}, TotalTimeout = {TotalTimeout}, MaxRetries = {MaxRetries}, " +
        $"RetryBaseDelay = {RetryBaseDelay}, MaxRetryDelay = {MaxRetryDelay}, MaxRetryAfter = {MaxRetryAfter}, " +
        $"PageSize = {PageSize}, UserAgent = {UserAgent}, AllowInsecureHttp = {AllowInsecureHttp} }}";

    /// <summary>A copy (so a factory can keep settings that the caller later changes).</summary>
    public LinodeClientOptions Clone() => (LinodeClientOptions)MemberwiseClone();

    /// <summary>The API root as an absolute URI ending in '/', so that relative paths resolve beneath it.</summary>
    internal Uri GetApiBaseUri() =>
        TryGetApiBaseUri(BaseUrl, out var uri, out var error) ? uri : throw new InvalidOperationException(error);

    internal static bool TryGetApiBaseUri(string? baseUrl, out Uri uri, out string error)
    {
        uri = null!;
        if (string.IsNullOrWhiteSpace(baseUrl) ||
            !Uri.TryCreate(baseUrl.Trim(), UriKind.Absolute, out var parsed) ||
            (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
        {
            error = $"BaseUrl: '{baseUrl}' is not an absolute http or https URL.";
            return false;
        }

        if (!string.IsNullOrEmpty(parsed.Query) || !string.IsNullOrEmpty(parsed.Fragment) ||
            !string.IsNullOrEmpty(parsed.UserInfo))
        {
            error = $"BaseUrl: '{parsed.GetLeftPart(UriPartial.Authority)}…' must not have a query, fragment or user info.";
            return false;
        }

        var path = parsed.AbsolutePath.TrimEnd('/');
        if (path.Length == 0)
        {
            // A bare host, as linodego's LINODE_URL takes it.
            path = "/v4";
        }

        uri = new UriBuilder(parsed) { Path = path + "/" }.Uri;
        error = "";
        return true;
    }

    private static string AssemblyVersion()
    {
        var assembly = typeof(LinodeClientOptions).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString(3)
                      ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? version[..plus] : version;
    }
}

/// <summary>Options validation for DI: every message of <see cref="LinodeClientOptions.Validate"/>.</summary>
internal sealed class LinodeClientOptionsValidator : IValidateOptions<LinodeClientOptions>
{
    public ValidateOptionsResult Validate(string? name, LinodeClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

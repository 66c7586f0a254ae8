using System.Net;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Api;
using Autoscaler.Service.Configuration;
using Microsoft.AspNetCore.Http;

namespace Autoscaler.Service.Security;

/// <summary>
/// What every request meets before its endpoint, and what every write asks: a <c>Host</c> the service answers to (an
/// IP literal, <c>localhost</c> or a name in <c>allowed_hosts</c>; a DNS-rebinding page sends its own name), no
/// foreign <c>Origin</c> on a write (a page the operator opens cannot post to the service), reads behind
/// <c>api.auth</c> when <c>api.auth_reads</c> is set, and for writes the API's own credentials — never the webhook's.
/// </summary>
public sealed class RequestGuard
{
    /// <summary>Paths that stay open whatever <c>api.auth_reads</c> says: health checks, the dashboard's static files
    /// and its layout (which tells the page what credentials to ask for).</summary>
    private static readonly string[] OpenReads = ["/healthz", "/_health", "/", "/api/v1/dashboard"];

    private readonly HashSet<string> _hosts;
    private readonly CredentialCheck _api;
    private readonly bool _authReads;
    private readonly bool _openWrites;

    /// <summary>Guards for <paramref name="config"/>.</summary>
    public RequestGuard(AutoscalerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _hosts = new HashSet<string>(config.Service.AllowedHosts, StringComparer.OrdinalIgnoreCase) { "localhost" };
        _api = new CredentialCheck(config.Service.Api.Auth);
        _authReads = config.Service.Api.AuthReads && _api.Required;
        // Only a service that asks nothing of anyone lets writes through without credentials; config validation keeps
        // such a service on loopback, and Refuse checks the caller is there too.
        _openWrites = config.Service.Api.Auth is null && config.Service.Webhook.Auth is null;
    }

    /// <summary>How writes are let in, for the start-up line.</summary>
    public string WritesDescription => _api.Required
        ? "writes need api.auth"
        : _openWrites
            ? "writes open to loopback clients (no credentials configured; set api.auth)"
            : "writes refused (set api.auth; the webhook's credentials do not write)";

    /// <summary>How reads are let in, for the start-up line.</summary>
    public string ReadsDescription => _authReads ? "reads need api.auth" : "reads open";

    /// <summary>The refusal of a request whose Host, Origin or (for reads under <c>api.auth_reads</c>) credentials are
    /// wrong; null lets it through. Runs before routing, for every request.</summary>
    public IResult? Screen(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var host = request.Host.Host;
        if (host.Length > 0 && !IPAddress.TryParse(host.Trim('[', ']'), out _) && !_hosts.Contains(host.TrimEnd('.')))
        {
            return Refuse(StatusCodes.Status403Forbidden,
                $"Host '{Printable(host)}' is not a name this service answers to; add it to allowed_hosts in the configuration");
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method))
        {
            if (ForeignOrigin(request) is { } origin)
            {
                return Refuse(StatusCodes.Status403Forbidden, $"cross-origin request refused (Origin {origin})");
            }
        }
        else if (_authReads && !OpenReads.Contains(request.Path.Value ?? "/", StringComparer.Ordinal)
            && !request.Path.StartsWithSegments("/dashboard", StringComparison.Ordinal))
        {
            return Unauthorized(context);
        }

        return null;
    }

    /// <summary>The refusal of a write without the API's credentials or without a JSON body; null lets it through.</summary>
    public IResult? Write(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_api.Required)
        {
            if (!_openWrites)
            {
                return Refuse(StatusCodes.Status403Forbidden,
                    "writes need the API's own credentials: set api.auth (bearer_token or basic) in the configuration; the webhook's credentials do not write");
            }

            if (context.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
            {
                return Refuse(StatusCodes.Status403Forbidden, "without api.auth, writes are accepted from loopback clients only; set api.auth");
            }
        }
        else if (Unauthorized(context) is { } denied)
        {
            return denied;
        }

        return RequireJson(context.Request);
    }

    /// <summary>415 unless the body is declared JSON: a browser sends text/plain and form bodies cross-site without
    /// asking, never application/json.</summary>
    public static IResult? RequireJson(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return MediaType(request.ContentType) is { } other
            ? Refuse(StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be application/json (got {other})")
            : null;
    }

    /// <summary>The declared media type, quoted and cut short, when it is not JSON (or is missing); null for JSON.</summary>
    public static string? MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return "none";
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        if (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return "'" + Printable(mediaType.Length <= 64 ? mediaType : mediaType[..64] + "…") + "'";
    }

    private IResult? Unauthorized(HttpContext context)
    {
        var auth = _api.Check(context.Request);
        if (auth is not (AuthResult.Missing or AuthResult.Wrong))
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = _api.Challenge;
        return Refuse(StatusCodes.Status401Unauthorized, auth == AuthResult.Missing ? "authentication required" : "invalid credentials");
    }

    /// <summary>The Origin (or a cross-site Sec-Fetch-Site) of a request that did not come from a page of this service.</summary>
    private static string? ForeignOrigin(HttpRequest request)
    {
        if (string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            return "of another site (Sec-Fetch-Site: cross-site)";
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            // Not a browser, or a same-origin GET-like navigation: programs (Alertmanager, the CLI, curl) send none.
            return null;
        }

        if (Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return "'" + Printable(origin.Length <= 100 ? origin : origin[..100] + "…") + "'";
    }

    private static IResult Refuse(int status, string message) => ApiJson.Result(new ErrorResponse(message), statusCode: status);

    private static string Printable(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}

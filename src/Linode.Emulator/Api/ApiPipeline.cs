using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Linode.Emulator.Faults;
using Linode.Emulator.Runtime;
using Linode.Emulator.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Api;

/// <summary>Everything the handlers work with.</summary>
internal sealed class ApiContext
{
    public required EmulatorState State { get; init; }
    public required InstanceLifecycle Lifecycle { get; init; }
    public required BalancerSync Balancers { get; init; }
    public required NodeBalancerLifecycle NodeBalancers { get; init; }
    public required FaultState Faults { get; init; }
    public required RateLimiter Limiter { get; init; }
    public required IInstanceRuntime Instances { get; init; }
    public required TokenBook Tokens { get; init; }
    public required ILogger Logger { get; init; }
}

/// <summary>Who may call an endpoint.</summary>
internal enum Access
{
    /// <summary>A valid token is required (401 "Invalid Token" otherwise).</summary>
    Token,

    /// <summary>No token needed, and none is checked (GET /regions, GET /linode/types).</summary>
    Public,

    /// <summary>Works without a token but shows more with one (GET /images: private images); a bad token is 401.</summary>
    Optional,
}

/// <summary>One API call as a handler sees it.</summary>
internal sealed class ApiRequest(HttpContext http, ApiContext api, Caller? caller)
{
    public HttpContext Http { get; } = http;

    public ApiContext Api { get; } = api;

    /// <summary>The token's owner and scopes; null without a token (public operations).</summary>
    public Caller? Caller { get; } = caller;

    public bool Authenticated => Caller is not null;

    public string Route(string name) => Http.Request.RouteValues[name] as string ?? "";

    /// <summary>A numeric id from the path; anything else is a 404, as for an id that does not exist.</summary>
    public long Id(string name) =>
        long.TryParse(Route(name), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw ApiException.NotFound();

    /// <summary>The JSON object body; an empty body is <c>{}</c> (actions like shutdown send none).</summary>
    public async Task<JsonObject> BodyAsync()
    {
        using var reader = new StreamReader(Http.Request.Body);
        var text = await reader.ReadToEndAsync(Http.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw ApiException.BadRequest("Invalid JSON");
        }
        catch (JsonException)
        {
            throw ApiException.BadRequest("Invalid JSON");
        }
    }
}

/// <summary>The HTTP side: middleware (headers, errors, faults, rate limits) and the route helper.</summary>
internal static partial class ApiPipeline
{
    public const string SpecVersion = "4.189.0";

    private static readonly string[] Prefixes = ["/v4", "/v4beta"];

    /// <summary>What a handler returns to answer 204 with no body.</summary>
    public static readonly JsonNode NoContent = new JsonObject();

    public static void UseApi(this WebApplication app, ApiContext api)
    {
        app.Use(async (context, next) =>
        {
            context.Response.Headers["X-Spec-Version"] = SpecVersion;
            await HandleErrorsAsync(context, api, next);
        });
        app.Use((context, next) => FaultsAndLimitsAsync(context, api, next));
    }

    /// <summary>Maps a handler under /v4 and /v4beta. Before the handler runs: the token is checked (401 "Invalid
    /// Token"), the request is counted against its rate-limit bucket (429 over the limit) and the token's scopes
    /// must cover the operation (401 "Your OAuth token is not authorized to use this endpoint.").</summary>
    public static void Map(this IEndpointRouteBuilder app, ApiContext api, string method, string pattern, Access access,
        Func<ApiRequest, Task<JsonNode>> handler)
    {
        var bucket = RateLimiter.BucketOf(method, pattern);
        var required = access == Access.Public ? null : OAuthScopes.Required(method, pattern);
        foreach (var prefix in Prefixes)
        {
            app.MapMethods(prefix + pattern, [method], async context =>
            {
                var caller = access == Access.Public ? null : Authenticate(context, api, required: access == Access.Token);
                var headers = context.Response.Headers;
                if (caller is not null)
                {
                    headers["X-OAuth-Scopes"] = caller.ScopeText;
                    headers["X-Accepted-OAuth-Scopes"] = required ?? OAuthScopes.All;
                }
                CountRequest(context, api, bucket, caller);
                if (caller is not null && !OAuthScopes.Allows(caller.Scopes, required))
                {
                    throw new ApiException(StatusCodes.Status401Unauthorized, [new ApiError(OAuthScopes.NotAuthorized)]);
                }
                var result = await handler(new ApiRequest(context, api, caller));
                if (ReferenceEquals(result, NoContent))
                {
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                    return;
                }
                await WriteJsonAsync(context, StatusCodes.Status200OK, result);
            });
        }
    }

    /// <summary>Counts the request per token owner (per client address without a token), sends the X-RateLimit-*
    /// headers and refuses it with 429 and Retry-After when its bucket is used up. Nothing when limits are off.</summary>
    private static void CountRequest(HttpContext context, ApiContext api, RateBucket bucket, Caller? caller)
    {
        if (!api.Limiter.Enforced)
        {
            return;
        }
        var owner = caller is null ? "ip:" + context.Connection.RemoteIpAddress : "user:" + caller.Owner;
        var verdict = api.Limiter.Count(owner, bucket);
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = verdict.Limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = verdict.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = verdict.Reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        if (verdict.Exceeded)
        {
            headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(verdict.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            throw new ApiException(StatusCodes.Status429TooManyRequests, [new ApiError("Too many requests")]);
        }
    }

    public static Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    public static bool IsApiPath(PathString path) =>
        Prefixes.Any(p => path.StartsWithSegments(p, StringComparison.Ordinal));

    /// <summary>The caller of a valid token; null without one (when not required); 401 for a bad one.</summary>
    private static Caller? Authenticate(HttpContext context, ApiContext api, bool required)
    {
        var token = BearerToken(context.Request);
        if (token is null)
        {
            return required ? throw ApiException.Unauthorized() : null;
        }
        return api.Tokens.Find(token) ?? throw ApiException.Unauthorized();
    }

    /// <summary>The token of <c>Authorization: Bearer …</c> (or the older <c>token …</c>); "" when the header is
    /// there but carries no token; null when there is no header.</summary>
    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        var trimmed = header.Trim();
        foreach (var scheme in new[] { "Bearer", "token" })
        {
            if (trimmed.Equals(scheme, StringComparison.OrdinalIgnoreCase))
            {
                return "";
            }
            if (trimmed.StartsWith(scheme + " ", StringComparison.OrdinalIgnoreCase))
            {
                return trimmed[(scheme.Length + 1)..].Trim();
            }
        }
        return "";
    }

    private static async Task HandleErrorsAsync(HttpContext context, ApiContext api, RequestDelegate next)
    {
        try
        {
            await next(context);
            // Unknown paths and wrong methods end here without a body; give them the API's error shape.
            if (!context.Response.HasStarted && context.Response.StatusCode == StatusCodes.Status404NotFound)
            {
                await WriteJsonAsync(context, StatusCodes.Status404NotFound, ApiException.NotFound().ToJson());
            }
            else if (!context.Response.HasStarted && context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed)
            {
                await WriteJsonAsync(context, StatusCodes.Status405MethodNotAllowed,
                    new ApiException(405, [new ApiError("Method Not Allowed")]).ToJson());
            }
        }
        catch (ApiException e)
        {
            if (!context.Response.HasStarted)
            {
                await WriteJsonAsync(context, e.Status, e.ToJson());
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception e)
        {
            LogUnhandled(api.Logger, e, context.Request.Method, context.Request.Path);
            if (!context.Response.HasStarted)
            {
                await WriteJsonAsync(context, StatusCodes.Status500InternalServerError, new ApiException().ToJson());
            }
        }
        LogRequest(api.Logger, context.Request.Method, context.Request.Path, context.Response.StatusCode);
    }

    private static async Task FaultsAndLimitsAsync(HttpContext context, ApiContext api, RequestDelegate next)
    {
        if (!IsApiPath(context.Request.Path))
        {
            await next(context);
            return;
        }

        var headers = context.Response.Headers;
        var faults = api.Faults.Current;
        if (faults.LatencyMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(faults.LatencyMs), api.State.Time, context.RequestAborted);
        }
        if (api.Faults.Roll(faults.RateMaintenance))
        {
            // Linode answers 503 with this header during maintenance; clients (linodego, ours) check only that it
            // is there and do not retry such 503s.
            headers["X-Maintenance-Mode"] = "1";
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, [new ApiError(MaintenanceReason)]);
        }
        if (api.Faults.Roll(faults.Rate429))
        {
            var retry = Math.Max(0, faults.RetryAfterSeconds);
            // The limit of the operation's bucket, as a real 429 would name it (routing has already run).
            var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "";
            var relative = Prefixes.Where(p => pattern.StartsWith(p + "/", StringComparison.Ordinal)).Select(p => pattern[p.Length..]).FirstOrDefault() ?? pattern;
            headers["X-RateLimit-Limit"] = api.Limiter.LimitOf(RateLimiter.BucketOf(context.Request.Method, relative))
                .ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Remaining"] = "0";
            headers["X-RateLimit-Reset"] = (api.State.Now + TimeSpan.FromSeconds(retry)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
            throw new ApiException(StatusCodes.Status429TooManyRequests, [new ApiError("Too many requests")]);
        }
        if (api.Faults.Roll(faults.Rate500))
        {
            throw new ApiException();
        }
        await next(context);
    }

    // Chosen here: no recorded maintenance answer was found, only the header clients test for.
    internal const string MaintenanceReason = "The Linode API is undergoing maintenance. Please try again later.";
}

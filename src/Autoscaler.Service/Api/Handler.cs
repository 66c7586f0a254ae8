using Microsoft.AspNetCore.Http;

namespace Autoscaler.Service.Api;

/// <summary>
/// Handlers that return an <see cref="IResult"/> as plain <see cref="RequestDelegate"/>s. Minimal-API delegates
/// (<c>MapGet(path, Delegate)</c>) are bound by reflection and compiled expressions at start-up, which the native AOT
/// daemon cannot do (and which the JIT build pays for in start-up time and code); a route value is read by name.
/// </summary>
internal static class Handler
{
    public static RequestDelegate Of(Func<HttpContext, IResult> handler) =>
        context => handler(context).ExecuteAsync(context);

    public static RequestDelegate Of(Func<HttpContext, Task<IResult>> handler) =>
        async context => await (await handler(context).ConfigureAwait(false)).ExecuteAsync(context).ConfigureAwait(false);

    /// <summary>The route's <paramref name="name"/> value (<c>{pool}</c>), as minimal APIs bind a string parameter.</summary>
    public static string Route(HttpContext context, string name) =>
        context.Request.RouteValues[name] as string ?? string.Empty;
}

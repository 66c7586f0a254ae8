using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autoscaler.Service.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Autoscaler.Service.Ha;

/// <summary>Who answered a read that a standby forwarded to the leader (<c>served_by</c> in JSON object answers).</summary>
/// <param name="Leader">The leader's replica id, as the lease row names it.</param>
/// <param name="LeaderAddress">Where the leader serves (the lease row's advertised address).</param>
/// <param name="Via">The standby that forwarded the read.</param>
public sealed record ServedBy(string Leader, string LeaderAddress, string Via);

/// <summary>
/// On a replica that does not lead, the reads whose answer comes from the engine (pool state, <c>status</c>, the
/// dashboard's series, http_sd) are forwarded to the leader named by the lease row: a standby's engine is idle, so its
/// own answer would be empty pools. Forwarding beats answering from the journal, which holds desired sizes and open
/// operations but not the members, their health or the signals. The answer says so: <c>X-Autoscaler-Served-By</c>
/// (the leader's id) and <see cref="StandbyGuard.LeaderHeader"/> (its address) on every forwarded answer, and a
/// <c>served_by</c> field in JSON object bodies. With no leader known it answers 503 (and <c>Retry-After</c>); an
/// unreachable leader is a 502 naming it. Reads of shared or per-replica state (the audit trail from the database,
/// alerts, <c>/metrics</c>, <c>/api/v1/leader</c>) are this replica's own.
/// </summary>
public static class LeaderReadProxy
{
    /// <summary>Header naming the replica whose engine answered a forwarded read.</summary>
    public const string ServedByHeader = "X-Autoscaler-Served-By";

    /// <summary>Marks a forwarded read, so a replica that does not lead either never forwards it again.</summary>
    public const string ForwardedHeader = "X-Autoscaler-Forwarded-By";

    /// <summary>True for the reads answered from the engine.</summary>
    public static bool IsEngineRead(PathString path) =>
        path.StartsWithSegments("/api/v1/pools", StringComparison.Ordinal)
        || path.StartsWithSegments("/api/v1/dashboard/pools", StringComparison.Ordinal)
        || path.Equals("/http_sd", StringComparison.Ordinal);

    /// <summary>Installs the forwarding (after the request guard: a standby screens a read as the leader would).</summary>
    public static void Use(WebApplication app, LeaderElector? elector, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (elector is null)
        {
            return;
        }

#pragma warning disable CA2000 // Disposed when the application stops.
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = timeout ?? TimeSpan.FromSeconds(10) };
#pragma warning restore CA2000
        app.Lifetime.ApplicationStopped.Register(http.Dispose);
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (elector.Role == ReplicaRole.Leader || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) || !IsEngineRead(request.Path))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            await ForwardAsync(context, http, elector).ConfigureAwait(false);
        });
    }

    private static async Task ForwardAsync(HttpContext context, HttpClient http, LeaderElector elector)
    {
        var leader = elector.Leader is { Valid: true } l && l.Holder != elector.Holder ? l : null;
        if (leader is null || context.Request.Headers.ContainsKey(ForwardedHeader))
        {
            context.Response.Headers.RetryAfter = "5";
            var why = leader is null
                ? "no replica leads right now (an election is under way) and a standby has no pool state of its own: retry shortly"
                : "forwarded by another replica, and this one does not lead either: retry shortly";
            await ApiJson.Result(new StandbyRefusal(why, null), StatusCodes.Status503ServiceUnavailable)
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        context.Response.Headers[StandbyGuard.LeaderHeader] = leader.Address;
        using var forward = new HttpRequestMessage(HttpMethod.Get, leader.Address.TrimEnd('/') + context.Request.Path + context.Request.QueryString);
        forward.Headers.TryAddWithoutValidation(ForwardedHeader, elector.Holder);
        if (context.Request.Headers.Authorization.ToString() is { Length: > 0 } authorization)
        {
            forward.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        byte[] body;
        HttpResponseMessage answer;
        try
        {
            answer = await http.SendAsync(forward, context.RequestAborted).ConfigureAwait(false);
            body = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            await ApiJson.Result(new StandbyRefusal($"this replica is a standby and the leader at {leader.Address} did not answer the read: {ex.Message}", leader.Address),
                StatusCodes.Status502BadGateway).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        using (answer)
        {
            var servedBy = new ServedBy(leader.Holder, leader.Address, elector.Holder);
            context.Response.StatusCode = (int)answer.StatusCode;
            context.Response.Headers[ServedByHeader] = leader.Holder;
            context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
            body = Mark(body, answer.Content.Headers.ContentType, servedBy);
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Adds <c>served_by</c> to a JSON object body (an array, like http_sd's, keeps its shape: the headers say it).</summary>
    private static byte[] Mark(byte[] body, MediaTypeHeaderValue? type, ServedBy servedBy)
    {
        if (type?.MediaType != "application/json")
        {
            return body;
        }

        try
        {
            if (JsonNode.Parse(body) is not JsonObject obj)
            {
                return body;
            }

            // Through the API's generated metadata and the node's own writer: no reflection (the AOT daemon has none).
            obj["served_by"] = JsonSerializer.SerializeToNode(servedBy, ApiJson.Info<ServedBy>());
            using var buffer = new MemoryStream(body.Length + 128);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                obj.WriteTo(writer);
            }

            return buffer.ToArray();
        }
        catch (JsonException)
        {
            return body;
        }
    }
}

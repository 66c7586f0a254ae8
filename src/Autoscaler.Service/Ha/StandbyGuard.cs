using Autoscaler.Service.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Autoscaler.Service.Ha;

/// <summary>The replica's role as <c>GET /api/v1/leader</c> serves it.</summary>
/// <param name="Role">standalone, standby, leader or deposed.</param>
/// <param name="Replica">This replica's id (null without a PostgreSQL journal).</param>
/// <param name="Leader">The leader's id, as last read.</param>
/// <param name="LeaderAddress">Where the leader serves (writes go there).</param>
/// <param name="Epoch">The lease's epoch as last read.</param>
public sealed record LeaderResponse(string Role, string? Replica, string? Leader, string? LeaderAddress, long? Epoch);

/// <summary>The refusal of a write on a replica that does not lead.</summary>
/// <param name="Error">What happened.</param>
/// <param name="Leader">Where to send it (null while nobody leads).</param>
public sealed record StandbyRefusal(string Error, string? Leader);

/// <summary>
/// On a replica that does not lead: API writes (<c>POST</c> under <c>/api/</c>) are answered 503 with the leader's
/// address in the body and in <c>X-Autoscaler-Leader</c> (and <c>Retry-After</c>), never forwarded, so a client
/// always knows which replica acted. The webhook, reads and the dashboard are served by every replica (reads of
/// pool state from the leader's engine: see <see cref="LeaderReadProxy"/>).
/// </summary>
public static class StandbyGuard
{
    /// <summary>Header naming the leader's address on a refused write.</summary>
    public const string LeaderHeader = "X-Autoscaler-Leader";

    /// <summary>Installs the guard (before routing) and maps <c>GET /api/v1/leader</c>.</summary>
    public static void Use(WebApplication app, LeaderElector? elector)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (elector is not null)
        {
            app.Use(async (context, next) =>
            {
                if (elector.Role != ReplicaRole.Leader && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
                    && context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
                {
                    var leader = elector.Leader is { Valid: true } l && l.Holder != elector.Holder ? l.Address : null;
                    context.Response.Headers.RetryAfter = "5";
                    if (leader is not null)
                    {
                        context.Response.Headers[LeaderHeader] = leader;
                    }

                    var error = elector.Role == ReplicaRole.Deposed
                        ? "this replica lost the leader lease and no longer acts: send writes to the leader"
                        : leader is null ? "no replica leads right now (an election is under way): retry shortly" : "this replica is a standby: send writes to the leader";
                    await ApiJson.Result(new StandbyRefusal(error, leader), statusCode: StatusCodes.Status503ServiceUnavailable)
                        .ExecuteAsync(context).ConfigureAwait(false);
                    return;
                }

                await next(context).ConfigureAwait(false);
            });
        }
    }

    /// <summary>Maps <c>GET /api/v1/leader</c>.</summary>
    public static void Map(IEndpointRouteBuilder routes, LeaderElector? elector)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes.MapGet("/api/v1/leader", Handler.Of(_ => ApiJson.Result(Describe(elector))));
    }

    /// <summary>The role as served.</summary>
    public static LeaderResponse Describe(LeaderElector? elector) => elector is null
        ? new LeaderResponse("standalone", null, null, null, null)
        : new LeaderResponse(elector.Role.ToString().ToLowerInvariant(), elector.Holder, elector.Leader?.Holder, elector.Leader?.Address, elector.Leader?.Epoch);
}

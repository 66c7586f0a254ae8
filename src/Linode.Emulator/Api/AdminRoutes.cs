using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Linode.Emulator.Api;

/// <summary>
/// The emulator's own controls, outside the Linode API (no /v4 prefix, no token, not subject to injected faults):
/// <code>
///   GET  /admin/health                    {"status":"ok", counts}
///   GET  /admin/faults                    the fault settings in force
///   PUT  /admin/faults                    change some of them: {"rate_429":0.2,"retry_after_seconds":1,"rate_500":0.1,
///                                         "latency_ms":50,"boot_failure_rate":0.1}
///   POST /admin/instances/{id}/kill       kill the instance's process (it then shows offline)
/// </code>
/// </summary>
internal static partial class AdminRoutes
{
    public static void MapAdmin(this IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;

        app.MapGet("/admin/health", context =>
        {
            JsonObject body;
            lock (state.Gate)
            {
                body = new JsonObject
                {
                    ["status"] = "ok",
                    ["spec_version"] = ApiPipeline.SpecVersion,
                    ["instances"] = state.Instances.Count,
                    ["running"] = state.Instances.Values.Count(i => i.Status == "running"),
                    ["processes"] = state.Instances.Keys.Count(api.Instances.IsRunning),
                    ["nodebalancers"] = state.NodeBalancers.Count,
                    ["configs"] = state.Configs.Count,
                    ["nodes"] = state.Nodes.Count,
                    ["events"] = state.Events.Count,
                };
            }
            return ApiPipeline.WriteJsonAsync(context, StatusCodes.Status200OK, body);
        });

        app.MapGet("/admin/faults", context => ApiPipeline.WriteJsonAsync(context, StatusCodes.Status200OK, api.Faults.ToJson()));

        app.MapMethods("/admin/faults", [HttpMethods.Put, HttpMethods.Post], async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var text = await reader.ReadToEndAsync(context.RequestAborted);
            JsonObject body;
            try
            {
                body = JsonNode.Parse(string.IsNullOrWhiteSpace(text) ? "{}" : text) as JsonObject
                    ?? throw ApiException.BadRequest("Invalid JSON");
            }
            catch (JsonException)
            {
                throw ApiException.BadRequest("Invalid JSON");
            }
            api.Faults.Update(body);
            var now = api.Faults.ToJson();
            LogFaultsChanged(api.Logger, now.ToJsonString());
            await ApiPipeline.WriteJsonAsync(context, StatusCodes.Status200OK, now);
        });

        app.MapPost("/admin/instances/{linodeId}/kill", async context =>
        {
            if (!long.TryParse(context.Request.RouteValues["linodeId"] as string, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                throw ApiException.NotFound();
            }
            lock (state.Gate)
            {
                if (!state.Instances.TryGetValue(id, out var instance) || instance.Deleted)
                {
                    throw ApiException.NotFound();
                }
            }
            // Outside the lock: the runtime reports the exit through ProcessExited, which takes it.
            var killed = api.Instances.Kill(id);
            if (killed)
            {
                LogKilled(api.Logger, id);
            }
            await ApiPipeline.WriteJsonAsync(context, StatusCodes.Status200OK, new JsonObject { ["killed"] = killed });
        });
    }
}

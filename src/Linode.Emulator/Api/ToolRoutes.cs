using System.Globalization;
using System.Text.Json.Nodes;
using Linode.Emulator.State;
using Microsoft.AspNetCore.Routing;

namespace Linode.Emulator.Api;

/// <summary>
/// Read-only endpoints that real tools call besides the ones the autoscaler uses (SUBSET.md §13): Terraform's
/// <c>linode_instance</c> reads an instance's disks and configs, linode-cli's <c>configure</c> reads the profile, its
/// grants and the account's users, and the NodeBalancer resources read its VPCs and stats.
/// </summary>
internal static class ToolRoutes
{
    private static readonly IReadOnlySet<string> DiskFilterable = new HashSet<string>(StringComparer.Ordinal) { "label", "filesystem", "status" };

    private static readonly IReadOnlySet<string> ConfigFilterable = new HashSet<string>(StringComparer.Ordinal) { "label" };

    private static readonly IReadOnlySet<string> UserFilterable = new HashSet<string>(StringComparer.Ordinal) { "username", "email", "restricted" };

    private static readonly IReadOnlySet<string> NotFilterable = new HashSet<string>(StringComparer.Ordinal);

    public static void MapTools(this IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;

        // Terraform reads an instance's disks and its configs alike: a filtered page of them, or one by id.
        MapInstanceItems(app, api, "disks", "diskId", DiskFilterable, InstanceDisks.Disks);
        MapInstanceItems(app, api, "configs", "configId", ConfigFilterable, InstanceDisks.Configs);

        // Any valid token may read its own profile, whatever its scopes (the spec names no scope).
        app.Map(api, "GET", "/profile", Access.Token, r =>
            Task.FromResult<JsonNode>(Profile(r.Caller!.Owner, 1000 + Users(api).TakeWhile(u => u != r.Caller.Owner).Count())));

        // An unrestricted user has no grants to list: 204 with no body, as the spec says.
        app.Map(api, "GET", "/profile/grants", Access.Token, _ => Task.FromResult(ApiPipeline.NoContent));

        app.Map(api, "GET", "/account/users", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, UserFilterable);
            return Task.FromResult<JsonNode>(paging.Envelope(Users(api).Select(User)));
        });

        app.Map(api, "GET", "/account/users/{username}", Access.Token, r =>
        {
            var name = r.Route("username");
            return Task.FromResult<JsonNode>(Users(api).Contains(name) ? User(name) : throw ApiException.NotFound());
        });

        // No NodeBalancer here is in a VPC; the list is real, and empty.
        app.Map(api, "GET", "/nodebalancers/{nodeBalancerId}/vpcs", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, NotFilterable);
            lock (state.Gate)
            {
                FindNodeBalancer(state, r.Id("nodeBalancerId"));
            }
            return Task.FromResult<JsonNode>(paging.Envelope([]));
        });

        // Linode publishes a day of 5-minute averages; nothing is sampled here, so the series are empty.
        app.Map(api, "GET", "/nodebalancers/{nodeBalancerId}/stats", Access.Token, r =>
        {
            lock (state.Gate)
            {
                var nb = FindNodeBalancer(state, r.Id("nodeBalancerId"));
                return Task.FromResult<JsonNode>(new JsonObject
                {
                    ["title"] = string.Create(CultureInfo.InvariantCulture, $"linode.com - {nb.Label} ({nb.Id}) - day (5 min avg)"),
                    ["data"] = new JsonObject
                    {
                        ["connections"] = new JsonArray(),
                        ["traffic"] = new JsonObject { ["in"] = new JsonArray(), ["out"] = new JsonArray() },
                    },
                });
            }
        });
    }

    /// <summary>Maps <c>GET /linode/instances/{linodeId}/{items}</c> (a page, filterable by
    /// <paramref name="filterable"/>) and <c>GET …/{items}/{idName}</c> (one, or 404).</summary>
    private static void MapInstanceItems(IEndpointRouteBuilder app, ApiContext api, string items, string idName,
        IReadOnlySet<string> filterable, Func<Instance, IEnumerable<JsonObject>> read)
    {
        var state = api.State;
        var list = "/linode/instances/{linodeId}/" + items;
        app.Map(api, "GET", list, Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, filterable);
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(paging.Envelope(read(FindInstance(state, r.Id("linodeId")))));
            }
        });

        app.Map(api, "GET", list + "/{" + idName + "}", Access.Token, r =>
        {
            lock (state.Gate)
            {
                var instance = FindInstance(state, r.Id("linodeId"));
                var id = r.Id(idName);
                return Task.FromResult<JsonNode>(read(instance).FirstOrDefault(item => item["id"]!.GetValue<long>() == id)
                    ?? throw ApiException.NotFound());
            }
        });
    }

    private static Instance FindInstance(EmulatorState state, long id) =>
        state.Instances.TryGetValue(id, out var instance) && !instance.Deleted ? instance : throw ApiException.NotFound();

    private static NodeBalancer FindNodeBalancer(EmulatorState state, long id) =>
        state.NodeBalancers.GetValueOrDefault(id) ?? throw ApiException.NotFound();

    /// <summary>The account's user, then the owners named by scoped tokens.</summary>
    private static SortedSet<string> Users(ApiContext api) => new(api.Tokens.Owners, StringComparer.Ordinal);

    private static JsonObject Profile(string username, int uid) => new()
    {
        ["authentication_type"] = "password",
        ["authorized_keys"] = new JsonArray(),
        ["email"] = username + "@example.com",
        ["email_notifications"] = true,
        ["ip_whitelist_enabled"] = false,
        ["lish_auth_method"] = "keys_only",
        ["referrals"] = new JsonObject
        {
            ["code"] = "",
            ["completed"] = 0,
            ["credit"] = 0,
            ["pending"] = 0,
            ["total"] = 0,
            ["url"] = "",
        },
        ["restricted"] = false,
        ["timezone"] = "UTC",
        ["two_factor_auth"] = false,
        ["uid"] = uid,
        ["username"] = username,
        ["verified_phone_number"] = null,
    };

    private static JsonObject User(string username) => new()
    {
        ["email"] = username + "@example.com",
        ["last_login"] = null,
        ["password_created"] = null,
        ["restricted"] = false,
        ["ssh_keys"] = new JsonArray(),
        ["tfa_enabled"] = false,
        ["username"] = username,
        ["verified_phone_number"] = null,
        ["user_type"] = "default",
    };
}

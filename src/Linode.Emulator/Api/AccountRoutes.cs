using System.Globalization;
using System.Text.Json.Nodes;
using Linode.Emulator.Catalog;
using Linode.Emulator.State;
using Microsoft.AspNetCore.Routing;

namespace Linode.Emulator.Api;

/// <summary>The account (its running bill), networking lists, account events and tags.</summary>
internal static class AccountRoutes
{
    private static readonly IReadOnlySet<string> IpFilterable = new HashSet<string>(StringComparer.Ordinal)
    {
        "address", "prefix", "rdns", "region", "type",
    };

    private static readonly IReadOnlySet<string> RangeFilterable = new HashSet<string>(StringComparer.Ordinal) { "region", "range", "prefix" };

    private static readonly IReadOnlySet<string> EventFilterable = new HashSet<string>(StringComparer.Ordinal)
    {
        "id", "action", "created", "entity.id", "entity.type", "read",
    };

    private static readonly IReadOnlySet<string> TagFilterable = new HashSet<string>(StringComparer.Ordinal) { "label" };

    private static readonly IReadOnlySet<string> NotFilterable = new HashSet<string>(StringComparer.Ordinal);

    public static void MapAccount(this IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;

        // Private addresses are listed too, although the spec says otherwise: Prometheus's linode_sd (and its
        // fixtures from the live API) depend on them (SUBSET.md §11).
        app.Map(api, "GET", "/networking/ips", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, IpFilterable);
            lock (state.Gate)
            {
                var ips = state.Instances.Values.SelectMany(i => i.Ipv4Objects().Append(i.SlaacJson(withNat: true))).ToList();
                return Task.FromResult<JsonNode>(paging.Envelope(ips));
            }
        });

        // No instance has a routed IPv6 range here; the list is real, and empty.
        app.Map(api, "GET", "/networking/ipv6/ranges", Access.Token, r =>
            Task.FromResult<JsonNode>(Paging.From(r.Http.Request, RangeFilterable).Envelope([])));

        // The running month's bill so far is the one live figure here; the rest is a fixed, plausible account.
        app.Map(api, "GET", "/account", Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(AccountJson(state));
            }
        });

        // Newest first, as the account's event feed reads.
        app.Map(api, "GET", "/account/events", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, EventFilterable);
            lock (state.Gate)
            {
                state.DropExpiredEvents();
                var now = state.Now;
                return Task.FromResult<JsonNode>(paging.Envelope(state.Events.Values.Reverse().Select(e => e.ToJson(now)).ToList()));
            }
        });

        app.Map(api, "GET", "/account/events/{eventId}", Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(FindEvent(state, r.Id("eventId")).ToJson(state.Now));
            }
        });

        // Marks this event and every earlier one as seen.
        app.Map(api, "POST", "/account/events/{eventId}/seen", Access.Token, r =>
        {
            lock (state.Gate)
            {
                var upTo = FindEvent(state, r.Id("eventId")).Id;
                foreach (var e in state.Events.Values.TakeWhile(e => e.Id <= upTo))
                {
                    e.Seen = true;
                }
            }
            return Task.FromResult<JsonNode>(new JsonObject());
        });

        app.Map(api, "POST", "/account/events/{eventId}/read", Access.Token, r =>
        {
            lock (state.Gate)
            {
                FindEvent(state, r.Id("eventId")).Read = true;
            }
            return Task.FromResult<JsonNode>(new JsonObject());
        });

        app.Map(api, "GET", "/tags", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, TagFilterable);
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(paging.Envelope(state.Tags.Select(t => new JsonObject { ["label"] = t }).ToList()));
            }
        });

        app.Map(api, "POST", "/tags", Access.Token, async r => CreateTag(state, await r.BodyAsync()));

        app.Map(api, "GET", "/tags/{tagLabel}", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, NotFilterable);
            var label = r.Route("tagLabel");
            lock (state.Gate)
            {
                if (!state.Tags.Contains(label))
                {
                    throw ApiException.NotFound();
                }
                var tagged = state.Instances.Values.Where(i => !i.Deleted && i.Tags.Contains(label))
                    .Select(i => new JsonObject { ["type"] = "linode", ["data"] = i.ToJson() })
                    .Concat(state.NodeBalancers.Values.Where(nb => nb.Tags.Contains(label))
                        .Select(nb => new JsonObject { ["type"] = "nodebalancer", ["data"] = nb.ToJson() }))
                    .ToList();
                return Task.FromResult<JsonNode>(paging.Envelope(tagged));
            }
        });

        app.Map(api, "DELETE", "/tags/{tagLabel}", Access.Token, r =>
        {
            var label = r.Route("tagLabel");
            lock (state.Gate)
            {
                if (!state.Tags.Remove(label))
                {
                    throw ApiException.NotFound();
                }
                foreach (var instance in state.Instances.Values)
                {
                    instance.Tags.Remove(label);
                }
                foreach (var nb in state.NodeBalancers.Values)
                {
                    nb.Tags.Remove(label);
                }
                state.AddEvent("tag_delete", TagEntity(label), "notification");
            }
            return Task.FromResult<JsonNode>(new JsonObject());
        });
    }

    /// <summary>Creates the tag (an existing label is accepted and the objects are tagged) and tags the listed
    /// objects. Every listed object must exist, or nothing happens. Domains and volumes are not emulated.</summary>
    private static JsonObject CreateTag(EmulatorState state, JsonObject json)
    {
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var label = body.String("label", required: true);
        var linodes = body.Longs("linodes") ?? [];
        var nodeBalancers = body.Longs("nodebalancers") ?? [];
        var domains = body.Longs("domains") ?? [];
        var volumes = body.Longs("volumes") ?? [];
        if (label is not null && label.Length is < 3 or > 50)
        {
            problems.Add("label", "Length must be 3-50 characters");
        }
        lock (state.Gate)
        {
            foreach (var id in linodes.Where(id => !state.Instances.TryGetValue(id, out var i) || i.Deleted))
            {
                problems.Add("linodes", string.Create(CultureInfo.InvariantCulture, $"Linode {id} not found"));
            }
            foreach (var id in nodeBalancers.Where(id => !state.NodeBalancers.ContainsKey(id)))
            {
                problems.Add("nodebalancers", string.Create(CultureInfo.InvariantCulture, $"NodeBalancer {id} not found"));
            }
            foreach (var id in domains)
            {
                problems.Add("domains", string.Create(CultureInfo.InvariantCulture, $"Domain {id} not found"));
            }
            foreach (var id in volumes)
            {
                problems.Add("volumes", string.Create(CultureInfo.InvariantCulture, $"Volume {id} not found"));
            }
            problems.ThrowIfAny();

            if (state.Tags.Add(label!))
            {
                state.AddEvent("tag_create", TagEntity(label!), "notification");
            }
            foreach (var instance in linodes.Select(id => state.Instances[id]).Where(i => !i.Tags.Contains(label!)))
            {
                instance.Tags.Add(label!);
            }
            foreach (var nb in nodeBalancers.Select(id => state.NodeBalancers[id]).Where(nb => !nb.Tags.Contains(label!)))
            {
                nb.Tags.Add(label!);
            }
            return new JsonObject { ["label"] = label };
        }
    }

    private static JsonObject AccountJson(EmulatorState state) => new()
    {
        ["active_promotions"] = new JsonArray(),
        ["active_since"] = Json.Timestamp(state.StartedAt),
        ["address_1"] = "",
        ["address_2"] = "",
        ["balance"] = 0,
        // Written from the decimal sum, so the number has exactly the digits of the bill (no binary-float tail).
        ["balance_uninvoiced"] = state.Billing.UninvoicedAt(state.Now, state.Instances.Values),
        ["billing_source"] = "linode",
        ["capabilities"] = new JsonArray("Linodes", "NodeBalancers", "Cloud Firewall"),
        ["city"] = "",
        ["company"] = "",
        ["country"] = "US",
        ["credit_card"] = new JsonObject { ["expiry"] = "12/2030", ["last_four"] = "1111" },
        ["email"] = state.Username + "@example.com",
        ["euuid"] = "E1AF5EEC-526F-487D-B317EBEB34C87D71",
        ["first_name"] = "",
        ["last_name"] = "",
        ["phone"] = "",
        ["state"] = "",
        ["tax_id"] = "",
        ["zip"] = "",
    };

    private static EventRecord FindEvent(EmulatorState state, long id)
    {
        state.DropExpiredEvents();
        return state.Events.GetValueOrDefault(id) ?? throw ApiException.NotFound();
    }

    // For tag events the entity's id is the tag's name (SUBSET.md §9).
    private static EventEntity TagEntity(string label) => new(label, label, "tag", "/v4/tags/" + Uri.EscapeDataString(label));
}

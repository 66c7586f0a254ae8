using System.Globalization;
using System.Text.Json.Nodes;
using Linode.Emulator.Runtime;
using Linode.Emulator.State;
using Microsoft.AspNetCore.Routing;

namespace Linode.Emulator.Api;

/// <summary>Cloud Firewalls: /networking/firewalls (rules, devices) and /nodebalancers/{id}/firewalls. Every change
/// reaches the NodeBalancers as a config change does (after the apply delay), since a node's firewall decides
/// whether the balancer's traffic gets through.</summary>
internal static class FirewallRoutes
{
    private static readonly IReadOnlySet<string> Filterable = new HashSet<string>(StringComparer.Ordinal) { "id", "label", "status", "tags" };
    private static readonly IReadOnlySet<string> DeviceFilterable = new HashSet<string>(StringComparer.Ordinal);
    private static readonly string[] Policies = ["ACCEPT", "DROP"];
    private static readonly string[] Protocols = ["TCP", "UDP", "ICMP", "IPENCAP"];
    private const int MaxRules = 25;

    public static void MapFirewalls(this IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;

        app.Map(api, "GET", "/networking/firewalls", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, Filterable);
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(paging.Envelope(state.Firewalls.All.Values.Select(f => f.ToJson()).ToList()));
            }
        });

        app.Map(api, "POST", "/networking/firewalls", Access.Token, async r =>
        {
            var json = await r.BodyAsync();
            return await Change(api, () => Create(state, json));
        });

        app.Map(api, "GET", "/networking/firewalls/{firewallId}", Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(Find(state, r.Id("firewallId")).ToJson());
            }
        });

        app.Map(api, "PUT", "/networking/firewalls/{firewallId}", Access.Token, async r =>
        {
            var id = r.Id("firewallId");
            var json = await r.BodyAsync();
            return await Change(api, () => Update(state, Find(state, id), json));
        });

        app.Map(api, "DELETE", "/networking/firewalls/{firewallId}", Access.Token, async r =>
        {
            var id = r.Id("firewallId");
            return await Change(api, () =>
            {
                var firewall = Find(state, id);
                state.Firewalls.All.Remove(firewall.Id);
                if (state.Firewalls.AccountDefault == firewall)
                {
                    state.Firewalls.AccountDefault = null;
                }
                firewall.Status = "deleted";
                firewall.Devices.Clear();
                state.AddEvent("firewall_delete", Entity(firewall), "notification");
                return new JsonObject();
            });
        });

        app.Map(api, "GET", "/networking/firewalls/{firewallId}/rules", Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(Find(state, r.Id("firewallId")).RulesJson());
            }
        });

        app.Map(api, "PUT", "/networking/firewalls/{firewallId}/rules", Access.Token, async r =>
        {
            var id = r.Id("firewallId");
            var json = await r.BodyAsync();
            return await Change(api, () =>
            {
                var firewall = Find(state, id);
                var problems = new Problems();
                var rules = ReadRules(new RequestBody(json, problems), problems, required: false, firewall);
                problems.ThrowIfAny();
                rules.ApplyTo(firewall);
                firewall.Version++;
                firewall.Updated = state.Now;
                state.AddEvent("firewall_rules_update", Entity(firewall), "notification");
                return firewall.RulesJson();
            });
        });

        app.Map(api, "GET", "/networking/firewalls/{firewallId}/devices", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, DeviceFilterable);
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(paging.Envelope(Find(state, r.Id("firewallId")).Devices.Select(d => d.ToJson()).ToList()));
            }
        });

        app.Map(api, "POST", "/networking/firewalls/{firewallId}/devices", Access.Token, async r =>
        {
            var id = r.Id("firewallId");
            var json = await r.BodyAsync();
            return await Change(api, () =>
            {
                var firewall = Find(state, id);
                var problems = new Problems();
                var body = new RequestBody(json, problems);
                var entityId = body.Long("id", required: true);
                var type = body.String("type", required: true);
                if (type is not null && type is not ("linode" or "nodebalancer"))
                {
                    problems.Add("type", Rules.OneOf(["linode", "nodebalancer"]));
                }
                problems.ThrowIfAny();
                return Attach(state, firewall, type!, entityId!.Value).ToJson();
            });
        });

        app.Map(api, "GET", "/networking/firewalls/{firewallId}/devices/{deviceId}", Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(FindDevice(state, r.Id("firewallId"), r.Id("deviceId")).ToJson());
            }
        });

        app.Map(api, "DELETE", "/networking/firewalls/{firewallId}/devices/{deviceId}", Access.Token, async r =>
        {
            var (id, deviceId) = (r.Id("firewallId"), r.Id("deviceId"));
            return await Change(api, () =>
            {
                var device = FindDevice(state, id, deviceId);
                device.Firewall.Devices.Remove(device);
                state.AddEvent("firewall_device_remove", Entity(device.Firewall), "notification", DeviceEntity(device));
                return new JsonObject();
            });
        });

        // The firewalls a Linode sits behind, rules included (what a client reads to tell why a node is DOWN).
        app.Map(api, "GET", "/linode/instances/{linodeId}/firewalls", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, Filterable);
            lock (state.Gate)
            {
                var id = r.Id("linodeId");
                if (!state.Instances.TryGetValue(id, out var instance) || instance.Deleted)
                {
                    throw ApiException.NotFound();
                }
                return Task.FromResult<JsonNode>(paging.Envelope(state.Firewalls.AttachedTo("linode", id).Select(f => f.ToJson()).ToList()));
            }
        });

        app.Map(api, "GET", "/nodebalancers/{nodeBalancerId}/firewalls", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, Filterable);
            lock (state.Gate)
            {
                var nb = api.NodeBalancers.Find(r.Id("nodeBalancerId")) ?? throw ApiException.NotFound();
                return Task.FromResult<JsonNode>(paging.Envelope(state.Firewalls.AttachedTo("nodebalancer", nb.Id).Select(f => f.ToJson()).ToList()));
            }
        });
    }

    /// <summary>Runs a firewall change under the state lock, then lets every NodeBalancer config take it.</summary>
    private static Task<JsonNode> Change(ApiContext api, Func<JsonNode> change) =>
        api.Balancers.ChangeAsync(() =>
        {
            lock (api.State.Gate)
            {
                var result = change();
                return new BalancerChange<JsonNode>(result, api.Balancers.AllSpecs(), []);
            }
        });

    private static Firewall Find(EmulatorState state, long id) =>
        state.Firewalls.All.TryGetValue(id, out var firewall) ? firewall : throw ApiException.NotFound();

    private static FirewallDevice FindDevice(EmulatorState state, long firewallId, long deviceId) =>
        Find(state, firewallId).Devices.FirstOrDefault(d => d.Id == deviceId) ?? throw ApiException.NotFound();

    private static JsonObject Create(EmulatorState state, JsonObject json)
    {
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var label = body.String("label", required: true);
        var tags = body.Strings("tags") ?? [];
        var rulesBody = body.Object("rules");
        if (rulesBody is null && !problems.Has("rules"))
        {
            problems.Add("rules", "rules is required");
        }
        var rules = rulesBody is null ? null : ReadRules(rulesBody, problems, required: true, existing: null);
        var devices = body.Object("devices");
        var linodes = devices?.Longs("linodes") ?? [];
        var nodeBalancers = devices?.Longs("nodebalancers") ?? [];
        if (label is not null)
        {
            FirewallLabel(label, problems);
            if (state.Firewalls.All.Values.Any(f => f.Label == label))
            {
                problems.Add("label", "Label must be unique among your Firewalls");
            }
        }
        Rules.Tags(tags, "tags", problems);
        foreach (var (type, ids, field) in new[] { ("linode", linodes, "devices.linodes"), ("nodebalancer", nodeBalancers, "devices.nodebalancers") })
        {
            foreach (var id in ids.Where(id => !Exists(state, type, id)))
            {
                problems.Add(field, string.Create(CultureInfo.InvariantCulture, $"A valid {type} by the ID {id} was not found"));
            }
        }
        problems.ThrowIfAny();

        var now = state.Now;
        var firewall = new Firewall { Id = state.Firewalls.NextFirewallId(), Label = label!, Created = now, Updated = now, Tags = [.. tags.Distinct(StringComparer.Ordinal)] };
        rules!.ApplyTo(firewall);
        state.Firewalls.All[firewall.Id] = firewall;
        state.AddEvent("firewall_create", Entity(firewall), "notification");
        foreach (var id in linodes)
        {
            Attach(state, firewall, "linode", id);
        }
        foreach (var id in nodeBalancers)
        {
            Attach(state, firewall, "nodebalancer", id);
        }
        return firewall.ToJson();
    }

    private static JsonObject Update(EmulatorState state, Firewall firewall, JsonObject json)
    {
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var label = body.String("label");
        var status = body.String("status");
        var tags = body.Strings("tags");
        if (label is not null)
        {
            FirewallLabel(label, problems);
            if (state.Firewalls.All.Values.Any(f => f.Label == label && f != firewall))
            {
                problems.Add("label", "Label must be unique among your Firewalls");
            }
        }
        if (status is not null and not ("enabled" or "disabled"))
        {
            problems.Add("status", Rules.OneOf(["enabled", "disabled"]));
        }
        if (tags is not null)
        {
            Rules.Tags(tags, "tags", problems);
        }
        problems.ThrowIfAny();
        firewall.Label = label ?? firewall.Label;
        firewall.Status = status ?? firewall.Status;
        if (tags is not null)
        {
            firewall.Tags = [.. tags.Distinct(StringComparer.Ordinal)];
        }
        firewall.Updated = state.Now;
        state.AddEvent(status switch { "enabled" => "firewall_enable", "disabled" => "firewall_disable", _ => "firewall_update" },
            Entity(firewall), "notification");
        return firewall.ToJson();
    }

    /// <summary>Attaches and records <c>firewall_device_add</c> (also for a create's <c>firewall_id</c>).</summary>
    internal static FirewallDevice AttachWithEvent(EmulatorState state, Firewall firewall, string type, long id, string label)
    {
        var device = state.Firewalls.Attach(firewall, type, id, label, state.Now);
        state.AddEvent("firewall_device_add", Entity(firewall), "notification", DeviceEntity(device));
        return device;
    }

    private static EventEntity Entity(Firewall firewall) => new(firewall.Id, firewall.Label, "firewall", firewall.Url);

    // The spec types secondary_entity.id as a string (as the NodeBalancer config and node events send it).
    private static EventEntity DeviceEntity(FirewallDevice device) => new(device.EntityId.ToString(CultureInfo.InvariantCulture), device.Label, device.Type,
        device.Type == "linode"
            ? "/v4/linode/instances/" + device.EntityId.ToString(CultureInfo.InvariantCulture)
            : "/v4/nodebalancers/" + device.EntityId.ToString(CultureInfo.InvariantCulture));

    private static bool Exists(EmulatorState state, string type, long id) => type == "linode"
        ? state.Instances.TryGetValue(id, out var instance) && !instance.Deleted
        : state.NodeBalancers.ContainsKey(id);

    /// <summary>Attaches, refusing an entity that does not exist or already sits behind an enabled firewall (only
    /// one enabled firewall per service, per the spec).</summary>
    private static FirewallDevice Attach(EmulatorState state, Firewall firewall, string type, long id)
    {
        if (!Exists(state, type, id))
        {
            throw ApiException.BadRequest(string.Create(CultureInfo.InvariantCulture, $"A valid {type} by the ID {id} was not found"), "id");
        }
        if (state.Firewalls.AttachedTo(type, id).Any())
        {
            var what = type == "linode" ? "Linode" : "NodeBalancer";
            throw ApiException.BadRequest(string.Create(CultureInfo.InvariantCulture,
                $"{what} {id} already has a Firewall assigned; only one Firewall can be assigned to a service"), "id");
        }
        var label = type == "linode" ? state.Instances[id].Label : state.NodeBalancers[id].Label;
        return AttachWithEvent(state, firewall, type, id, label);
    }

    private static void FirewallLabel(string label, Problems problems)
    {
        if (label.Length is < 3 or > 32)
        {
            problems.Add("label", "Length must be 3-32 characters");
        }
        else
        {
            var linode = new Problems();
            Rules.LinodeLabel(label, "label", linode);
            if (linode.Any)
            {
                problems.Add("label", "Must begin and end with an alphanumeric character, and contain only letters, numbers, '-', '_' and '.', with no '--', '__' or '..'");
            }
        }
    }

    private sealed record RuleSet(string InboundPolicy, string OutboundPolicy, List<FirewallRule> Inbound, List<FirewallRule> Outbound)
    {
        public void ApplyTo(Firewall firewall)
        {
            firewall.InboundPolicy = InboundPolicy;
            firewall.OutboundPolicy = OutboundPolicy;
            firewall.Inbound = Inbound;
            firewall.Outbound = Outbound;
        }
    }

    /// <summary>Reads a rules object; on PUT …/rules what is left out keeps its value (<paramref name="existing"/>).</summary>
    private static RuleSet ReadRules(RequestBody body, Problems problems, bool required, Firewall? existing)
    {
        var inboundPolicy = Policy(body, "inbound_policy", required) ?? existing?.InboundPolicy ?? "ACCEPT";
        var outboundPolicy = Policy(body, "outbound_policy", required) ?? existing?.OutboundPolicy ?? "ACCEPT";
        var inbound = ReadRuleList(body, "inbound") ?? existing?.Inbound ?? [];
        var outbound = ReadRuleList(body, "outbound") ?? existing?.Outbound ?? [];
        if (inbound.Count + outbound.Count > MaxRules)
        {
            body.Add("inbound", string.Create(CultureInfo.InvariantCulture, $"A Firewall may have at most {MaxRules} rules"));
        }
        return new RuleSet(inboundPolicy, outboundPolicy, inbound, outbound);
    }

    private static string? Policy(RequestBody body, string name, bool required)
    {
        var value = body.String(name, required);
        if (value is not null && !Policies.Contains(value, StringComparer.Ordinal))
        {
            body.Add(name, Rules.OneOf(Policies));
            return null;
        }
        return value;
    }

    private static List<FirewallRule>? ReadRuleList(RequestBody body, string name)
    {
        var items = body.Objects(name);
        if (items is null)
        {
            return null;
        }
        var rules = new List<FirewallRule>();
        foreach (var item in items)
        {
            var action = item.String("action", required: true);
            var protocol = item.String("protocol", required: true);
            var ports = item.String("ports");
            var label = item.String("label");
            var description = item.String("description");
            var addresses = item.Object("addresses");
            if (addresses is null)
            {
                item.Add("addresses", "addresses is required");
            }
            var ipv4 = addresses?.Strings("ipv4");
            var ipv6 = addresses?.Strings("ipv6");
            if (addresses is not null && ipv4 is null && ipv6 is null)
            {
                addresses.Add("ipv4", "Must contain ipv4, ipv6, or both");
            }
            if (action is not null && !Policies.Contains(action, StringComparer.Ordinal))
            {
                item.Add("action", Rules.OneOf(Policies));
            }
            if (protocol is not null && !Protocols.Contains(protocol, StringComparer.Ordinal))
            {
                item.Add("protocol", Rules.OneOf(Protocols));
            }
            if (ports is not null && InboundRule.ParsePorts(ports) is null)
            {
                item.Add("ports", "Must be a comma-separated list of ports or port ranges (1-65535)");
            }
            if (protocol is "ICMP" or "IPENCAP" && !string.IsNullOrEmpty(ports))
            {
                item.Add("ports", "Ports are not allowed for ICMP and IPENCAP rules");
            }
            if (label is not null && label.Length is < 3 or > 32)
            {
                item.Add("label", "Length must be 3-32 characters");
            }
            foreach (var address in ipv4 ?? [])
            {
                if (InboundRule.ParseNetwork(address) is not { } network
                    || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    addresses!.Add("ipv4", $"'{address}' is not a valid IPv4 address or network");
                }
            }
            rules.Add(new FirewallRule(action ?? "ACCEPT", protocol ?? "TCP", ports, ipv4, ipv6, label, description));
        }
        return rules;
    }
}

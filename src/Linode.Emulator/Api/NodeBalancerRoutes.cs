using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Linode.Emulator.Catalog;
using Linode.Emulator.State;
using Microsoft.AspNetCore.Routing;

namespace Linode.Emulator.Api;

/// <summary>/nodebalancers, their configs and nodes: reads and checks each request (<see cref="NodeBalancerRules"/>
/// for what depends on the state), lets <see cref="NodeBalancerLifecycle"/> change the state, and shapes the answer.
/// Every change that affects traffic is applied to the load balancer runtime before the API answers.</summary>
internal static partial class NodeBalancerRoutes
{
    private static readonly IReadOnlySet<string> Filterable = new HashSet<string>(StringComparer.Ordinal) { "label", "region", "ipv4", "tags" };
    private static readonly IReadOnlySet<string> NotFilterable = new HashSet<string>(StringComparer.Ordinal);

    public static void MapNodeBalancers(this IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;
        var nbs = api.NodeBalancers;

        app.Map(api, "GET", "/nodebalancers", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, Filterable);
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(paging.Envelope(state.NodeBalancers.Values.Select(nb => nb.ToJson()).ToList()));
            }
        });

        app.Map(api, "POST", "/nodebalancers", Access.Token, async r =>
        {
            var body = await r.BodyAsync();
            return await api.Balancers.ChangeAsync(() => CreateNodeBalancer(api, body));
        });

        app.Map(api, "GET", "/nodebalancers/{nodeBalancerId}", Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(Found(nbs.Find(r.Id("nodeBalancerId"))).ToJson());
            }
        });

        app.Map(api, "PUT", "/nodebalancers/{nodeBalancerId}", Access.Token, async r =>
        {
            var id = r.Id("nodeBalancerId");
            var body = await r.BodyAsync();
            lock (state.Gate)
            {
                return UpdateNodeBalancer(api, Found(nbs.Find(id)), body);
            }
        });

        app.Map(api, "DELETE", "/nodebalancers/{nodeBalancerId}", Access.Token, async r =>
        {
            var id = r.Id("nodeBalancerId");
            return await api.Balancers.ChangeAsync(() =>
            {
                lock (state.Gate)
                {
                    return nbs.Delete(Found(nbs.Find(id))).Select<JsonNode>(_ => new JsonObject());
                }
            });
        });

        MapConfigs(app, api);
        MapNodes(app, api);
    }

    private static void MapConfigs(IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;
        var nbs = api.NodeBalancers;
        const string configs = "/nodebalancers/{nodeBalancerId}/configs";
        const string config = configs + "/{configId}";

        app.Map(api, "GET", configs, Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, NotFilterable);
            lock (state.Gate)
            {
                var nb = Found(nbs.Find(r.Id("nodeBalancerId")));
                return Task.FromResult<JsonNode>(paging.Envelope(nb.Configs.Select(c => c.ToJson(api.Balancers.StatusOf)).ToList()));
            }
        });

        app.Map(api, "POST", configs, Access.Token, async r =>
        {
            var nbId = r.Id("nodeBalancerId");
            var body = await r.BodyAsync();
            return await api.Balancers.ChangeAsync(() =>
            {
                lock (state.Gate)
                {
                    var nb = Found(nbs.Find(nbId));
                    var problems = new Problems();
                    var draft = NodeBalancerLifecycle.Draft(nb);
                    var configBody = new RequestBody(body, problems);
                    ReadConfig(configBody, draft, NodeBalancerLifecycle.PortsInUse(nb));
                    // The 4.189 schema does not list "nodes" here, but the live API takes them (Linode's JS SDK
                    // requires at least one, linodego sends them): create them with the config.
                    var nodeDrafts = new List<NodeDraft>();
                    foreach (var nodeBody in configBody.Objects("nodes") ?? [])
                    {
                        var nodeDraft = new NodeDraft();
                        ReadNode(state, nodeBody, nodeDraft, nb.Region, create: true);
                        nodeDrafts.Add(nodeDraft);
                    }
                    problems.ThrowIfAny();
                    return nbs.AddConfig(nb, new ConfigDraft(draft, nodeDrafts)).Select(ConfigJson(api));
                }
            });
        });

        app.Map(api, "GET", config, Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(Found(nbs.FindConfig(r.Id("nodeBalancerId"), r.Id("configId"))).ToJson(api.Balancers.StatusOf));
            }
        });

        app.Map(api, "PUT", config, Access.Token, async r =>
        {
            var (nbId, configId) = (r.Id("nodeBalancerId"), r.Id("configId"));
            var body = await r.BodyAsync();
            return await api.Balancers.ChangeAsync(() =>
            {
                lock (state.Gate)
                {
                    var existing = Found(nbs.FindConfig(nbId, configId));
                    var problems = new Problems();
                    var draft = NodeBalancerLifecycle.Draft(existing.NodeBalancer, existing);
                    ReadConfig(new RequestBody(body, problems), draft, NodeBalancerLifecycle.PortsInUse(existing.NodeBalancer, existing));
                    problems.ThrowIfAny();
                    return nbs.UpdateConfig(existing, draft).Select(ConfigJson(api));
                }
            });
        });

        app.Map(api, "DELETE", config, Access.Token, async r =>
        {
            var (nbId, configId) = (r.Id("nodeBalancerId"), r.Id("configId"));
            return await api.Balancers.ChangeAsync(() =>
            {
                lock (state.Gate)
                {
                    return nbs.DeleteConfig(Found(nbs.FindConfig(nbId, configId))).Select<JsonNode>(_ => new JsonObject());
                }
            });
        });

        app.Map(api, "POST", config + "/rebuild", Access.Token, async r =>
        {
            var (nbId, configId) = (r.Id("nodeBalancerId"), r.Id("configId"));
            var body = await r.BodyAsync();
            return await api.Balancers.ChangeAsync(() =>
            {
                lock (state.Gate)
                {
                    return Rebuild(api, Found(nbs.FindConfig(nbId, configId)), body);
                }
            });
        });
    }

    private static void MapNodes(IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;
        var nbs = api.NodeBalancers;
        const string nodes = "/nodebalancers/{nodeBalancerId}/configs/{configId}/nodes";
        const string node = nodes + "/{nodeId}";

        app.Map(api, "GET", nodes, Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, NotFilterable);
            lock (state.Gate)
            {
                var config = Found(nbs.FindConfig(r.Id("nodeBalancerId"), r.Id("configId")));
                return Task.FromResult<JsonNode>(paging.Envelope(config.Nodes.Select(n => n.ToJson(api.Balancers.StatusOf(n))).ToList()));
            }
        });

        app.Map(api, "POST", nodes, Access.Token, async r =>
        {
            var (nbId, configId) = (r.Id("nodeBalancerId"), r.Id("configId"));
            var body = await r.BodyAsync();
            return await api.Balancers.ChangeAsync(() =>
            {
                lock (state.Gate)
                {
                    var config = Found(nbs.FindConfig(nbId, configId));
                    var problems = new Problems();
                    var draft = new NodeDraft();
                    ReadNode(state, new RequestBody(body, problems), draft, config.NodeBalancer.Region, create: true);
                    problems.ThrowIfAny();
                    return nbs.AddNode(config, draft).Select(NodeJson(api));
                }
            });
        });

        app.Map(api, "GET", node, Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult(NodeJson(api)(Found(nbs.FindNode(r.Id("nodeBalancerId"), r.Id("configId"), r.Id("nodeId")))));
            }
        });

        app.Map(api, "PUT", node, Access.Token, async r =>
        {
            var (nbId, configId, nodeId) = (r.Id("nodeBalancerId"), r.Id("configId"), r.Id("nodeId"));
            var body = await r.BodyAsync();
            return await api.Balancers.ChangeAsync(() =>
            {
                lock (state.Gate)
                {
                    var existing = Found(nbs.FindNode(nbId, configId, nodeId));
                    var problems = new Problems();
                    var draft = NodeDraft.Of(existing);
                    ReadNode(state, new RequestBody(body, problems), draft, existing.Config.NodeBalancer.Region, create: false);
                    problems.ThrowIfAny();
                    return nbs.UpdateNode(existing, draft).Select(NodeJson(api));
                }
            });
        });

        app.Map(api, "DELETE", node, Access.Token, async r =>
        {
            var (nbId, configId, nodeId) = (r.Id("nodeBalancerId"), r.Id("configId"), r.Id("nodeId"));
            return await api.Balancers.ChangeAsync(() =>
            {
                lock (state.Gate)
                {
                    return nbs.DeleteNode(Found(nbs.FindNode(nbId, configId, nodeId))).Select<JsonNode>(_ => new JsonObject());
                }
            });
        });
    }

    private static BalancerChange<JsonNode> CreateNodeBalancer(ApiContext api, JsonObject json)
    {
        var state = api.State;
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var regionId = body.String("region", required: true);
        var label = body.String("label");
        var throttle = body.Int("client_conn_throttle");
        var tags = body.Strings("tags") ?? [];
        var firewallId = body.Long("firewall_id");
        var configBodies = body.Objects("configs") ?? [];

        lock (state.Gate)
        {
            Region? region = null;
            if (regionId is not null)
            {
                region = state.Catalog.FindRegion(regionId);
                if (region is null)
                {
                    problems.Add("region", "region is not valid");
                }
                else if (!region.Has("NodeBalancers"))
                {
                    problems.Add("region", "NodeBalancers are not available in this region");
                    region = null;
                }
            }
            if (label is not null)
            {
                Rules.NodeBalancerLabel(label, "label", problems);
                if (NodeBalancerRules.IsLabelTaken(state, label))
                {
                    problems.Add("label", NodeBalancerRules.LabelTaken);
                }
            }
            if (throttle is < 0 or > 20)
            {
                problems.Add("client_conn_throttle", "Must be between 0 and 20");
            }
            Rules.Tags(tags, "tags", problems);
            if (firewallId is { } fw && (!state.Firewalls.All.TryGetValue(fw, out var firewall) || firewall.Status == "deleted"))
            {
                problems.Add("firewall_id", "A valid firewall by that ID was not found");
            }

            // Configs are read onto drafts of a placeholder NodeBalancer in the requested region.
            var ports = new HashSet<int>();
            var drafts = new List<ConfigDraft>();
            foreach (var configBody in configBodies)
            {
                var draft = api.NodeBalancers.DraftInRegion(region);
                ReadConfig(configBody, draft, ports);
                ports.Add(draft.Port);
                var nodeDrafts = new List<NodeDraft>();
                var nodeBodies = configBody.Objects("nodes", required: true);
                if (nodeBodies is { Count: 0 })
                {
                    configBody.Add("nodes", "Must contain at least one node");
                }
                foreach (var nodeBody in nodeBodies ?? [])
                {
                    var nodeDraft = new NodeDraft();
                    if (region is not null)
                    {
                        ReadNode(state, nodeBody, nodeDraft, region, create: true);
                    }
                    nodeDrafts.Add(nodeDraft);
                }
                drafts.Add(new ConfigDraft(draft, nodeDrafts));
            }
            problems.ThrowIfAny();

            var created = api.NodeBalancers.Create(region!, label, throttle, tags, drafts)
                ?? throw ApiException.BadRequest("No IPv4 addresses are available.");
            if (firewallId is { } attach)
            {
                // Behind its firewall from the start: the listeners begin with the firewall's rules.
                FirewallRoutes.AttachWithEvent(state, state.Firewalls.All[attach], "nodebalancer", created.Result.Id, created.Result.Label);
                created = created with { Apply = [.. created.Result.Configs.Select(api.Balancers.Spec)] };
            }
            return created.Select<JsonNode>(nb => nb.ToJson());
        }
    }

    private static JsonObject UpdateNodeBalancer(ApiContext api, NodeBalancer nb, JsonObject json)
    {
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var label = body.String("label");
        var throttle = body.Int("client_conn_throttle");
        var tags = body.Strings("tags");
        if (label is not null)
        {
            Rules.NodeBalancerLabel(label, "label", problems);
            if (NodeBalancerRules.IsLabelTaken(api.State, label, exceptId: nb.Id))
            {
                problems.Add("label", NodeBalancerRules.LabelTaken);
            }
        }
        if (throttle is < 0 or > 20)
        {
            problems.Add("client_conn_throttle", "Must be between 0 and 20");
        }
        if (tags is not null)
        {
            Rules.Tags(tags, "tags", problems);
        }
        problems.ThrowIfAny();
        return api.NodeBalancers.Update(nb, label, throttle, tags).ToJson();
    }

    /// <summary>A config plus its complete node list: listed nodes with an id are updated, without one created,
    /// and nodes not listed deleted.</summary>
    private static BalancerChange<JsonNode> Rebuild(ApiContext api, NodeBalancerConfig config, JsonObject json)
    {
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var draft = NodeBalancerLifecycle.Draft(config.NodeBalancer, config);
        ReadConfig(body, draft, NodeBalancerLifecycle.PortsInUse(config.NodeBalancer, config));
        var nodeBodies = body.Objects("nodes", required: true) ?? [];
        var plan = new List<(NodeBalancerNode? Existing, NodeDraft Draft)>();
        foreach (var nodeBody in nodeBodies)
        {
            var nodeId = nodeBody.Long("id");
            NodeBalancerNode? existing = null;
            if (nodeId is not null)
            {
                existing = config.Nodes.Find(n => n.Id == nodeId);
                if (existing is null)
                {
                    nodeBody.Add("id", "Not found");
                }
                else if (plan.Exists(p => p.Existing == existing))
                {
                    nodeBody.Add("id", "Listed more than once");
                }
            }
            var nodeDraft = existing is null ? new NodeDraft() : NodeDraft.Of(existing);
            ReadNode(api.State, nodeBody, nodeDraft, config.NodeBalancer.Region, create: existing is null);
            plan.Add((existing, nodeDraft));
        }
        problems.ThrowIfAny();
        return api.NodeBalancers.Rebuild(config, draft, plan).Select(ConfigJson(api));
    }

    /// <summary>Reads the config fields present in the body onto <paramref name="draft"/>, then lets the rules check
    /// the result as a whole.</summary>
    private static void ReadConfig(RequestBody body, NodeBalancerConfig draft, HashSet<int> portsInUse)
    {
        if (body.Int("port") is { } port)
        {
            if (port is < 1 or > 65535)
            {
                body.Add("port", "Must be between 1 and 65535");
            }
            draft.Port = port;
        }
        draft.Protocol = Choice(body, "protocol", NodeBalancerRules.Protocols) ?? draft.Protocol;
        draft.Algorithm = Choice(body, "algorithm", NodeBalancerRules.Algorithms) ?? draft.Algorithm;
        draft.Stickiness = Choice(body, "stickiness", NodeBalancerRules.Stickinesses) ?? draft.Stickiness;
        draft.Check = Choice(body, "check", NodeBalancerRules.Checks) ?? draft.Check;
        draft.CipherSuite = Choice(body, "cipher_suite", NodeBalancerRules.CipherSuites) ?? draft.CipherSuite;
        draft.ProxyProtocol = Choice(body, "proxy_protocol", NodeBalancerRules.ProxyProtocols) ?? draft.ProxyProtocol;
        draft.CheckInterval = body.Int("check_interval") ?? draft.CheckInterval;
        draft.CheckTimeout = body.Int("check_timeout") ?? draft.CheckTimeout;
        draft.CheckAttempts = body.Int("check_attempts") ?? draft.CheckAttempts;
        if (body.String("check_path") is { } path)
        {
            if (!CheckPathPattern().IsMatch(path))
            {
                body.Add("check_path", @"Must match ^[a-zA-Z0-9\/\-%?&=.]*$");
            }
            draft.CheckPath = path;
        }
        draft.CheckBody = body.String("check_body") ?? draft.CheckBody;
        draft.CheckPassive = body.Bool("check_passive") ?? draft.CheckPassive;
        var cert = body.String("ssl_cert");
        var key = body.String("ssl_key");

        NodeBalancerRules.CheckConfig(draft, portsInUse, checkPort: !body.Problems.Has(body.PathOf("port")), body.Add);
        NodeBalancerRules.ApplyTls(draft, cert, key, body.Add);
    }

    private static void ReadNode(EmulatorState state, RequestBody body, NodeDraft draft, Region region, bool create)
    {
        if (body.String("label", required: create) is { } label)
        {
            Rules.NodeLabel(label, body.PathOf("label"), body.Problems);
            draft.Label = label;
        }
        if (body.String("address", required: create) is { } address)
        {
            if (!TryParseAddress(address, out var ip, out var port))
            {
                body.Add("address", "Must be in address:port format");
            }
            else if (NodeBalancerRules.BackendProblem(state, ip, region) is { } problem)
            {
                body.Add("address", problem);
            }
            else
            {
                draft.PrivateAddress = ip;
                draft.Port = port;
            }
        }
        if (body.Int("weight") is { } weight)
        {
            if (weight is < 1 or > 255)
            {
                body.Add("weight", "Must be between 1 and 255");
            }
            draft.Weight = weight;
        }
        draft.Mode = Choice(body, "mode", NodeBalancerRules.Modes) ?? draft.Mode;
    }

    private static bool TryParseAddress(string text, out IPAddress address, out int port)
    {
        address = IPAddress.None;
        port = 0;
        var colon = text.LastIndexOf(':');
        return colon > 0
            && IPAddress.TryParse(text[..colon], out address!)
            && address.AddressFamily == AddressFamily.InterNetwork
            && text[..colon].Count(c => c == '.') == 3
            && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is >= 1 and <= 65535;
    }

    private static string? Choice(RequestBody body, string name, string[] allowed)
    {
        var value = body.String(name);
        if (value is null)
        {
            return null;
        }
        if (!allowed.Contains(value, StringComparer.Ordinal))
        {
            body.Add(name, Rules.OneOf(allowed));
            return null;
        }
        return value;
    }

    private static Func<NodeBalancerConfig, JsonNode> ConfigJson(ApiContext api) => c => c.ToJson(api.Balancers.StatusOf);

    private static Func<NodeBalancerNode, JsonNode> NodeJson(ApiContext api) => n => n.ToJson(api.Balancers.StatusOf(n));

    private static T Found<T>(T? found) where T : class => found ?? throw ApiException.NotFound();

    [GeneratedRegex(@"^[a-zA-Z0-9\/\-%?&=.]*$")]
    private static partial Regex CheckPathPattern();
}

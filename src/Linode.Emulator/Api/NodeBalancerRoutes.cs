using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Linode.Emulator.Catalog;
using Linode.Emulator.Runtime;
using Linode.Emulator.State;
using Microsoft.AspNetCore.Routing;

namespace Linode.Emulator.Api;

/// <summary>/nodebalancers, their configs and nodes. Every change that affects traffic is applied to the load
/// balancer runtime before the API answers.</summary>
internal static partial class NodeBalancerRoutes
{
    private static readonly IReadOnlySet<string> Filterable = new HashSet<string>(StringComparer.Ordinal) { "label", "region", "ipv4", "tags" };
    private static readonly IReadOnlySet<string> NotFilterable = new HashSet<string>(StringComparer.Ordinal);

    private static readonly string[] Protocols = ["http", "https", "tcp"];
    private static readonly string[] Algorithms = ["roundrobin", "leastconn", "source"];
    private static readonly string[] Stickinesses = ["none", "table", "http_cookie"];
    private static readonly string[] Checks = ["none", "connection", "http", "http_body"];
    private static readonly string[] CipherSuites = ["recommended", "legacy"];
    private static readonly string[] ProxyProtocols = ["none", "v1", "v2"];
    private static readonly string[] Modes = ["accept", "reject", "drain", "backup"];

    public static void MapNodeBalancers(this IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;

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
                return Task.FromResult<JsonNode>(FindNodeBalancer(state, r.Id("nodeBalancerId")).ToJson());
            }
        });

        app.Map(api, "PUT", "/nodebalancers/{nodeBalancerId}", Access.Token, async r =>
        {
            var id = r.Id("nodeBalancerId");
            var body = await r.BodyAsync();
            lock (state.Gate)
            {
                return UpdateNodeBalancer(state, FindNodeBalancer(state, id), body);
            }
        });

        app.Map(api, "DELETE", "/nodebalancers/{nodeBalancerId}", Access.Token, async r =>
        {
            var id = r.Id("nodeBalancerId");
            return await api.Balancers.ChangeAsync(() =>
            {
                lock (state.Gate)
                {
                    var nb = FindNodeBalancer(state, id);
                    var removed = nb.Configs.Select(c => c.Id).ToList();
                    foreach (var config in nb.Configs)
                    {
                        foreach (var node in config.Nodes)
                        {
                            state.Nodes.Remove(node.Id);
                        }
                        state.Configs.Remove(config.Id);
                    }
                    state.NodeBalancers.Remove(id);
                    state.NodeBalancerPool.Release(nb.Ipv4);
                    state.ReleaseUnreferencedRetired();
                    state.AddEvent("nodebalancer_delete", EventEntity.Of(nb), "notification");
                    return new BalancerChange<JsonNode>(new JsonObject(), [], removed);
                }
            });
        });

        MapConfigs(app, api);
        MapNodes(app, api);
    }

    private static void MapConfigs(IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;
        const string configs = "/nodebalancers/{nodeBalancerId}/configs";
        const string config = configs + "/{configId}";

        app.Map(api, "GET", configs, Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, NotFilterable);
            lock (state.Gate)
            {
                var nb = FindNodeBalancer(state, r.Id("nodeBalancerId"));
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
                    var nb = FindNodeBalancer(state, nbId);
                    var problems = new Problems();
                    var draft = new NodeBalancerConfig { Id = 0, NodeBalancer = nb };
                    var configBody = new RequestBody(body, problems);
                    ReadConfig(configBody, draft, nb.Configs.Select(c => c.Port).ToHashSet());
                    // The 4.189 schema does not list "nodes" here, but the live API takes them (Linode's JS SDK
                    // requires at least one, linodego sends them): create them with the config.
                    var nodeDrafts = new List<NodeDraft>();
                    foreach (var nodeBody in configBody.Objects("nodes") ?? [])
                    {
                        var nodeDraft = new NodeDraft();
                        ReadNode(state, nodeBody, nodeDraft, nb, create: true);
                        nodeDrafts.Add(nodeDraft);
                    }
                    problems.ThrowIfAny();
                    var created = AddConfig(state, nb, draft);
                    state.AddEvent("nodebalancer_config_create", EventEntity.Of(nb), "notification", ConfigEntity(created));
                    foreach (var nodeDraft in nodeDrafts)
                    {
                        var node = AddNode(state, created, nodeDraft);
                        state.AddEvent("nodebalancer_node_create", EventEntity.Of(nb), "notification", NodeEntity(node));
                    }
                    nb.Updated = state.Now;
                    return new BalancerChange<JsonNode>(created.ToJson(api.Balancers.StatusOf), [api.Balancers.Spec(created)], []);
                }
            });
        });

        app.Map(api, "GET", config, Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(FindConfig(state, r.Id("nodeBalancerId"), r.Id("configId")).ToJson(api.Balancers.StatusOf));
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
                    var existing = FindConfig(state, nbId, configId);
                    var problems = new Problems();
                    var draft = Copy(existing);
                    ReadConfig(new RequestBody(body, problems), draft, OtherPorts(existing));
                    problems.ThrowIfAny();
                    CopySettings(draft, existing);
                    state.AddEvent("nodebalancer_config_update", EventEntity.Of(existing.NodeBalancer), "notification", ConfigEntity(existing));
                    return new BalancerChange<JsonNode>(existing.ToJson(api.Balancers.StatusOf), [api.Balancers.Spec(existing)], []);
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
                    var existing = FindConfig(state, nbId, configId);
                    foreach (var node in existing.Nodes)
                    {
                        state.Nodes.Remove(node.Id);
                    }
                    existing.NodeBalancer.Configs.Remove(existing);
                    state.Configs.Remove(existing.Id);
                    state.ReleaseUnreferencedRetired();
                    state.AddEvent("nodebalancer_config_delete", EventEntity.Of(existing.NodeBalancer), "notification", ConfigEntity(existing));
                    return new BalancerChange<JsonNode>(new JsonObject(), [], [existing.Id]);
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
                    return Rebuild(api, FindConfig(state, nbId, configId), body);
                }
            });
        });
    }

    private static void MapNodes(IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;
        const string nodes = "/nodebalancers/{nodeBalancerId}/configs/{configId}/nodes";
        const string node = nodes + "/{nodeId}";

        app.Map(api, "GET", nodes, Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, NotFilterable);
            lock (state.Gate)
            {
                var config = FindConfig(state, r.Id("nodeBalancerId"), r.Id("configId"));
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
                    var config = FindConfig(state, nbId, configId);
                    var problems = new Problems();
                    var draft = new NodeDraft();
                    ReadNode(state, new RequestBody(body, problems), draft, config.NodeBalancer, create: true);
                    problems.ThrowIfAny();
                    var created = AddNode(state, config, draft);
                    state.AddEvent("nodebalancer_node_create", EventEntity.Of(config.NodeBalancer), "notification", NodeEntity(created));
                    return new BalancerChange<JsonNode>(created.ToJson(api.Balancers.StatusOf(created)), [api.Balancers.Spec(config)], []);
                }
            });
        });

        app.Map(api, "GET", node, Access.Token, r =>
        {
            lock (state.Gate)
            {
                var found = FindNode(state, r.Id("nodeBalancerId"), r.Id("configId"), r.Id("nodeId"));
                return Task.FromResult<JsonNode>(found.ToJson(api.Balancers.StatusOf(found)));
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
                    var existing = FindNode(state, nbId, configId, nodeId);
                    var problems = new Problems();
                    var draft = NodeDraft.Of(existing);
                    ReadNode(state, new RequestBody(body, problems), draft, existing.Config.NodeBalancer, create: false);
                    problems.ThrowIfAny();
                    draft.ApplyTo(existing);
                    state.ReleaseUnreferencedRetired();
                    state.AddEvent("nodebalancer_node_update", EventEntity.Of(existing.Config.NodeBalancer), "notification", NodeEntity(existing));
                    return new BalancerChange<JsonNode>(existing.ToJson(api.Balancers.StatusOf(existing)), [api.Balancers.Spec(existing.Config)], []);
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
                    var existing = FindNode(state, nbId, configId, nodeId);
                    existing.Config.Nodes.Remove(existing);
                    state.Nodes.Remove(existing.Id);
                    state.ReleaseUnreferencedRetired();
                    state.AddEvent("nodebalancer_node_delete", EventEntity.Of(existing.Config.NodeBalancer), "notification", NodeEntity(existing));
                    return new BalancerChange<JsonNode>(new JsonObject(), [api.Balancers.Spec(existing.Config)], []);
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
        body.Long("firewall_id");
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
                if (state.NodeBalancers.Values.Any(nb => nb.Label == label))
                {
                    problems.Add("label", "Label must be unique among your NodeBalancers");
                }
            }
            if (throttle is < 0 or > 20)
            {
                problems.Add("client_conn_throttle", "Must be between 0 and 20");
            }
            Rules.Tags(tags, "tags", problems);

            // Configs and their nodes are checked against a placeholder NodeBalancer in the requested region.
            var placeholder = new NodeBalancer
            {
                Id = 0,
                Label = "",
                Region = region ?? state.Catalog.Regions.First(),
                Ipv4 = IPAddress.Loopback,
                Ipv6 = "",
                Created = state.Now,
                Updated = state.Now,
            };
            var ports = new HashSet<int>();
            var drafts = new List<(NodeBalancerConfig Config, List<NodeDraft> Nodes)>();
            foreach (var configBody in configBodies)
            {
                var draft = new NodeBalancerConfig { Id = 0, NodeBalancer = placeholder };
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
                        ReadNode(state, nodeBody, nodeDraft, placeholder, create: true);
                    }
                    nodeDrafts.Add(nodeDraft);
                }
                drafts.Add((draft, nodeDrafts));
            }
            problems.ThrowIfAny();

            var ipv4 = state.NodeBalancerPool.Allocate() ?? throw ApiException.BadRequest("No IPv4 addresses are available.");
            var id = state.NextNodeBalancerId();
            var now = state.Now;
            var created = new NodeBalancer
            {
                Id = id,
                Label = label ?? "balancer" + id.ToString(CultureInfo.InvariantCulture),
                Region = region!,
                Ipv4 = ipv4,
                Ipv6 = string.Create(CultureInfo.InvariantCulture, $"{region!.Ipv6Prefix}:1::{(id >> 16) & 0xFFFF:x}:{id & 0xFFFF:x}"),
                ClientConnThrottle = throttle ?? 0,
                Tags = [.. tags.Distinct(StringComparer.Ordinal)],
                Created = now,
                Updated = now,
            };
            state.NodeBalancers[id] = created;
            state.EnsureTags(created.Tags);
            state.AddEvent("nodebalancer_create", EventEntity.Of(created), "notification");

            var apply = new List<BalancerConfigSpec>();
            foreach (var (draft, nodeDrafts) in drafts)
            {
                var config = AddConfig(state, created, draft);
                state.AddEvent("nodebalancer_config_create", EventEntity.Of(created), "notification", ConfigEntity(config));
                foreach (var nodeDraft in nodeDrafts)
                {
                    var node = AddNode(state, config, nodeDraft);
                    state.AddEvent("nodebalancer_node_create", EventEntity.Of(created), "notification", NodeEntity(node));
                }
                apply.Add(api.Balancers.Spec(config));
            }
            return new BalancerChange<JsonNode>(created.ToJson(), apply, []);
        }
    }

    private static JsonObject UpdateNodeBalancer(EmulatorState state, NodeBalancer nb, JsonObject json)
    {
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var label = body.String("label");
        var throttle = body.Int("client_conn_throttle");
        var tags = body.Strings("tags");
        if (label is not null)
        {
            Rules.NodeBalancerLabel(label, "label", problems);
            if (state.NodeBalancers.Values.Any(other => other.Id != nb.Id && other.Label == label))
            {
                problems.Add("label", "Label must be unique among your NodeBalancers");
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
        nb.Label = label ?? nb.Label;
        nb.ClientConnThrottle = throttle ?? nb.ClientConnThrottle;
        if (tags is not null)
        {
            nb.Tags = [.. tags.Distinct(StringComparer.Ordinal)];
            state.EnsureTags(nb.Tags);
        }
        nb.Updated = state.Now;
        state.AddEvent("nodebalancer_update", EventEntity.Of(nb), "notification");
        return nb.ToJson();
    }

    /// <summary>A config plus its complete node list: listed nodes with an id are updated, without one created,
    /// and nodes not listed deleted.</summary>
    private static BalancerChange<JsonNode> Rebuild(ApiContext api, NodeBalancerConfig config, JsonObject json)
    {
        var state = api.State;
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var draft = Copy(config);
        ReadConfig(body, draft, OtherPorts(config));
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
            ReadNode(state, nodeBody, nodeDraft, config.NodeBalancer, create: existing is null);
            plan.Add((existing, nodeDraft));
        }
        problems.ThrowIfAny();

        CopySettings(draft, config);
        var keep = plan.Where(p => p.Existing is not null).Select(p => p.Existing!).ToHashSet();
        foreach (var gone in config.Nodes.Where(n => !keep.Contains(n)).ToList())
        {
            config.Nodes.Remove(gone);
            state.Nodes.Remove(gone.Id);
        }
        foreach (var (existing, nodeDraft) in plan)
        {
            if (existing is null)
            {
                AddNode(state, config, nodeDraft);
            }
            else
            {
                nodeDraft.ApplyTo(existing);
            }
        }
        state.ReleaseUnreferencedRetired();
        state.AddEvent("nodebalancer_config_update", EventEntity.Of(config.NodeBalancer), "notification", ConfigEntity(config));
        return new BalancerChange<JsonNode>(config.ToJson(api.Balancers.StatusOf), [api.Balancers.Spec(config)], []);
    }

    /// <summary>Reads the config fields present in the body onto <paramref name="draft"/> and checks the result as a
    /// whole (a port free on the NodeBalancer, check_interval above check_timeout, certificate for https...).</summary>
    private static void ReadConfig(RequestBody body, NodeBalancerConfig draft, HashSet<int> portsInUse)
    {
        var problems = body.Problems;
        if (body.Int("port") is { } port)
        {
            if (port is < 1 or > 65535)
            {
                body.Add("port", "Must be between 1 and 65535");
            }
            draft.Port = port;
        }
        draft.Protocol = Choice(body, "protocol", Protocols) ?? draft.Protocol;
        draft.Algorithm = Choice(body, "algorithm", Algorithms) ?? draft.Algorithm;
        draft.Stickiness = Choice(body, "stickiness", Stickinesses) ?? draft.Stickiness;
        draft.Check = Choice(body, "check", Checks) ?? draft.Check;
        draft.CipherSuite = Choice(body, "cipher_suite", CipherSuites) ?? draft.CipherSuite;
        draft.ProxyProtocol = Choice(body, "proxy_protocol", ProxyProtocols) ?? draft.ProxyProtocol;
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

        if (!problems.Has(body.PathOf("port")) && portsInUse.Contains(draft.Port))
        {
            body.Add("port", "Port is already in use by another config on this NodeBalancer");
        }
        if (draft.CheckTimeout is < 1 or > 30)
        {
            body.Add("check_timeout", "Must be between 1 and 30");
        }
        if (draft.CheckAttempts is < 1 or > 30)
        {
            body.Add("check_attempts", "Must be between 1 and 30");
        }
        if (draft.CheckInterval is < 2 or > 3600)
        {
            body.Add("check_interval", "Must be between 2 and 3600");
        }
        else if (draft.CheckInterval <= draft.CheckTimeout)
        {
            body.Add("check_interval", "check_interval must be greater than check_timeout");
        }
        if (draft.Check == "http_body" && draft.CheckBody.Length == 0)
        {
            body.Add("check_body", "check_body is required for http_body checks");
        }
        if (draft.Stickiness == "http_cookie" && draft.Protocol == "tcp")
        {
            body.Add("stickiness", "http_cookie stickiness needs the http or https protocol");
        }
        if (draft.ProxyProtocol != "none" && draft.Protocol != "tcp")
        {
            body.Add("proxy_protocol", "Proxy protocol needs the tcp protocol");
        }

        if (draft.Protocol == "https")
        {
            if (cert is not null)
            {
                draft.SslCert = cert;
            }
            if (key is not null)
            {
                draft.SslKey = key;
            }
            if (draft.SslCert is null)
            {
                body.Add("ssl_cert", "ssl_cert is required for https");
            }
            if (draft.SslKey is null)
            {
                body.Add("ssl_key", "ssl_key is required for https");
            }
            if (draft.SslCert is not null && draft.SslKey is not null && (cert is not null || key is not null))
            {
                try
                {
                    using var parsed = X509Certificate2.CreateFromPem(draft.SslCert, draft.SslKey);
                    draft.SslCommonName = parsed.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
                    draft.SslFingerprint = string.Join(':', parsed.Thumbprint.Chunk(2).Select(c => new string(c)));
                }
                catch (CryptographicException)
                {
                    body.Add("ssl_cert", "The certificate and key are not a valid PEM pair");
                }
            }
        }
        else
        {
            draft.SslCert = null;
            draft.SslKey = null;
            draft.SslCommonName = "";
            draft.SslFingerprint = "";
        }
    }

    private static void ReadNode(EmulatorState state, RequestBody body, NodeDraft draft, NodeBalancer nb, bool create)
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
            else if (!state.PrivatePool.Contains(ip))
            {
                // The real API only takes private addresses; here they are also the only ones that map to a backend.
                body.Add("address", "Must be a private IP address");
            }
            else if (state.InstanceWithPrivate(ip) is not { } owner || owner.Region.Id != nb.Region.Id)
            {
                body.Add("address", $"No Linode in {nb.Region.Id} has the private IP address {ip}");
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
        draft.Mode = Choice(body, "mode", Modes) ?? draft.Mode;
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

    private static NodeBalancerConfig AddConfig(EmulatorState state, NodeBalancer nb, NodeBalancerConfig draft)
    {
        var config = new NodeBalancerConfig { Id = state.NextConfigId(), NodeBalancer = nb };
        CopySettings(draft, config);
        nb.Configs.Add(config);
        state.Configs[config.Id] = config;
        return config;
    }

    private static NodeBalancerNode AddNode(EmulatorState state, NodeBalancerConfig config, NodeDraft draft)
    {
        var node = new NodeBalancerNode
        {
            Id = state.NextNodeId(),
            Config = config,
            Label = draft.Label,
            PrivateAddress = draft.PrivateAddress,
            Port = draft.Port,
        };
        draft.ApplyTo(node);
        config.Nodes.Add(node);
        state.Nodes[node.Id] = node;
        return node;
    }

    private static NodeBalancerConfig Copy(NodeBalancerConfig source)
    {
        var copy = new NodeBalancerConfig { Id = source.Id, NodeBalancer = source.NodeBalancer };
        CopySettings(source, copy);
        return copy;
    }

    private static void CopySettings(NodeBalancerConfig from, NodeBalancerConfig to)
    {
        to.Port = from.Port;
        to.Protocol = from.Protocol;
        to.Algorithm = from.Algorithm;
        to.Stickiness = from.Stickiness;
        to.Check = from.Check;
        to.CheckInterval = from.CheckInterval;
        to.CheckTimeout = from.CheckTimeout;
        to.CheckAttempts = from.CheckAttempts;
        to.CheckPath = from.CheckPath;
        to.CheckBody = from.CheckBody;
        to.CheckPassive = from.CheckPassive;
        to.CipherSuite = from.CipherSuite;
        to.ProxyProtocol = from.ProxyProtocol;
        to.SslCert = from.SslCert;
        to.SslKey = from.SslKey;
        to.SslCommonName = from.SslCommonName;
        to.SslFingerprint = from.SslFingerprint;
    }

    private static HashSet<int> OtherPorts(NodeBalancerConfig config) =>
        config.NodeBalancer.Configs.Where(c => c.Id != config.Id).Select(c => c.Port).ToHashSet();

    private static NodeBalancer FindNodeBalancer(EmulatorState state, long id) =>
        state.NodeBalancers.GetValueOrDefault(id) ?? throw ApiException.NotFound();

    private static NodeBalancerConfig FindConfig(EmulatorState state, long nbId, long configId) =>
        state.Configs.TryGetValue(configId, out var config) && config.NodeBalancer.Id == nbId ? config : throw ApiException.NotFound();

    private static NodeBalancerNode FindNode(EmulatorState state, long nbId, long configId, long nodeId) =>
        state.Nodes.TryGetValue(nodeId, out var node) && node.Config.Id == configId && node.Config.NodeBalancer.Id == nbId
            ? node
            : throw ApiException.NotFound();

    // The spec types secondary_entity.id as a string (its example is an image id), so ids go out as text there.
    private static EventEntity ConfigEntity(NodeBalancerConfig config) =>
        new(config.Id.ToString(CultureInfo.InvariantCulture), config.Port.ToString(CultureInfo.InvariantCulture), "nodebalancer_config", config.Url);

    private static EventEntity NodeEntity(NodeBalancerNode node) =>
        new(node.Id.ToString(CultureInfo.InvariantCulture), node.Label, "nodebalancer_node", node.Url);

    [GeneratedRegex(@"^[a-zA-Z0-9\/\-%?&=.]*$")]
    private static partial Regex CheckPathPattern();

    /// <summary>A node's settings while a request is checked.</summary>
    private sealed class NodeDraft
    {
        public string Label { get; set; } = "";
        public IPAddress PrivateAddress { get; set; } = IPAddress.None;
        public int Port { get; set; }
        public int Weight { get; set; } = 50;
        public string Mode { get; set; } = "accept";

        public static NodeDraft Of(NodeBalancerNode node) => new()
        {
            Label = node.Label,
            PrivateAddress = node.PrivateAddress,
            Port = node.Port,
            Weight = node.Weight,
            Mode = node.Mode,
        };

        public void ApplyTo(NodeBalancerNode node)
        {
            node.Label = Label;
            node.PrivateAddress = PrivateAddress;
            node.Port = Port;
            node.Weight = Weight;
            node.Mode = Mode;
        }
    }
}

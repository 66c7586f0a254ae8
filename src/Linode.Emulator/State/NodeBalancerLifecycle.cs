using System.Globalization;
using System.Net;
using Linode.Emulator.Catalog;
using Linode.Emulator.Runtime;

namespace Linode.Emulator.State;

/// <summary>A node's settings while a request is checked (a new node's, or an existing node's with the request's
/// changes), applied to the state only once the whole request passed.</summary>
internal sealed class NodeDraft
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

/// <summary>A config and its nodes as a create or rebuild request gives them, checked.</summary>
internal sealed record ConfigDraft(NodeBalancerConfig Config, IReadOnlyList<NodeDraft> Nodes);

/// <summary>
/// The NodeBalancers, their configs and nodes as state: every change the API accepts, with the events it records, the
/// addresses it takes or gives back, and the configs the load balancer runtime must then apply or remove (returned as a
/// <see cref="BalancerChange{T}"/> for <see cref="BalancerSync.ChangeAsync{T}"/>). The API checks a request
/// (<see cref="NodeBalancerRules"/> say what is acceptable) before calling here; nothing here fails half-way. Called
/// with <see cref="EmulatorState.Gate"/> held.
/// </summary>
internal sealed class NodeBalancerLifecycle(EmulatorState state, BalancerSync balancers)
{
    public NodeBalancer? Find(long id) => state.NodeBalancers.GetValueOrDefault(id);

    public NodeBalancerConfig? FindConfig(long nodeBalancerId, long configId) =>
        state.Configs.TryGetValue(configId, out var config) && config.NodeBalancer.Id == nodeBalancerId ? config : null;

    public NodeBalancerNode? FindNode(long nodeBalancerId, long configId, long nodeId) =>
        state.Nodes.TryGetValue(nodeId, out var node) && node.Config.Id == configId && node.Config.NodeBalancer.Id == nodeBalancerId
            ? node
            : null;

    /// <summary>A config to read a create request's settings onto: it belongs to a placeholder NodeBalancer in
    /// <paramref name="region"/> (any region when the request has no valid one) until the create succeeds.</summary>
    public NodeBalancerConfig DraftInRegion(Region? region) => new()
    {
        Id = 0,
        NodeBalancer = new NodeBalancer
        {
            Id = 0,
            Label = "",
            Region = region ?? state.Catalog.Regions.First(),
            Ipv4 = IPAddress.Loopback,
            Ipv6 = "",
            Created = state.Now,
            Updated = state.Now,
        },
    };

    /// <summary>A config to read an update onto: a new config of <paramref name="nodeBalancer"/>, or a copy of
    /// <paramref name="existing"/>.</summary>
    public static NodeBalancerConfig Draft(NodeBalancer nodeBalancer, NodeBalancerConfig? existing = null)
    {
        var draft = new NodeBalancerConfig { Id = existing?.Id ?? 0, NodeBalancer = nodeBalancer };
        if (existing is not null)
        {
            CopySettings(existing, draft);
        }
        return draft;
    }

    /// <summary>The ports of the NodeBalancer's other configs (a config's port must be free among them).</summary>
    public static HashSet<int> PortsInUse(NodeBalancer nodeBalancer, NodeBalancerConfig? except = null) =>
        nodeBalancer.Configs.Where(c => c != except).Select(c => c.Port).ToHashSet();

    /// <summary>Creates a NodeBalancer with its configs and their nodes; null when no address is left for it.</summary>
    public BalancerChange<NodeBalancer>? Create(Region region, string? label, int? throttle, IReadOnlyList<string> tags, IReadOnlyList<ConfigDraft> configs)
    {
        if (state.NodeBalancerPool.Allocate() is not { } ipv4)
        {
            return null;
        }
        var id = state.NextNodeBalancerId();
        var now = state.Now;
        var created = new NodeBalancer
        {
            Id = id,
            Label = label ?? "balancer" + id.ToString(CultureInfo.InvariantCulture),
            Region = region,
            Ipv4 = ipv4,
            Ipv6 = string.Create(CultureInfo.InvariantCulture, $"{region.Ipv6Prefix}:1::{(id >> 16) & 0xFFFF:x}:{id & 0xFFFF:x}"),
            ClientConnThrottle = throttle ?? 0,
            Tags = [.. tags.Distinct(StringComparer.Ordinal)],
            Created = now,
            Updated = now,
        };
        state.NodeBalancers[id] = created;
        state.EnsureTags(created.Tags);
        state.AddEvent("nodebalancer_create", EventEntity.Of(created), "notification");

        var apply = new List<BalancerConfigSpec>();
        foreach (var draft in configs)
        {
            apply.Add(balancers.Spec(AddConfigWithNodes(created, draft)));
        }
        return new BalancerChange<NodeBalancer>(created, apply, []);
    }

    public NodeBalancer Update(NodeBalancer nb, string? label, int? throttle, IReadOnlyList<string>? tags)
    {
        nb.Label = label ?? nb.Label;
        nb.ClientConnThrottle = throttle ?? nb.ClientConnThrottle;
        if (tags is not null)
        {
            nb.Tags = [.. tags.Distinct(StringComparer.Ordinal)];
            state.EnsureTags(nb.Tags);
        }
        nb.Updated = state.Now;
        state.AddEvent("nodebalancer_update", EventEntity.Of(nb), "notification");
        return nb;
    }

    public BalancerChange<NodeBalancer> Delete(NodeBalancer nb)
    {
        var removed = nb.Configs.Select(c => c.Id).ToList();
        foreach (var config in nb.Configs)
        {
            foreach (var node in config.Nodes)
            {
                state.Nodes.Remove(node.Id);
            }
            state.Configs.Remove(config.Id);
        }
        state.NodeBalancers.Remove(nb.Id);
        state.Firewalls.Detach("nodebalancer", nb.Id);
        state.NodeBalancerPool.Release(nb.Ipv4);
        state.ReleaseUnreferencedRetired();
        state.AddEvent("nodebalancer_delete", EventEntity.Of(nb), "notification");
        return new BalancerChange<NodeBalancer>(nb, [], removed);
    }

    public BalancerChange<NodeBalancerConfig> AddConfig(NodeBalancer nb, ConfigDraft draft)
    {
        var created = AddConfigWithNodes(nb, draft);
        nb.Updated = state.Now;
        return new BalancerChange<NodeBalancerConfig>(created, [balancers.Spec(created)], []);
    }

    public BalancerChange<NodeBalancerConfig> UpdateConfig(NodeBalancerConfig existing, NodeBalancerConfig draft)
    {
        CopySettings(draft, existing);
        state.AddEvent("nodebalancer_config_update", EventEntity.Of(existing.NodeBalancer), "notification", ConfigEntity(existing));
        return new BalancerChange<NodeBalancerConfig>(existing, [balancers.Spec(existing)], []);
    }

    public BalancerChange<NodeBalancerConfig> DeleteConfig(NodeBalancerConfig existing)
    {
        foreach (var node in existing.Nodes)
        {
            state.Nodes.Remove(node.Id);
        }
        existing.NodeBalancer.Configs.Remove(existing);
        state.Configs.Remove(existing.Id);
        state.ReleaseUnreferencedRetired();
        state.AddEvent("nodebalancer_config_delete", EventEntity.Of(existing.NodeBalancer), "notification", ConfigEntity(existing));
        return new BalancerChange<NodeBalancerConfig>(existing, [], [existing.Id]);
    }

    /// <summary>A config plus its complete node list: listed nodes with an id are updated, those without one
    /// created, and nodes not listed deleted.</summary>
    public BalancerChange<NodeBalancerConfig> Rebuild(NodeBalancerConfig config, NodeBalancerConfig draft, IReadOnlyList<(NodeBalancerNode? Existing, NodeDraft Draft)> plan)
    {
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
                AddNodeOnly(config, nodeDraft);
            }
            else
            {
                nodeDraft.ApplyTo(existing);
            }
        }
        state.ReleaseUnreferencedRetired();
        state.AddEvent("nodebalancer_config_update", EventEntity.Of(config.NodeBalancer), "notification", ConfigEntity(config));
        return new BalancerChange<NodeBalancerConfig>(config, [balancers.Spec(config)], []);
    }

    public BalancerChange<NodeBalancerNode> AddNode(NodeBalancerConfig config, NodeDraft draft)
    {
        var created = AddNodeOnly(config, draft);
        state.AddEvent("nodebalancer_node_create", EventEntity.Of(config.NodeBalancer), "notification", NodeEntity(created));
        return new BalancerChange<NodeBalancerNode>(created, [balancers.Spec(config)], []);
    }

    public BalancerChange<NodeBalancerNode> UpdateNode(NodeBalancerNode existing, NodeDraft draft)
    {
        draft.ApplyTo(existing);
        state.ReleaseUnreferencedRetired();
        state.AddEvent("nodebalancer_node_update", EventEntity.Of(existing.Config.NodeBalancer), "notification", NodeEntity(existing));
        return new BalancerChange<NodeBalancerNode>(existing, [balancers.Spec(existing.Config)], []);
    }

    public BalancerChange<NodeBalancerNode> DeleteNode(NodeBalancerNode existing)
    {
        existing.Config.Nodes.Remove(existing);
        state.Nodes.Remove(existing.Id);
        state.ReleaseUnreferencedRetired();
        state.AddEvent("nodebalancer_node_delete", EventEntity.Of(existing.Config.NodeBalancer), "notification", NodeEntity(existing));
        return new BalancerChange<NodeBalancerNode>(existing, [balancers.Spec(existing.Config)], []);
    }

    private NodeBalancerConfig AddConfigWithNodes(NodeBalancer nb, ConfigDraft draft)
    {
        var config = new NodeBalancerConfig { Id = state.NextConfigId(), NodeBalancer = nb };
        CopySettings(draft.Config, config);
        nb.Configs.Add(config);
        state.Configs[config.Id] = config;
        state.AddEvent("nodebalancer_config_create", EventEntity.Of(nb), "notification", ConfigEntity(config));
        foreach (var nodeDraft in draft.Nodes)
        {
            var node = AddNodeOnly(config, nodeDraft);
            state.AddEvent("nodebalancer_node_create", EventEntity.Of(nb), "notification", NodeEntity(node));
        }
        return config;
    }

    private NodeBalancerNode AddNodeOnly(NodeBalancerConfig config, NodeDraft draft)
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

    // The spec types secondary_entity.id as a string (its example is an image id), so ids go out as text there.
    private static EventEntity ConfigEntity(NodeBalancerConfig config) =>
        new(config.Id.ToString(CultureInfo.InvariantCulture), config.Port.ToString(CultureInfo.InvariantCulture), "nodebalancer_config", config.Url);

    private static EventEntity NodeEntity(NodeBalancerNode node) =>
        new(node.Id.ToString(CultureInfo.InvariantCulture), node.Label, "nodebalancer_node", node.Url);
}

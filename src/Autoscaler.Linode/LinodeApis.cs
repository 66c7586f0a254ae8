using Autoscaler.Linode.Http;
using Autoscaler.Linode.Models;
using static Autoscaler.Linode.Http.LinodeTransport;

namespace Autoscaler.Linode;

internal sealed class RegionsApi(LinodeTransport transport) : IRegionsApi
{
    public IAsyncEnumerable<Region> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default) =>
        transport.ListAsync<Region>("GET /regions", "regions", filter, cancellationToken);

    public Task<Region> GetAsync(string regionId, CancellationToken cancellationToken = default) =>
        transport.SendAsync<Region>(HttpMethod.Get, "GET /regions/{regionId}", $"regions/{Segment(regionId)}", null,
            idempotent: true, null, cancellationToken);
}

internal sealed class TypesApi(LinodeTransport transport) : ITypesApi
{
    public IAsyncEnumerable<LinodeType> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default) =>
        transport.ListAsync<LinodeType>("GET /linode/types", "linode/types", filter, cancellationToken);

    public Task<LinodeType> GetAsync(string typeId, CancellationToken cancellationToken = default) =>
        transport.SendAsync<LinodeType>(HttpMethod.Get, "GET /linode/types/{typeId}", $"linode/types/{Segment(typeId)}",
            null, idempotent: true, null, cancellationToken);
}

internal sealed class ImagesApi(LinodeTransport transport) : IImagesApi
{
    public IAsyncEnumerable<Image> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default) =>
        transport.ListAsync<Image>("GET /images", "images", filter, cancellationToken);

    public Task<Image> GetAsync(string imageId, CancellationToken cancellationToken = default) =>
        transport.SendAsync<Image>(HttpMethod.Get, "GET /images/{imageId}", $"images/{Segment(imageId)}", null,
            idempotent: true, null, cancellationToken);
}

internal sealed class InstancesApi(LinodeTransport transport) : IInstancesApi
{
    private const string Collection = "linode/instances";

    public IAsyncEnumerable<Instance> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default) =>
        transport.ListAsync<Instance>("GET /linode/instances", Collection, filter, cancellationToken);

    public IAsyncEnumerable<Firewall> ListFirewallsAsync(long linodeId, CancellationToken cancellationToken = default) =>
        transport.ListAsync<Firewall>("GET /linode/instances/{linodeId}/firewalls", $"{Item(linodeId)}/firewalls", null,
            cancellationToken);

    public Task<Instance> GetAsync(long linodeId, CancellationToken cancellationToken = default) =>
        transport.SendAsync<Instance>(HttpMethod.Get, "GET /linode/instances/{linodeId}", Item(linodeId), null,
            idempotent: true, null, cancellationToken);

    public Task<Instance> CreateAsync(CreateInstanceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Metadata?.DecodedUserDataLength() is > InstanceMetadata.MaxUserDataBytes and var size)
        {
            // Refused here rather than by the API, so the message names the limit and no create is spent on it.
            throw new ArgumentException(
                $"metadata.user_data has {size} bytes after base64 decoding; Linode takes at most " +
                $"{InstanceMetadata.MaxUserDataBytes}", nameof(request));
        }

        return transport.SendAsync<Instance>(HttpMethod.Post, "POST /linode/instances", Collection, request,
            idempotent: false, null, cancellationToken);
    }

    public Task<StackScript> GetStackScriptAsync(long stackScriptId, CancellationToken cancellationToken = default) =>
        transport.SendAsync<StackScript>(HttpMethod.Get, "GET /linode/stackscripts/{stackScriptId}",
            $"linode/stackscripts/{Segment(stackScriptId)}", null, idempotent: true, null, cancellationToken);

    public Task<Instance> UpdateAsync(long linodeId, UpdateInstanceRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<Instance>(HttpMethod.Put, "PUT /linode/instances/{linodeId}", Item(linodeId),
            request, idempotent: true, null, cancellationToken);
    }

    public Task DeleteAsync(long linodeId, CancellationToken cancellationToken = default) =>
        transport.SendAsync(HttpMethod.Delete, "DELETE /linode/instances/{linodeId}", Item(linodeId), null,
            idempotent: true, cancellationToken);

    // Actions start jobs: a repeat after a lost answer would boot/reboot twice, so they are not retried on 5xx.
    public Task BootAsync(long linodeId, long? configId = null, CancellationToken cancellationToken = default) =>
        transport.SendAsync(HttpMethod.Post, "POST /linode/instances/{linodeId}/boot", Item(linodeId) + "/boot",
            new BootRequest(configId), idempotent: false, cancellationToken);

    public Task ShutdownAsync(long linodeId, CancellationToken cancellationToken = default) =>
        transport.SendAsync(HttpMethod.Post, "POST /linode/instances/{linodeId}/shutdown", Item(linodeId) + "/shutdown",
            null, idempotent: false, cancellationToken);

    public Task RebootAsync(long linodeId, long? configId = null, CancellationToken cancellationToken = default) =>
        transport.SendAsync(HttpMethod.Post, "POST /linode/instances/{linodeId}/reboot", Item(linodeId) + "/reboot",
            new BootRequest(configId), idempotent: false, cancellationToken);

    public Task<InstanceIps> GetIpsAsync(long linodeId, CancellationToken cancellationToken = default) =>
        transport.SendAsync<InstanceIps>(HttpMethod.Get, "GET /linode/instances/{linodeId}/ips", Item(linodeId) + "/ips",
            null, idempotent: true, null, cancellationToken);

    public Task<IpAddress> AllocateIpv4Async(long linodeId, bool isPublic = false,
        CancellationToken cancellationToken = default) =>
        transport.SendAsync<IpAddress>(HttpMethod.Post, "POST /linode/instances/{linodeId}/ips", Item(linodeId) + "/ips",
            new AllocateIpRequest("ipv4", isPublic), idempotent: false, null, cancellationToken);

    private static string Item(long linodeId) => $"{Collection}/{Segment(linodeId)}";
}

internal sealed class NodeBalancersApi(LinodeTransport transport) : INodeBalancersApi
{
    private const string Collection = "nodebalancers";
    private const string NbTemplate = "/nodebalancers/{nodeBalancerId}";
    private const string ConfigTemplate = NbTemplate + "/configs/{configId}";
    private const string NodeTemplate = ConfigTemplate + "/nodes/{nodeId}";

    public IAsyncEnumerable<NodeBalancer> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default) =>
        transport.ListAsync<NodeBalancer>("GET /nodebalancers", Collection, filter, cancellationToken);

    public Task<NodeBalancer> GetAsync(long nodeBalancerId, CancellationToken cancellationToken = default) =>
        transport.SendAsync<NodeBalancer>(HttpMethod.Get, "GET " + NbTemplate, Nb(nodeBalancerId), null,
            idempotent: true, null, cancellationToken);

    public Task<NodeBalancer> CreateAsync(CreateNodeBalancerRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<NodeBalancer>(HttpMethod.Post, "POST /nodebalancers", Collection, request,
            idempotent: false, null, cancellationToken);
    }

    public Task<NodeBalancer> UpdateAsync(long nodeBalancerId, UpdateNodeBalancerRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<NodeBalancer>(HttpMethod.Put, "PUT " + NbTemplate, Nb(nodeBalancerId), request,
            idempotent: true, null, cancellationToken);
    }

    public Task DeleteAsync(long nodeBalancerId, CancellationToken cancellationToken = default) =>
        transport.SendAsync(HttpMethod.Delete, "DELETE " + NbTemplate, Nb(nodeBalancerId), null, idempotent: true,
            cancellationToken);

    public IAsyncEnumerable<NodeBalancerConfig> ListConfigsAsync(long nodeBalancerId,
        CancellationToken cancellationToken = default) =>
        transport.ListAsync<NodeBalancerConfig>("GET " + NbTemplate + "/configs", Nb(nodeBalancerId) + "/configs", null,
            cancellationToken);

    public Task<NodeBalancerConfig> GetConfigAsync(long nodeBalancerId, long configId,
        CancellationToken cancellationToken = default) =>
        transport.SendAsync<NodeBalancerConfig>(HttpMethod.Get, "GET " + ConfigTemplate, Config(nodeBalancerId, configId),
            null, idempotent: true, null, cancellationToken);

    public Task<NodeBalancerConfig> CreateConfigAsync(long nodeBalancerId, ConfigRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<NodeBalancerConfig>(HttpMethod.Post, "POST " + NbTemplate + "/configs",
            Nb(nodeBalancerId) + "/configs", request, idempotent: false, null, cancellationToken);
    }

    public Task<NodeBalancerConfig> UpdateConfigAsync(long nodeBalancerId, long configId, ConfigRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<NodeBalancerConfig>(HttpMethod.Put, "PUT " + ConfigTemplate,
            Config(nodeBalancerId, configId), request, idempotent: true, null, cancellationToken);
    }

    public Task DeleteConfigAsync(long nodeBalancerId, long configId, CancellationToken cancellationToken = default) =>
        transport.SendAsync(HttpMethod.Delete, "DELETE " + ConfigTemplate, Config(nodeBalancerId, configId), null,
            idempotent: true, cancellationToken);

    public Task<NodeBalancerConfig> RebuildConfigAsync(long nodeBalancerId, long configId, RebuildConfigRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<NodeBalancerConfig>(HttpMethod.Post, "POST " + ConfigTemplate + "/rebuild",
            Config(nodeBalancerId, configId) + "/rebuild", request, idempotent: true, null, cancellationToken);
    }

    public IAsyncEnumerable<NodeBalancerNode> ListNodesAsync(long nodeBalancerId, long configId,
        CancellationToken cancellationToken = default) =>
        transport.ListAsync<NodeBalancerNode>("GET " + ConfigTemplate + "/nodes",
            Config(nodeBalancerId, configId) + "/nodes", null, cancellationToken);

    public Task<NodeBalancerNode> GetNodeAsync(long nodeBalancerId, long configId, long nodeId,
        CancellationToken cancellationToken = default) =>
        transport.SendAsync<NodeBalancerNode>(HttpMethod.Get, "GET " + NodeTemplate, Node(nodeBalancerId, configId, nodeId),
            null, idempotent: true, null, cancellationToken);

    public Task<NodeBalancerNode> CreateNodeAsync(long nodeBalancerId, long configId, NodeRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<NodeBalancerNode>(HttpMethod.Post, "POST " + ConfigTemplate + "/nodes",
            Config(nodeBalancerId, configId) + "/nodes", request, idempotent: false, null, cancellationToken);
    }

    public Task<NodeBalancerNode> UpdateNodeAsync(long nodeBalancerId, long configId, long nodeId, NodeRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<NodeBalancerNode>(HttpMethod.Put, "PUT " + NodeTemplate,
            Node(nodeBalancerId, configId, nodeId), request, idempotent: true, null, cancellationToken);
    }

    public Task DeleteNodeAsync(long nodeBalancerId, long configId, long nodeId,
        CancellationToken cancellationToken = default) =>
        transport.SendAsync(HttpMethod.Delete, "DELETE " + NodeTemplate, Node(nodeBalancerId, configId, nodeId), null,
            idempotent: true, cancellationToken);

    private static string Nb(long nodeBalancerId) => $"{Collection}/{Segment(nodeBalancerId)}";

    private static string Config(long nodeBalancerId, long configId) =>
        $"{Nb(nodeBalancerId)}/configs/{Segment(configId)}";

    private static string Node(long nodeBalancerId, long configId, long nodeId) =>
        $"{Config(nodeBalancerId, configId)}/nodes/{Segment(nodeId)}";
}

internal sealed class NetworkingApi(LinodeTransport transport) : INetworkingApi
{
    public IAsyncEnumerable<IpAddress> ListIpsAsync(Filter? filter = null, CancellationToken cancellationToken = default) =>
        transport.ListAsync<IpAddress>("GET /networking/ips", "networking/ips", filter, cancellationToken);

    public IAsyncEnumerable<Ipv6Range> ListIpv6RangesAsync(Filter? filter = null,
        CancellationToken cancellationToken = default) =>
        transport.ListAsync<Ipv6Range>("GET /networking/ipv6/ranges", "networking/ipv6/ranges", filter,
            cancellationToken);

    public IAsyncEnumerable<Firewall> ListFirewallsAsync(Filter? filter = null,
        CancellationToken cancellationToken = default) =>
        transport.ListAsync<Firewall>("GET /networking/firewalls", "networking/firewalls", filter, cancellationToken);

    public Task<Firewall> UpdateFirewallAsync(long firewallId, UpdateFirewallRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<Firewall>(HttpMethod.Put, "PUT /networking/firewalls/{firewallId}",
            $"networking/firewalls/{Segment(firewallId)}", request, idempotent: true, null, cancellationToken);
    }
}

internal sealed class EventsApi(LinodeTransport transport) : IEventsApi
{
    public IAsyncEnumerable<LinodeEvent> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default) =>
        transport.ListAsync<LinodeEvent>("GET /account/events", "account/events", filter, cancellationToken);

    public Task<LinodeEvent> GetAsync(long eventId, CancellationToken cancellationToken = default) =>
        transport.SendAsync<LinodeEvent>(HttpMethod.Get, "GET /account/events/{eventId}",
            $"account/events/{Segment(eventId)}", null, idempotent: true, null, cancellationToken);

    public Task MarkSeenAsync(long eventId, CancellationToken cancellationToken = default) =>
        transport.SendAsync(HttpMethod.Post, "POST /account/events/{eventId}/seen",
            $"account/events/{Segment(eventId)}/seen", null, idempotent: true, cancellationToken);
}

internal sealed class TagsApi(LinodeTransport transport) : ITagsApi
{
    public IAsyncEnumerable<Tag> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default) =>
        transport.ListAsync<Tag>("GET /tags", "tags", filter, cancellationToken);

    public Task<Tag> CreateAsync(CreateTagRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return transport.SendAsync<Tag>(HttpMethod.Post, "POST /tags", "tags", request, idempotent: false, null,
            cancellationToken);
    }

    public IAsyncEnumerable<TaggedObject> ListTaggedObjectsAsync(string label,
        CancellationToken cancellationToken = default) =>
        transport.ListAsync<TaggedObject>("GET /tags/{tagLabel}", $"tags/{Segment(label)}", null, cancellationToken);

    public Task DeleteAsync(string label, CancellationToken cancellationToken = default) =>
        transport.SendAsync(HttpMethod.Delete, "DELETE /tags/{tagLabel}", $"tags/{Segment(label)}", null,
            idempotent: true, cancellationToken);
}

internal sealed class ProfileApi(LinodeTransport transport) : IProfileApi
{
    public Task<string?> GetTokenScopesAsync(CancellationToken cancellationToken = default) =>
        transport.GetHeaderAsync("GET /profile", "profile", "X-OAuth-Scopes", cancellationToken);
}

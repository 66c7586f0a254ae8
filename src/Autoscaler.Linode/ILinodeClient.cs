using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary>The Linode API v4, grouped by area so that a consumer can depend on just the part it uses.</summary>
/// <remarks>List calls stream every page lazily (<c>page_size</c> from the options, up to 500) and stop at
/// <c>pages</c>; <c>await foreach</c> them, or collect with <c>ToListAsync()</c>. Errors are
/// <see cref="LinodeException"/>s; caller cancellation is an <see cref="OperationCanceledException"/>.</remarks>
public interface ILinodeClient
{
    IRegionsApi Regions { get; }

    ITypesApi Types { get; }

    IImagesApi Images { get; }

    IInstancesApi Instances { get; }

    INodeBalancersApi NodeBalancers { get; }

    INetworkingApi Networking { get; }

    IEventsApi Events { get; }

    ITagsApi Tags { get; }
}

/// <summary><c>/regions</c>.</summary>
public interface IRegionsApi
{
    IAsyncEnumerable<Region> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<Region> GetAsync(string regionId, CancellationToken cancellationToken = default);
}

/// <summary><c>/linode/types</c>.</summary>
public interface ITypesApi
{
    IAsyncEnumerable<LinodeType> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<LinodeType> GetAsync(string typeId, CancellationToken cancellationToken = default);
}

/// <summary><c>/images</c>.</summary>
public interface IImagesApi
{
    IAsyncEnumerable<Image> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    /// <summary>The id is path-escaped: <c>linode/debian12</c> is requested as <c>/images/linode%2Fdebian12</c>.</summary>
    Task<Image> GetAsync(string imageId, CancellationToken cancellationToken = default);
}

/// <summary><c>/linode/instances</c>.</summary>
public interface IInstancesApi
{
    IAsyncEnumerable<Instance> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<Instance> GetAsync(long linodeId, CancellationToken cancellationToken = default);

    /// <summary>Creates an instance. Never retried after a 5xx or a timeout (the first attempt may have created it);
    /// retried after 429 and "Linode busy.", where the API did not act.</summary>
    Task<Instance> CreateAsync(CreateInstanceRequest request, CancellationToken cancellationToken = default);

    Task<Instance> UpdateAsync(long linodeId, UpdateInstanceRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes the instance. Retried like any idempotent call, so when an earlier attempt's answer was lost
    /// a retry can find it gone: a <see cref="LinodeNotFoundException"/> with <see cref="LinodeApiException.Attempts"/>
    /// above 1 means it was deleted.</summary>
    Task DeleteAsync(long linodeId, CancellationToken cancellationToken = default);

    Task BootAsync(long linodeId, long? configId = null, CancellationToken cancellationToken = default);

    Task ShutdownAsync(long linodeId, CancellationToken cancellationToken = default);

    Task RebootAsync(long linodeId, long? configId = null, CancellationToken cancellationToken = default);

    Task<InstanceIps> GetIpsAsync(long linodeId, CancellationToken cancellationToken = default);

    /// <summary>Allocates an IPv4 (<c>POST …/ips</c> with <c>{"type":"ipv4","public":…}</c>). A Linode has at most one
    /// private IPv4; extra public ones need a support ticket.</summary>
    Task<IpAddress> AllocateIpv4Async(long linodeId, bool isPublic = false, CancellationToken cancellationToken = default);
}

/// <summary><c>/nodebalancers</c>, their configs and nodes.</summary>
public interface INodeBalancersApi
{
    IAsyncEnumerable<NodeBalancer> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<NodeBalancer> GetAsync(long nodeBalancerId, CancellationToken cancellationToken = default);

    Task<NodeBalancer> CreateAsync(CreateNodeBalancerRequest request, CancellationToken cancellationToken = default);

    Task<NodeBalancer> UpdateAsync(long nodeBalancerId, UpdateNodeBalancerRequest request,
        CancellationToken cancellationToken = default);

    Task DeleteAsync(long nodeBalancerId, CancellationToken cancellationToken = default);

    IAsyncEnumerable<NodeBalancerConfig> ListConfigsAsync(long nodeBalancerId,
        CancellationToken cancellationToken = default);

    Task<NodeBalancerConfig> GetConfigAsync(long nodeBalancerId, long configId,
        CancellationToken cancellationToken = default);

    Task<NodeBalancerConfig> CreateConfigAsync(long nodeBalancerId, ConfigRequest request,
        CancellationToken cancellationToken = default);

    Task<NodeBalancerConfig> UpdateConfigAsync(long nodeBalancerId, long configId, ConfigRequest request,
        CancellationToken cancellationToken = default);

    Task DeleteConfigAsync(long nodeBalancerId, long configId, CancellationToken cancellationToken = default);

    /// <summary>Replaces the config and its whole node list (listed nodes with an id are kept and updated, new ones
    /// created, unlisted ones deleted). Repeating it gives the same result, so it is retried like a PUT.</summary>
    Task<NodeBalancerConfig> RebuildConfigAsync(long nodeBalancerId, long configId, RebuildConfigRequest request,
        CancellationToken cancellationToken = default);

    IAsyncEnumerable<NodeBalancerNode> ListNodesAsync(long nodeBalancerId, long configId,
        CancellationToken cancellationToken = default);

    Task<NodeBalancerNode> GetNodeAsync(long nodeBalancerId, long configId, long nodeId,
        CancellationToken cancellationToken = default);

    Task<NodeBalancerNode> CreateNodeAsync(long nodeBalancerId, long configId, NodeRequest request,
        CancellationToken cancellationToken = default);

    Task<NodeBalancerNode> UpdateNodeAsync(long nodeBalancerId, long configId, long nodeId, NodeRequest request,
        CancellationToken cancellationToken = default);

    Task DeleteNodeAsync(long nodeBalancerId, long configId, long nodeId, CancellationToken cancellationToken = default);
}

/// <summary><c>/networking</c>.</summary>
public interface INetworkingApi
{
    /// <summary>Every IP of the account (public and private).</summary>
    IAsyncEnumerable<IpAddress> ListIpsAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    IAsyncEnumerable<Ipv6Range> ListIpv6RangesAsync(Filter? filter = null, CancellationToken cancellationToken = default);
}

/// <summary><c>/account/events</c>.</summary>
public interface IEventsApi
{
    /// <summary>Events of the last 90 days. Pass a filter (e.g. <c>Filter.Gte("created", since)</c>, ordered by
    /// <c>created</c> descending) and stop enumerating early to read only the first page.</summary>
    IAsyncEnumerable<LinodeEvent> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<LinodeEvent> GetAsync(long eventId, CancellationToken cancellationToken = default);

    /// <summary>Marks the event, and every older one, as seen.</summary>
    Task MarkSeenAsync(long eventId, CancellationToken cancellationToken = default);
}

/// <summary><c>/tags</c>.</summary>
public interface ITagsApi
{
    IAsyncEnumerable<Tag> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<Tag> CreateAsync(CreateTagRequest request, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TaggedObject> ListTaggedObjectsAsync(string label, CancellationToken cancellationToken = default);

    /// <summary>Deletes the tag and removes it from every object.</summary>
    Task DeleteAsync(string label, CancellationToken cancellationToken = default);
}

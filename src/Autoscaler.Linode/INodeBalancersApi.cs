using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

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

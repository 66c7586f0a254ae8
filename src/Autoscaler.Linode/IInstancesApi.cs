using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary><c>/linode/instances</c>.</summary>
public interface IInstancesApi
{
    IAsyncEnumerable<Instance> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<Instance> GetAsync(long linodeId, CancellationToken cancellationToken = default);

    /// <summary><c>GET /linode/instances/{id}/firewalls</c>: the Cloud Firewalls the instance sits behind, with their
    /// rules (scope <c>linodes:read_only</c>).</summary>
    IAsyncEnumerable<Firewall> ListFirewallsAsync(long linodeId, CancellationToken cancellationToken = default);

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

    /// <summary><c>GET /linode/stackscripts/{id}</c> (scope <c>stackscripts:read_only</c>).</summary>
    Task<StackScript> GetStackScriptAsync(long stackScriptId, CancellationToken cancellationToken = default);
}

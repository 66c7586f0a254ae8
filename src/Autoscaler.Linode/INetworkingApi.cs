using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary><c>/networking</c>.</summary>
public interface INetworkingApi
{
    /// <summary>Every IP of the account (public and private).</summary>
    IAsyncEnumerable<IpAddress> ListIpsAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    IAsyncEnumerable<Ipv6Range> ListIpv6RangesAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    /// <summary>The account's Cloud Firewalls (scope <c>firewall:read_only</c>).</summary>
    IAsyncEnumerable<Firewall> ListFirewallsAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    /// <summary><c>PUT /networking/firewalls/{id}</c> (scope <c>firewall:read_write</c>).</summary>
    Task<Firewall> UpdateFirewallAsync(long firewallId, UpdateFirewallRequest request, CancellationToken cancellationToken = default);
}

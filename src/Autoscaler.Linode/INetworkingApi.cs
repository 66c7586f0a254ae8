using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary><c>/networking</c>.</summary>
public interface INetworkingApi
{
    /// <summary>Every IP of the account (public and private).</summary>
    IAsyncEnumerable<IpAddress> ListIpsAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    IAsyncEnumerable<Ipv6Range> ListIpv6RangesAsync(Filter? filter = null, CancellationToken cancellationToken = default);
}

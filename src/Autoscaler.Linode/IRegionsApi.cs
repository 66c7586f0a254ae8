using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary><c>/regions</c>.</summary>
public interface IRegionsApi
{
    IAsyncEnumerable<Region> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<Region> GetAsync(string regionId, CancellationToken cancellationToken = default);
}

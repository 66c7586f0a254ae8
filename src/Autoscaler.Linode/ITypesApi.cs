using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary><c>/linode/types</c>.</summary>
public interface ITypesApi
{
    IAsyncEnumerable<LinodeType> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<LinodeType> GetAsync(string typeId, CancellationToken cancellationToken = default);
}

using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary><c>/images</c>.</summary>
public interface IImagesApi
{
    IAsyncEnumerable<Image> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    /// <summary>The id is path-escaped: <c>linode/debian12</c> is requested as <c>/images/linode%2Fdebian12</c>.</summary>
    Task<Image> GetAsync(string imageId, CancellationToken cancellationToken = default);
}

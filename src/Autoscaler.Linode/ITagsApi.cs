using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary><c>/tags</c>.</summary>
public interface ITagsApi
{
    IAsyncEnumerable<Tag> ListAsync(Filter? filter = null, CancellationToken cancellationToken = default);

    Task<Tag> CreateAsync(CreateTagRequest request, CancellationToken cancellationToken = default);

    IAsyncEnumerable<TaggedObject> ListTaggedObjectsAsync(string label, CancellationToken cancellationToken = default);

    /// <summary>Deletes the tag and removes it from every object.</summary>
    Task DeleteAsync(string label, CancellationToken cancellationToken = default);
}

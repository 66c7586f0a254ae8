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

    IProfileApi Profile { get; }
}

using System.Text.Json;
using Autoscaler.Linode.Json;

namespace Autoscaler.Linode.Models;

/// <summary>A tag (<c>GET /tags</c>).</summary>
public sealed record Tag
{
    public string Label { get; init; } = "";
}

/// <summary>Body of <c>POST /tags</c>: the tag and the objects to put it on.</summary>
public sealed record CreateTagRequest
{
    public required string Label { get; init; }

    public IReadOnlyList<long>? Linodes { get; init; }

    public IReadOnlyList<long>? Nodebalancers { get; init; }

    public IReadOnlyList<long>? Domains { get; init; }

    public IReadOnlyList<long>? Volumes { get; init; }
}

/// <summary>An object carrying a tag (<c>GET /tags/{label}</c>): its type and the full object.</summary>
public sealed record TaggedObject
{
    /// <summary>linode, nodebalancer, domain, volume.</summary>
    public string Type { get; init; } = "";

    public JsonElement Data { get; init; }

    /// <summary>The object as an <see cref="Instance"/> when <see cref="Type"/> is <c>linode</c>, else null.</summary>
    public Instance? AsInstance() =>
        string.Equals(Type, "linode", StringComparison.OrdinalIgnoreCase)
            ? Data.Deserialize(LinodeJson.Info<Instance>())
            : null;

    /// <summary>The object as a <see cref="NodeBalancer"/> when <see cref="Type"/> is <c>nodebalancer</c>, else null.</summary>
    public NodeBalancer? AsNodeBalancer() =>
        string.Equals(Type, "nodebalancer", StringComparison.OrdinalIgnoreCase)
            ? Data.Deserialize(LinodeJson.Info<NodeBalancer>())
            : null;
}

namespace Autoscaler.Linode.Models;

/// <summary>An OS image (<c>GET /images</c>), public (<c>linode/…</c>) or private (<c>private/…</c>).</summary>
public sealed record Image
{
    public string Id { get; init; } = "";

    public string Label { get; init; } = "";

    public string? Description { get; init; }

    public DateTimeOffset? Created { get; init; }

    public string? CreatedBy { get; init; }

    public DateTimeOffset? Updated { get; init; }

    public bool Deprecated { get; init; }

    public bool IsPublic { get; init; }

    /// <summary>Size in MB.</summary>
    public int Size { get; init; }

    public int? TotalSize { get; init; }

    /// <summary>creating, pending_upload, available.</summary>
    public string? Status { get; init; }

    /// <summary>manual or automatic.</summary>
    public string? Type { get; init; }

    public string? Vendor { get; init; }

    public DateTimeOffset? Expiry { get; init; }

    public DateTimeOffset? Eol { get; init; }

    public IReadOnlyList<string> Capabilities { get; init; } = [];

    public IReadOnlyList<string> Tags { get; init; } = [];

    public IReadOnlyList<ImageRegion> Regions { get; init; } = [];
}

public sealed record ImageRegion
{
    public string Region { get; init; } = "";

    public string? Status { get; init; }
}

/// <summary>A StackScript (<c>GET /linode/stackscripts/{id}</c>), as far as the autoscaler reads it.</summary>
public sealed record StackScript
{
    public long Id { get; init; }

    public string Label { get; init; } = "";

    public bool IsPublic { get; init; }

    /// <summary>Images it deploys to (<c>any/all</c> for every image).</summary>
    public IReadOnlyList<string> Images { get; init; } = [];
}

namespace Autoscaler.Linode.Models;

/// <summary>A data center (<c>GET /regions</c>).</summary>
public sealed record Region
{
    public string Id { get; init; } = "";

    public string Label { get; init; } = "";

    public string Country { get; init; } = "";

    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary><c>ok</c> or <c>outage</c>.</summary>
    public string Status { get; init; } = "";

    public RegionResolvers? Resolvers { get; init; }

    /// <summary><c>core</c> or <c>distributed</c>.</summary>
    public string? SiteType { get; init; }

    public bool HasCapability(string capability) =>
        Capabilities.Contains(capability, StringComparer.OrdinalIgnoreCase);
}

/// <summary>DNS resolvers of a region, each a comma-separated list.</summary>
public sealed record RegionResolvers
{
    public string? Ipv4 { get; init; }

    public string? Ipv6 { get; init; }
}

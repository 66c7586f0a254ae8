using System.Text.Json.Serialization;

namespace Autoscaler.Linode.Models;

/// <summary>An instance type with its prices (<c>GET /linode/types</c>).</summary>
public sealed record LinodeType
{
    public string Id { get; init; } = "";

    public string Label { get; init; } = "";

    /// <summary>nanode, standard, dedicated, premium, gpu, highmem.</summary>
    [JsonPropertyName("class")]
    public string TypeClass { get; init; } = "";

    /// <summary>Disk in MB.</summary>
    public int Disk { get; init; }

    /// <summary>Memory in MB.</summary>
    public int Memory { get; init; }

    public int Vcpus { get; init; }

    public int Gpus { get; init; }

    /// <summary>Outbound bandwidth in Mbps.</summary>
    public int NetworkOut { get; init; }

    /// <summary>Monthly transfer in GB.</summary>
    public int Transfer { get; init; }

    public Price? Price { get; init; }

    public IReadOnlyList<RegionPrice> RegionPrices { get; init; } = [];

    public TypeAddons? Addons { get; init; }

    public string? Successor { get; init; }

    /// <summary>The price in a region: the region's own price when it has one, else the base price.</summary>
    public Price? PriceIn(string region)
    {
        var regional = RegionPrices.FirstOrDefault(p => string.Equals(p.Id, region, StringComparison.OrdinalIgnoreCase));
        return regional is null ? Price : new Price { Hourly = regional.Hourly, Monthly = regional.Monthly };
    }
}

/// <summary>Hourly and monthly price in US dollars.</summary>
public sealed record Price
{
    public decimal? Hourly { get; init; }

    public decimal? Monthly { get; init; }
}

/// <summary>A price that differs from the base price in one region.</summary>
public sealed record RegionPrice
{
    public string Id { get; init; } = "";

    public decimal? Hourly { get; init; }

    public decimal? Monthly { get; init; }
}

public sealed record TypeAddons
{
    public TypeAddon? Backups { get; init; }
}

public sealed record TypeAddon
{
    public Price? Price { get; init; }

    public IReadOnlyList<RegionPrice> RegionPrices { get; init; } = [];
}

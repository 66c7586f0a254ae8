using System.Text.Json.Nodes;

namespace Linode.Emulator.Catalog;

/// <summary>A region as <c>GET /regions</c> shows it.</summary>
internal sealed record Region(
    string Id,
    string Label,
    string Country,
    string[] Capabilities,
    string Resolvers,
    string Ipv6Prefix)
{
    public bool Has(string capability) => Capabilities.Contains(capability, StringComparer.Ordinal);

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["label"] = Label,
        ["country"] = Country,
        ["capabilities"] = Json.Strings(Capabilities),
        ["status"] = "ok",
        ["resolvers"] = new JsonObject
        {
            ["ipv4"] = Resolvers,
            // Shown, never contacted.
            ["ipv6"] = string.Join(", ", Enumerable.Range(1, 4).Select(i => $"{Ipv6Prefix}::{i}")),
        },
        ["placement_group_limits"] = new JsonObject
        {
            ["maximum_linodes_per_pg"] = 5,
            ["maximum_pgs_per_customer"] = null,
        },
        // The 4.189 spec spells this "site-type"; the live API and linodego use site_type (SUBSET.md §7).
        ["site_type"] = "core",
    };
}

/// <summary>A plan as <c>GET /linode/types</c> shows it. Prices in USD; the two regions with their own price list
/// (Jakarta, São Paulo) are in <c>region_prices</c>, as on the live API.</summary>
internal sealed record LinodeType(
    string Id,
    string Label,
    string Class,
    int Disk,
    int Memory,
    int Vcpus,
    int Transfer,
    int NetworkOut,
    double Hourly,
    double Monthly,
    double BackupHourly,
    double BackupMonthly)
{
    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["label"] = Label,
        ["class"] = Class,
        ["disk"] = Disk,
        ["memory"] = Memory,
        ["vcpus"] = Vcpus,
        ["gpus"] = 0,
        ["network_out"] = NetworkOut,
        ["transfer"] = Transfer,
        ["price"] = Price(Hourly, Monthly),
        ["region_prices"] = RegionPrices(Hourly, Monthly),
        ["addons"] = new JsonObject
        {
            ["backups"] = new JsonObject
            {
                ["price"] = Price(BackupHourly, BackupMonthly),
                ["region_prices"] = RegionPrices(BackupHourly, BackupMonthly),
            },
        },
        ["successor"] = null,
    };

    private static JsonObject Price(double hourly, double monthly) => new() { ["hourly"] = hourly, ["monthly"] = monthly };

    // id-cgk is 20 % and br-gru 40 % above the base price list (Linode's published regional pricing).
    private static JsonArray RegionPrices(double hourly, double monthly) =>
    [
        new JsonObject { ["id"] = "id-cgk", ["hourly"] = Round(hourly * 1.2, 4), ["monthly"] = Round(monthly * 1.2, 2) },
        new JsonObject { ["id"] = "br-gru", ["hourly"] = Round(hourly * 1.4, 4), ["monthly"] = Round(monthly * 1.4, 2) },
    ];

    private static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}

/// <summary>An image as <c>GET /images</c> shows it.</summary>
internal sealed record Image(
    string Id,
    string Label,
    string? Vendor,
    string? Description,
    bool IsPublic,
    int Size,
    string Created,
    string? Eol,
    string[] Capabilities,
    string[] Tags)
{
    public bool CloudInit => Capabilities.Contains("cloud-init", StringComparer.Ordinal);

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["label"] = Label,
        ["description"] = Description,
        ["created"] = Created,
        ["created_by"] = IsPublic ? "linode" : "emulator",
        ["updated"] = Created,
        ["deprecated"] = false,
        ["is_public"] = IsPublic,
        ["size"] = Size,
        ["total_size"] = Size,
        ["status"] = "available",
        ["type"] = "manual",
        ["vendor"] = Vendor,
        ["expiry"] = null,
        ["eol"] = Eol,
        ["capabilities"] = Json.Strings(Capabilities),
        ["tags"] = Json.Strings(Tags),
        ["regions"] = new JsonArray(),
    };
}

/// <summary>The fixed part of the emulated account: real regions, the real shared/dedicated plans with their list
/// prices and specs, the public images (all with cloud-init), plus the configured private images.</summary>
internal sealed class LinodeCatalog
{
    private static readonly string[] CoreCapabilities =
    [
        "Linodes", "Backups", "NodeBalancers", "Block Storage", "Object Storage", "Kubernetes", "Cloud Firewall",
        "Vlans", "VPCs", "Metadata", "Premium Plans", "Placement Group",
    ];

    // Resolvers are the real published ones; they are shown, never contacted.
    private static readonly Region[] AllRegions =
    [
        new("ap-west", "Mumbai, IN", "in", CoreCapabilities, "172.105.34.5, 172.105.35.5, 172.105.36.5", "2400:8904"),
        new("ca-central", "Toronto, CA", "ca", CoreCapabilities, "172.105.0.5, 172.105.3.5, 172.105.4.5", "2600:3c04"),
        new("ap-southeast", "Sydney, AU", "au", CoreCapabilities, "172.105.166.5, 172.105.169.5, 172.105.168.5", "2400:8907"),
        new("us-central", "Dallas, TX", "us", CoreCapabilities, "72.14.179.5, 72.14.188.5, 173.255.199.5", "2600:3c00"),
        new("us-west", "Fremont, CA", "us", CoreCapabilities, "173.230.145.5, 173.230.147.5, 173.230.155.5", "2600:3c01"),
        new("us-southeast", "Atlanta, GA", "us", CoreCapabilities, "74.207.231.5, 173.230.128.5, 173.230.129.5", "2600:3c02"),
        new("us-east", "Newark, NJ", "us", CoreCapabilities, "66.228.42.5, 96.126.106.5, 50.116.53.5", "2600:3c03"),
        new("eu-west", "London, UK", "gb", CoreCapabilities, "178.79.182.5, 176.58.107.5, 176.58.116.5", "2a01:7e00"),
        new("ap-south", "Singapore, SG", "sg", CoreCapabilities, "139.162.11.5, 139.162.13.5, 139.162.14.5", "2400:8901"),
        new("eu-central", "Frankfurt, DE", "de", CoreCapabilities, "139.162.130.5, 139.162.131.5, 139.162.132.5", "2a01:7e01"),
        new("ap-northeast", "Tokyo, JP", "jp", CoreCapabilities, "139.162.66.5, 139.162.67.5, 139.162.68.5", "2400:8902"),
        new("id-cgk", "Jakarta, ID", "id", CoreCapabilities, "172.232.224.4, 172.232.224.5, 172.232.224.6", "2600:3c11"),
        new("br-gru", "Sao Paulo, BR", "br", CoreCapabilities, "172.233.0.4, 172.233.0.9, 172.233.0.7", "2600:3c0d"),
    ];

    // The shared and dedicated plans with the list prices in force since 2023 (the monthly price caps a month of hourly use).
    private static readonly LinodeType[] AllTypes =
    [
        new("g6-nanode-1", "Nanode 1GB", "nanode", 25600, 1024, 1, 1000, 1000, 0.0075, 5, 0.003, 2),
        new("g6-standard-1", "Linode 2GB", "standard", 51200, 2048, 1, 2000, 2000, 0.018, 12, 0.004, 2.5),
        new("g6-standard-2", "Linode 4GB", "standard", 81920, 4096, 2, 4000, 4000, 0.036, 24, 0.008, 5),
        new("g6-standard-4", "Linode 8GB", "standard", 163840, 8192, 4, 5000, 5000, 0.072, 48, 0.015, 10),
        new("g6-standard-6", "Linode 16GB", "standard", 327680, 16384, 6, 8000, 6000, 0.144, 96, 0.03, 20),
        new("g6-standard-8", "Linode 32GB", "standard", 655360, 32768, 8, 16000, 7000, 0.288, 192, 0.06, 40),
        new("g6-dedicated-2", "Dedicated 4GB", "dedicated", 81920, 4096, 2, 4000, 4000, 0.054, 36, 0.008, 5),
        new("g6-dedicated-4", "Dedicated 8GB", "dedicated", 163840, 8192, 4, 5000, 5000, 0.108, 72, 0.015, 10),
        new("g6-dedicated-8", "Dedicated 16GB", "dedicated", 327680, 16384, 8, 6000, 6000, 0.216, 144, 0.03, 20),
        new("g6-dedicated-16", "Dedicated 32GB", "dedicated", 655360, 32768, 16, 7000, 7000, 0.432, 288, 0.06, 40),
    ];

    private static readonly string[] PublicImageCapabilities = ["cloud-init", "distributed-sites"];

    private static readonly Image[] PublicImages =
    [
        new("linode/debian12", "Debian 12", "Debian", null, true, 1300, "2023-06-12T18:50:59", "2028-06-30T04:00:00", PublicImageCapabilities, []),
        new("linode/debian11", "Debian 11", "Debian", null, true, 1100, "2021-08-14T22:44:02", "2026-08-31T04:00:00", PublicImageCapabilities, []),
        new("linode/ubuntu24.04", "Ubuntu 24.04 LTS", "Ubuntu", null, true, 2500, "2024-04-25T13:48:37", "2029-05-31T04:00:00", PublicImageCapabilities, []),
        new("linode/ubuntu22.04", "Ubuntu 22.04 LTS", "Ubuntu", null, true, 2500, "2022-04-21T13:15:03", "2027-04-01T04:00:00", PublicImageCapabilities, []),
    ];

    private readonly Dictionary<string, Region> _regions = AllRegions.ToDictionary(r => r.Id, StringComparer.Ordinal);
    private readonly Dictionary<string, LinodeType> _types = AllTypes.ToDictionary(t => t.Id, StringComparer.Ordinal);
    private readonly List<Image> _images;

    public LinodeCatalog(IEnumerable<EmulatorPrivateImage> privateImages, string createdAt)
    {
        _images = [.. PublicImages];
        foreach (var p in privateImages)
        {
            _images.Add(new Image(p.Id, p.Label, null, p.Description, false, p.Size, createdAt, null,
                p.CloudInit ? ["cloud-init"] : [], [.. p.Tags]));
        }
    }

    public static IReadOnlySet<string> RegionFilterable { get; } = new HashSet<string>(StringComparer.Ordinal) { "country", "site_type" };

    public static IReadOnlySet<string> TypeFilterable { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "label", "class", "disk", "memory", "vcpus", "gpus", "network_out", "transfer",
    };

    public static IReadOnlySet<string> ImageFilterable { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "label", "deprecated", "is_public", "size", "type", "vendor", "status", "tags",
    };

    public IEnumerable<Region> Regions => _regions.Values;

    public IEnumerable<LinodeType> Types => _types.Values;

    public IEnumerable<Image> Images => _images;

    public Region? FindRegion(string id) => _regions.GetValueOrDefault(id);

    public LinodeType? FindType(string id) => _types.GetValueOrDefault(id);

    public Image? FindImage(string id) => _images.Find(i => string.Equals(i.Id, id, StringComparison.Ordinal));
}

/// <summary>Small JSON helpers shared by the state's views.</summary>
internal static class Json
{
    public static JsonArray Strings(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (var v in values)
        {
            array.Add(v);
        }
        return array;
    }

    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", System.Globalization.CultureInfo.InvariantCulture);
}

using System.Text;
using System.Text.Json.Serialization;
using Autoscaler.Linode.Json;

namespace Autoscaler.Linode.Models;

/// <summary>A Linode's status. The API adds values over time; anything unrecognised is <see cref="Unknown"/>
/// (see <see cref="Instance.RawStatus"/> for the original string).</summary>
public enum InstanceStatus
{
    Unknown = 0,
    Running,
    Offline,
    Booting,
    Busy,
    Rebooting,
    ShuttingDown,
    Provisioning,
    Deleting,
    Migrating,
    Rebuilding,
    Cloning,
    Restoring,
    Stopped,
    BillingSuspension,
    Resizing,
}

/// <summary>A Compute Instance (a "Linode").</summary>
public sealed record Instance
{
    public long Id { get; init; }

    public string Label { get; init; } = "";

    public string? Group { get; init; }

    /// <summary>The status exactly as the API sent it.</summary>
    [JsonPropertyName("status")]
    public string RawStatus { get; init; } = "";

    /// <summary>The status as an enum (case-insensitive; unrecognised values are <see cref="InstanceStatus.Unknown"/>).</summary>
    [JsonIgnore]
    public InstanceStatus Status => LinodeEnums.Parse<InstanceStatus>(RawStatus);

    public DateTimeOffset? Created { get; init; }

    public DateTimeOffset? Updated { get; init; }

    /// <summary>The type id, e.g. <c>g6-standard-2</c>.</summary>
    public string Type { get; init; } = "";

    public string Region { get; init; } = "";

    public string? Image { get; init; }

    /// <summary>Public and private IPv4 addresses.</summary>
    public IReadOnlyList<string> Ipv4 { get; init; } = [];

    /// <summary>SLAAC address with its <c>/128</c>.</summary>
    public string? Ipv6 { get; init; }

    public InstanceSpecs? Specs { get; init; }

    public InstanceAlerts? Alerts { get; init; }

    public InstanceBackups? Backups { get; init; }

    public string? Hypervisor { get; init; }

    public bool WatchdogEnabled { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public string? HostUuid { get; init; }

    public bool HasUserData { get; init; }

    public long? LkeClusterId { get; init; }

    public IReadOnlyList<string> Capabilities { get; init; } = [];

    public string? SiteType { get; init; }

    public string? DiskEncryption { get; init; }

    /// <summary>True when the instance carries the tag (tags compare exactly, as the API stores them).</summary>
    public bool HasTag(string tag) => Tags.Contains(tag, StringComparer.Ordinal);

    /// <summary>The first private IPv4 (192.168.128.0/17) listed in <see cref="Ipv4"/>, if any.</summary>
    [JsonIgnore]
    public string? PrivateIpv4 => Ipv4.FirstOrDefault(IpAddress.IsLinodePrivateIpv4);

    /// <summary>The first public IPv4 listed in <see cref="Ipv4"/>, if any.</summary>
    [JsonIgnore]
    public string? PublicIpv4 => Ipv4.FirstOrDefault(a => !IpAddress.IsLinodePrivateIpv4(a));
}

/// <summary>Sizes in MB; transfer in GB.</summary>
public sealed record InstanceSpecs
{
    public int Disk { get; init; }

    public int Memory { get; init; }

    public int Vcpus { get; init; }

    public int Gpus { get; init; }

    public int Transfer { get; init; }
}

public sealed record InstanceAlerts
{
    public int? Cpu { get; init; }

    public int? Io { get; init; }

    public int? NetworkIn { get; init; }

    public int? NetworkOut { get; init; }

    public int? TransferQuota { get; init; }
}

public sealed record InstanceBackups
{
    public bool Enabled { get; init; }

    public bool? Available { get; init; }

    public DateTimeOffset? LastSuccessful { get; init; }

    public BackupSchedule? Schedule { get; init; }
}

public sealed record BackupSchedule
{
    public string? Day { get; init; }

    public string? Window { get; init; }
}

/// <summary>Body of <c>POST /linode/instances</c>. <see cref="Region"/> and <see cref="Type"/> are required;
/// <see cref="RootPass"/> is required with an <see cref="Image"/> and never appears in <see cref="ToString"/>.</summary>
public sealed record CreateInstanceRequest
{
    public required string Region { get; init; }

    public required string Type { get; init; }

    public string? Label { get; init; }

    public string? Image { get; init; }

    public string? RootPass { get; init; }

    public IReadOnlyList<string>? AuthorizedKeys { get; init; }

    public IReadOnlyList<string>? AuthorizedUsers { get; init; }

    public long? StackscriptId { get; init; }

    public IReadOnlyDictionary<string, string>? StackscriptData { get; init; }

    public InstanceMetadata? Metadata { get; init; }

    public long? FirewallId { get; init; }

    public bool? PrivateIp { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }

    public bool? Booted { get; init; }

    public int? SwapSize { get; init; }

    public bool? BackupsEnabled { get; init; }

    public long? BackupId { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Region = ").Append(Region)
            .Append(", Type = ").Append(Type)
            .Append(", Label = ").Append(Label)
            .Append(", Image = ").Append(Image)
            .Append(", RootPass = ").Append(RootPass is null ? "null" : "***")
            .Append(", PrivateIp = ").Append(PrivateIp)
            .Append(", Booted = ").Append(Booted)
            .Append(", Tags = [").AppendJoin(", ", Tags ?? []).Append(']')
            .Append(", StackscriptId = ").Append(StackscriptId)
            .Append(", HasUserData = ").Append(Metadata?.UserData is not null);
        return true;
    }
}

/// <summary>cloud-init data for a new instance.</summary>
public sealed record InstanceMetadata
{
    /// <summary>Linode's limit on user data after base64 decoding (the API refuses more; cloud-init's Akamai source
    /// reads gzipped data only from 24.4 on, so stay under it uncompressed).</summary>
    public const int MaxUserDataBytes = 16384;

    /// <summary>Base64-encoded user data (≤ <see cref="MaxUserDataBytes"/> bytes before encoding).</summary>
    public string? UserData { get; init; }

    /// <summary>The decoded size of <see cref="UserData"/> (0 when absent), from the base64 length and padding.</summary>
    public int DecodedUserDataLength()
    {
        if (string.IsNullOrEmpty(UserData))
        {
            return 0;
        }

        var text = UserData.Trim();
        var padding = text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith('=') ? 1 : 0;
        return (int)Math.Min(int.MaxValue, (text.Length * 3L / 4) - padding);
    }

    /// <summary>Encodes plain-text cloud-config as the API wants it.</summary>
    public static InstanceMetadata FromCloudConfig(string cloudConfig) =>
        new() { UserData = Convert.ToBase64String(Encoding.UTF8.GetBytes(cloudConfig)) };
}

/// <summary>Body of <c>PUT /linode/instances/{id}</c>; null fields are left unchanged.
/// <see cref="Tags"/> replaces the whole list.</summary>
public sealed record UpdateInstanceRequest
{
    public string? Label { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }

    public string? Group { get; init; }

    public bool? WatchdogEnabled { get; init; }

    public InstanceAlerts? Alerts { get; init; }
}

/// <summary>Body of boot and reboot: an optional config profile.</summary>
internal sealed record BootRequest(long? ConfigId);

/// <summary>Body of <c>POST /linode/instances/{id}/ips</c>.</summary>
internal sealed record AllocateIpRequest(string Type, bool Public);

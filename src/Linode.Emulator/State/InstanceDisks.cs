using System.Globalization;
using System.Text.Json.Nodes;
using Linode.Emulator.Catalog;

namespace Linode.Emulator.State;

/// <summary>
/// The disks and the configuration profile an instance is created with, as Linode makes them from an image: a boot
/// disk (the plan's disk less the swap), a 512 MB swap disk and one config booting <c>/dev/sda</c>. An instance
/// created without an image has neither disks nor config. Their ids follow from the instance's id, so nothing is
/// stored; Terraform's <c>linode_instance</c> reads both lists on every refresh.
/// </summary>
/// <remarks>Simpler than Linode: disks and configs cannot be created, resized or deleted here.</remarks>
internal static class InstanceDisks
{
    public const int SwapSize = 512;

    // Id ranges apart from every other kind, as elsewhere in the emulator: a client mixing up ids gets a 404.
    private const long DiskIdBase = 80_000_000;
    private const long ConfigIdBase = 90_000_000;
    private const long InstanceIdBase = 50_000_000;

    public static bool HasDisks(Instance instance) => instance.Image is not null;

    public static long BootDiskId(Instance instance) => DiskIdBase + (2 * (instance.Id - InstanceIdBase)) - 1;

    public static long SwapDiskId(Instance instance) => BootDiskId(instance) + 1;

    public static long ConfigId(Instance instance) => ConfigIdBase + (instance.Id - InstanceIdBase);

    public static string ConfigLabel(Instance instance) => $"My {instance.Image?.Label ?? "Linode"} Disk Profile";

    /// <summary>The <c>linode_config</c> secondary entity of boot and reboot events (SUBSET.md §13), or null for an
    /// instance without a config.</summary>
    public static EventEntity? ConfigEntity(Instance instance) => HasDisks(instance)
        ? new EventEntity(ConfigId(instance).ToString(CultureInfo.InvariantCulture), ConfigLabel(instance), "linode_config",
            $"{instance.Url}/configs/{ConfigId(instance).ToString(CultureInfo.InvariantCulture)}")
        : null;

    public static IEnumerable<JsonObject> Disks(Instance instance)
    {
        if (!HasDisks(instance))
        {
            yield break;
        }
        yield return Disk(instance, BootDiskId(instance), instance.Image!.Label + " Disk", instance.Type.Disk - SwapSize, "ext4");
        yield return Disk(instance, SwapDiskId(instance), $"{SwapSize} MB Swap Image", SwapSize, "swap");
    }

    public static IEnumerable<JsonObject> Configs(Instance instance)
    {
        if (!HasDisks(instance))
        {
            yield break;
        }
        var devices = new JsonObject
        {
            ["sda"] = new JsonObject { ["disk_id"] = BootDiskId(instance), ["volume_id"] = null },
            ["sdb"] = new JsonObject { ["disk_id"] = SwapDiskId(instance), ["volume_id"] = null },
        };
        foreach (var name in new[] { "sdc", "sdd", "sde", "sdf", "sdg", "sdh" })
        {
            devices[name] = null;
        }
        yield return new JsonObject
        {
            ["id"] = ConfigId(instance),
            ["label"] = ConfigLabel(instance),
            ["comments"] = "",
            ["devices"] = devices,
            ["helpers"] = new JsonObject
            {
                ["devtmpfs_automount"] = true,
                ["distro"] = true,
                ["modules_dep"] = true,
                ["network"] = true,
                ["updatedb_disabled"] = true,
            },
            ["interfaces"] = new JsonArray(),
            ["kernel"] = "linode/grub2",
            ["memory_limit"] = 0,
            ["root_device"] = "/dev/sda",
            ["run_level"] = "default",
            ["virt_mode"] = "paravirt",
        };
    }

    private static JsonObject Disk(Instance instance, long id, string label, int size, string filesystem) => new()
    {
        ["id"] = id,
        ["label"] = label,
        ["status"] = instance.Status == "provisioning" ? "not ready" : "ready",
        ["size"] = size,
        ["filesystem"] = filesystem,
        ["created"] = Json.Timestamp(instance.Created),
        ["updated"] = Json.Timestamp(instance.Created),
    };
}

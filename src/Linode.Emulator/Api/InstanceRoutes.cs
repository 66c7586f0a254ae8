using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Linode.Emulator.Catalog;
using Linode.Emulator.State;
using Microsoft.AspNetCore.Routing;

namespace Linode.Emulator.Api;

/// <summary>/linode/instances and their actions and IPs.</summary>
internal static class InstanceRoutes
{
    private static readonly IReadOnlySet<string> Filterable = new HashSet<string>(StringComparer.Ordinal)
    {
        "id", "label", "group", "region", "image", "ipv4", "tags",
    };

    /// <summary>Largest decoded <c>metadata.user_data</c> Linode accepts.</summary>
    internal const int MaxUserDataBytes = 16_384;

    private static readonly string[] BackupDays = ["Scheduling", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    private static readonly string[] BackupWindows =
        ["Scheduling", "W0", "W2", "W4", "W6", "W8", "W10", "W12", "W14", "W16", "W18", "W20", "W22"];

    public static void MapInstances(this IEndpointRouteBuilder app, ApiContext api)
    {
        var state = api.State;

        app.Map(api, "GET", "/linode/instances", Access.Token, r =>
        {
            var paging = Paging.From(r.Http.Request, Filterable);
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(paging.Envelope(state.Instances.Values.Select(i => i.ToJson()).ToList()));
            }
        });

        app.Map(api, "POST", "/linode/instances", Access.Token, async r => Create(api, await r.BodyAsync()));

        app.Map(api, "GET", "/linode/instances/{linodeId}", Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(Find(state, r.Id("linodeId")).ToJson());
            }
        });

        app.Map(api, "PUT", "/linode/instances/{linodeId}", Access.Token, async r =>
        {
            var id = r.Id("linodeId");
            var body = await r.BodyAsync();
            lock (state.Gate)
            {
                return Update(state, Find(state, id), body);
            }
        });

        app.Map(api, "DELETE", "/linode/instances/{linodeId}", Access.Token, r =>
        {
            lock (state.Gate)
            {
                var instance = Find(state, r.Id("linodeId"));
                if (instance.Status == "deleting")
                {
                    throw ApiException.Busy();
                }
                api.Lifecycle.BeginDelete(instance);
            }
            return Task.FromResult<JsonNode>(new JsonObject());
        });

        app.Map(api, "POST", "/linode/instances/{linodeId}/boot", Access.Token, async r =>
        {
            var id = r.Id("linodeId");
            await r.BodyAsync();
            lock (state.Gate)
            {
                var instance = Idle(state, id);
                switch (instance.Status)
                {
                    case "running":
                        api.Lifecycle.NoOp(instance, "linode_boot");
                        break;
                    case "offline":
                        api.Lifecycle.BeginBoot(instance, "linode_boot");
                        break;
                    default:
                        throw ApiException.Busy();
                }
            }
            return new JsonObject();
        });

        app.Map(api, "POST", "/linode/instances/{linodeId}/reboot", Access.Token, async r =>
        {
            var id = r.Id("linodeId");
            await r.BodyAsync();
            lock (state.Gate)
            {
                var instance = Idle(state, id);
                switch (instance.Status)
                {
                    case "running":
                        api.Lifecycle.BeginReboot(instance);
                        break;
                    case "offline":
                        // Rebooting a powered-off Linode boots it.
                        api.Lifecycle.BeginBoot(instance, "linode_reboot");
                        break;
                    default:
                        throw ApiException.Busy();
                }
            }
            return new JsonObject();
        });

        app.Map(api, "POST", "/linode/instances/{linodeId}/shutdown", Access.Token, r =>
        {
            lock (state.Gate)
            {
                var instance = Idle(state, r.Id("linodeId"));
                switch (instance.Status)
                {
                    case "running":
                        api.Lifecycle.BeginShutdown(instance);
                        break;
                    case "offline":
                        api.Lifecycle.NoOp(instance, "linode_shutdown");
                        break;
                    default:
                        throw ApiException.Busy();
                }
            }
            return Task.FromResult<JsonNode>(new JsonObject());
        });

        app.Map(api, "GET", "/linode/instances/{linodeId}/ips", Access.Token, r =>
        {
            lock (state.Gate)
            {
                return Task.FromResult<JsonNode>(Ips(Find(state, r.Id("linodeId"))));
            }
        });

        app.Map(api, "POST", "/linode/instances/{linodeId}/ips", Access.Token, async r =>
        {
            var id = r.Id("linodeId");
            var body = await r.BodyAsync();
            lock (state.Gate)
            {
                return AddIp(state, Find(state, id), body);
            }
        });
    }

    private static Instance Find(EmulatorState state, long id) =>
        state.Instances.TryGetValue(id, out var instance) && !instance.Deleted ? instance : throw ApiException.NotFound();

    /// <summary>The instance, when no job is running on it; "Linode busy." otherwise [obs].</summary>
    private static Instance Idle(EmulatorState state, long id)
    {
        var instance = Find(state, id);
        return instance.Job is null ? instance : throw ApiException.Busy();
    }

    private static JsonObject Create(ApiContext api, JsonObject json)
    {
        var state = api.State;
        var problems = new Problems();
        var body = new RequestBody(json, problems);

        var typeId = body.String("type", required: true);
        var regionId = body.String("region", required: true);
        var label = body.String("label");
        var imageId = body.String("image");
        var rootPass = body.String("root_pass");
        body.Strings("authorized_keys");
        body.Strings("authorized_users");
        var booted = body.Bool("booted");
        var privateIp = body.Bool("private_ip") ?? false;
        var tags = body.Strings("tags") ?? [];
        var group = body.String("group") ?? "";
        body.Int("swap_size");
        var backupsEnabled = body.Bool("backups_enabled") ?? false;
        var backupId = body.Long("backup_id");
        var stackScriptId = body.Long("stackscript_id");
        var stackScriptData = body.StringMap("stackscript_data") ?? [];
        var metadata = body.Object("metadata");
        var userData = metadata?.String("user_data");
        var firewallId = body.Long("firewall_id");

        LinodeType? type = null;
        if (typeId is not null && (type = state.Catalog.FindType(typeId)) is null)
        {
            problems.Add("type", "A valid plan type by that ID was not found");
        }
        Region? region = null;
        if (regionId is not null)
        {
            region = state.Catalog.FindRegion(regionId);
            if (region is null)
            {
                problems.Add("region", "region is not valid");
            }
            else if (!region.Has("Linodes"))
            {
                problems.Add("region", "Linodes are not available in this region");
                region = null;
            }
        }
        Image? image = null;
        if (imageId is not null && (image = state.Catalog.FindImage(imageId)) is null)
        {
            problems.Add("image", "image is not valid");
        }
        if (imageId is not null)
        {
            // Required with an image (StackScripts included) [obs: "root_pass is required" style].
            if (rootPass is null)
            {
                problems.Add("root_pass", "root_pass is required");
            }
            else
            {
                Rules.RootPassword(rootPass, "root_pass", problems);
            }
        }
        if (backupId is not null)
        {
            // Backups are not emulated, so no backup id can be valid.
            problems.Add("backup_id", "A valid backup by that ID was not found");
        }
        if (stackScriptId is not null && imageId is null)
        {
            problems.Add("image", "image is required when deploying a StackScript");
        }
        if (stackScriptData.Sum(kv => kv.Key.Length + kv.Value.Length) > 65535)
        {
            problems.Add("stackscript_data", "Must be at most 65535 characters");
        }
        if (userData is not null)
        {
            CheckUserData(userData, image, imageId, region, problems);
        }
        Rules.Tags(tags, "tags", problems);

        lock (state.Gate)
        {
            InstanceNetwork.CheckReferences(state, json, firewallId, stackScriptId, problems);
            if (label is not null)
            {
                Rules.LinodeLabel(label, "label", problems);
                if (state.Instances.Values.Any(i => !i.Deleted && i.Label == label))
                {
                    problems.Add("label", "Label must be unique among your linodes");
                }
            }
            problems.ThrowIfAny();

            var publicIp = state.InstancePool.Allocate() ?? throw ApiException.BadRequest("No IPv4 addresses are available.");

            var id = state.NextInstanceId();
            var now = state.Now;
            var instance = new Instance
            {
                Id = id,
                Label = label ?? "linode" + id.ToString(CultureInfo.InvariantCulture),
                Group = group,
                Status = "provisioning",
                Created = now,
                Updated = now,
                Type = type!,
                Region = region!,
                Image = image,
                PublicIpv4 = publicIp,
                Slaac = Slaac(region!, id),
                Tags = [.. tags.Distinct(StringComparer.Ordinal)],
                AlertCpu = 90 * type!.Vcpus,
                BackupsEnabled = backupsEnabled,
                BackupDay = backupsEnabled ? "Scheduling" : null,
                BackupWindow = backupsEnabled ? "Scheduling" : null,
                HostUuid = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("host-" + id)).AsSpan(0, 20)),
                UserData = userData,
                StackScriptData = stackScriptData,
            };
            if (privateIp && !state.AssignPrivate(instance))
            {
                state.InstancePool.Release(publicIp);
                throw ApiException.BadRequest("No private IPv4 addresses are available.", "private_ip");
            }
            state.Instances[id] = instance;
            state.EnsureTags(instance.Tags);
            InstanceNetwork.AttachFirewall(state, instance, firewallId);
            // booted defaults to true with an image (or backup), false without.
            api.Lifecycle.BeginCreate(instance, booted ?? image is not null);
            return instance.ToJson();
        }
    }

    private static void CheckUserData(string userData, Image? image, string? imageId, Region? region, Problems problems)
    {
        const string field = "metadata.user_data";
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(userData);
        }
        catch (FormatException)
        {
            problems.Add(field, "Must be base64-encoded");
            return;
        }
        // Linode's metadata service takes at most 16 KiB of decoded user data (cloud-init's Akamai datasource and
        // Linode's metadata guide); the spec's 65,535 is the encoded request limit, which a 20 KB file passes.
        if (decoded.Length > MaxUserDataBytes)
        {
            problems.Add(field, $"Must be at most {MaxUserDataBytes} bytes after base64 decoding (is {decoded.Length})");
        }
        if (imageId is null)
        {
            problems.Add(field, "user_data requires an image with the cloud-init capability");
        }
        else if (image is not null && !image.CloudInit)
        {
            problems.Add(field, "The image does not support cloud-init");
        }
        if (region is not null && !region.Has("Metadata"))
        {
            problems.Add(field, "The region does not support Metadata");
        }
    }

    private static JsonObject Update(EmulatorState state, Instance instance, JsonObject json)
    {
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var label = body.String("label");
        var tags = body.Strings("tags");
        var group = body.String("group");
        var watchdog = body.Bool("watchdog_enabled");
        var alerts = body.Object("alerts");
        int? cpu = alerts?.Int("cpu"), io = alerts?.Int("io"), netIn = alerts?.Int("network_in"),
            netOut = alerts?.Int("network_out"), quota = alerts?.Int("transfer_quota");
        var schedule = body.Object("backups")?.Object("schedule");
        var day = schedule?.String("day");
        var window = schedule?.String("window");

        if (label is not null)
        {
            Rules.LinodeLabel(label, "label", problems);
            if (state.Instances.Values.Any(i => !i.Deleted && i.Id != instance.Id && i.Label == label))
            {
                problems.Add("label", "Label must be unique among your linodes");
            }
        }
        if (tags is not null)
        {
            Rules.Tags(tags, "tags", problems);
        }
        foreach (var (name, value) in new[] { ("cpu", cpu), ("io", io), ("network_in", netIn), ("network_out", netOut), ("transfer_quota", quota) })
        {
            if (value < 0)
            {
                problems.Add("alerts." + name, "Must be 0 or greater");
            }
        }
        if (quota > 100)
        {
            problems.Add("alerts.transfer_quota", "Must be between 0 and 100");
        }
        if (day is not null && !BackupDays.Contains(day, StringComparer.Ordinal))
        {
            problems.Add("backups.schedule.day", Rules.OneOf(BackupDays));
        }
        if (window is not null && !BackupWindows.Contains(window, StringComparer.Ordinal))
        {
            problems.Add("backups.schedule.window", Rules.OneOf(BackupWindows));
        }
        problems.ThrowIfAny();

        instance.Label = label ?? instance.Label;
        if (tags is not null)
        {
            instance.Tags = [.. tags.Distinct(StringComparer.Ordinal)];
            state.EnsureTags(instance.Tags);
        }
        instance.Group = group ?? instance.Group;
        instance.WatchdogEnabled = watchdog ?? instance.WatchdogEnabled;
        instance.AlertCpu = cpu ?? instance.AlertCpu;
        instance.AlertIo = io ?? instance.AlertIo;
        instance.AlertNetworkIn = netIn ?? instance.AlertNetworkIn;
        instance.AlertNetworkOut = netOut ?? instance.AlertNetworkOut;
        instance.AlertTransferQuota = quota ?? instance.AlertTransferQuota;
        instance.BackupDay = day ?? instance.BackupDay;
        instance.BackupWindow = window ?? instance.BackupWindow;
        instance.Updated = state.Now;
        state.AddEvent("linode_update", EventEntity.Of(instance), "notification");
        return instance.ToJson();
    }

    private static JsonObject Ips(Instance instance) => new()
    {
        ["ipv4"] = new JsonObject
        {
            ["public"] = new JsonArray(instance.PublicIpJson()),
            ["private"] = instance.PrivateIpv4 is null ? new JsonArray() : new JsonArray(instance.PrivateIpJson(withNat: false)),
            ["shared"] = new JsonArray(),
            ["reserved"] = new JsonArray(),
            ["vpc"] = new JsonArray(),
        },
        ["ipv6"] = new JsonObject
        {
            ["slaac"] = instance.SlaacJson(),
            ["link_local"] = instance.LinkLocalJson(),
            ["global"] = new JsonArray(),
        },
    };

    private static JsonObject AddIp(EmulatorState state, Instance instance, JsonObject json)
    {
        var problems = new Problems();
        var body = new RequestBody(json, problems);
        var type = body.String("type", required: true);
        var isPublic = body.Bool("public");
        if (!json.ContainsKey("public"))
        {
            problems.Add("public", "public is required");
        }
        if (type is not null && type != "ipv4")
        {
            problems.Add("type", "Must be ipv4");
        }
        problems.ThrowIfAny();
        if (instance.Status == "deleting")
        {
            throw ApiException.Busy();
        }
        if (isPublic == true)
        {
            // On the real API an extra public IPv4 needs a support ticket with a justification.
            throw ApiException.BadRequest(
                "Additional IPv4 addresses require technical justification. Please open a Support Ticket describing your requirement.",
                "public");
        }
        if (instance.PrivateIpv4 is not null)
        {
            throw ApiException.BadRequest("This Linode already has a private IPv4 address.", "public");
        }
        if (!state.AssignPrivate(instance))
        {
            throw ApiException.BadRequest("No private IPv4 addresses are available.");
        }
        instance.Updated = state.Now;
        state.AddEvent("linode_addip", EventEntity.Of(instance), "notification");
        return instance.PrivateIpJson();
    }

    /// <summary>A SLAAC address in the region's real /64 with a MAC-derived-looking, per-instance suffix.</summary>
    private static string Slaac(Region region, long id)
    {
        var low = (uint)(id & 0xFFFFFF);
        return string.Create(CultureInfo.InvariantCulture,
            $"{region.Ipv6Prefix}::f03c:95ff:fe{(low >> 16) & 0xFF:x2}:{low & 0xFFFF:x4}");
    }
}

using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Linode.Emulator.Catalog;
using Linode.Emulator.Runtime;

namespace Linode.Emulator.State;

/// <summary>The account's Cloud Firewalls and what they are attached to (guarded by <see cref="EmulatorState.Gate"/>).</summary>
internal sealed class FirewallBook
{
    private long _nextFirewallId = 9_000_001;
    private long _nextDeviceId = 4_000_001;

    public SortedDictionary<long, Firewall> All { get; } = [];

    /// <summary>The firewall new instances get when their create names none (the account default); null: none.</summary>
    public Firewall? AccountDefault { get; set; }

    public long NextFirewallId() => _nextFirewallId++;

    /// <summary>A firewall from the emulator's config (the account default).</summary>
    public static Firewall FromConfig(long id, EmulatorFirewall config, DateTimeOffset now) => new()
    {
        Id = id,
        Label = config.Label,
        Created = now,
        Updated = now,
        InboundPolicy = config.InboundPolicy,
        OutboundPolicy = config.OutboundPolicy,
        Inbound = [.. config.Inbound.Select(r => new FirewallRule(r.Action, r.Protocol, r.Ports, [.. r.Ipv4], null, r.Label, null))],
    };

    public long NextDeviceId() => _nextDeviceId++;

    /// <summary>The enabled firewall attached to an entity ("linode" or "nodebalancer"), if any.</summary>
    public Firewall? Of(string type, long entityId) =>
        All.Values.FirstOrDefault(f => f.Status == "enabled" && f.Devices.Any(d => d.Type == type && d.EntityId == entityId));

    /// <summary>Every firewall attached to an entity (GET /nodebalancers/{id}/firewalls).</summary>
    public IEnumerable<Firewall> AttachedTo(string type, long entityId) =>
        All.Values.Where(f => f.Devices.Any(d => d.Type == type && d.EntityId == entityId));

    /// <summary>Attaches <paramref name="firewall"/> to an entity.</summary>
    public FirewallDevice Attach(Firewall firewall, string type, long entityId, string label, DateTimeOffset now)
    {
        var device = new FirewallDevice
        {
            Id = NextDeviceId(),
            Firewall = firewall,
            Type = type,
            EntityId = entityId,
            Label = label,
            Created = now,
            Updated = now,
        };
        firewall.Devices.Add(device);
        return device;
    }

    /// <summary>An entity is gone: it leaves every firewall (as on Linode, where deleting a Linode removes the device).</summary>
    public void Detach(string type, long entityId)
    {
        foreach (var firewall in All.Values)
        {
            firewall.Devices.RemoveAll(d => d.Type == type && d.EntityId == entityId);
        }
    }
}

/// <summary>One inbound or outbound rule as the API holds it.</summary>
internal sealed record FirewallRule(string Action, string Protocol, string? Ports, IReadOnlyList<string>? Ipv4,
    IReadOnlyList<string>? Ipv6, string? Label, string? Description)
{
    public JsonObject ToJson()
    {
        var addresses = new JsonObject();
        if (Ipv4 is not null)
        {
            addresses["ipv4"] = Json.Strings(Ipv4);
        }
        if (Ipv6 is not null)
        {
            addresses["ipv6"] = Json.Strings(Ipv6);
        }
        var rule = new JsonObject
        {
            ["action"] = Action,
            ["addresses"] = addresses,
            ["protocol"] = Protocol,
        };
        if (Ports is not null)
        {
            rule["ports"] = Ports;
        }
        if (Label is not null)
        {
            rule["label"] = Label;
        }
        return rule;
    }

    /// <summary>The rule as the emulated network applies it; null for what it cannot carry (UDP, ICMP, IPv6 only).</summary>
    public InboundRule? ToInbound()
    {
        if (!string.Equals(Protocol, "TCP", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var networks = (Ipv4 ?? []).Select(InboundRule.ParseNetwork).OfType<IPNetwork>().ToList();
        return new InboundRule(Action == "ACCEPT", InboundRule.ParsePorts(Ports) ?? [], networks);
    }
}

internal sealed class Firewall
{
    public required long Id { get; init; }
    public required string Label { get; set; }
    public string Status { get; set; } = "enabled";
    public List<string> Tags { get; set; } = [];
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Updated { get; set; }
    public string InboundPolicy { get; set; } = "ACCEPT";
    public string OutboundPolicy { get; set; } = "ACCEPT";
    public List<FirewallRule> Inbound { get; set; } = [];
    public List<FirewallRule> Outbound { get; set; } = [];
    public int Version { get; set; } = 1;
    public List<FirewallDevice> Devices { get; } = [];

    public string Url => $"/v4/networking/firewalls/{Id}";

    public InboundFilter Filter() =>
        new(Label, InboundPolicy == "ACCEPT", [.. Inbound.Select(r => r.ToInbound()).OfType<InboundRule>()]);

    public JsonObject RulesJson()
    {
        var rules = new JsonObject
        {
            ["inbound"] = new JsonArray([.. Inbound.Select(r => (JsonNode)r.ToJson())]),
            ["inbound_policy"] = InboundPolicy,
            ["outbound"] = new JsonArray([.. Outbound.Select(r => (JsonNode)r.ToJson())]),
            ["outbound_policy"] = OutboundPolicy,
            ["version"] = Version,
        };
        // An 8-hex-digit hash of the rules, so clients can compare versions (the spec's "fingerprint").
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(rules.ToJsonString()));
        rules["fingerprint"] = Convert.ToHexStringLower(hash.AsSpan(0, 4));
        return rules;
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["label"] = Label,
        ["status"] = Status,
        ["tags"] = Json.Strings(Tags),
        ["created"] = Json.Timestamp(Created),
        ["updated"] = Json.Timestamp(Updated),
        ["rules"] = RulesJson(),
    };
}

internal sealed class FirewallDevice
{
    public required long Id { get; init; }
    public required Firewall Firewall { get; init; }
    public required string Type { get; init; }
    public required long EntityId { get; init; }
    public required string Label { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Updated { get; init; }

    public string Url => $"/v4/networking/firewalls/{Firewall.Id}/devices/{Id}";

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["created"] = Json.Timestamp(Created),
        ["updated"] = Json.Timestamp(Updated),
        ["entity"] = new JsonObject
        {
            ["id"] = EntityId,
            ["label"] = Label,
            ["type"] = Type,
            ["url"] = Type == "linode"
                ? "/v4/linode/instances/" + EntityId.ToString(CultureInfo.InvariantCulture)
                : "/v4/nodebalancers/" + EntityId.ToString(CultureInfo.InvariantCulture),
        },
    };
}

using System.Globalization;
using System.Text;
using Autoscaler.Core.Providers;

namespace Autoscaler.Linode.Configuration;

/// <summary>
/// How a pool's Linode instances are created and where they serve: the keys beside the policy in a pool with
/// <c>provider: linode</c> (the default). Membership is the pool tag: the autoscaler never touches an instance without it.
/// </summary>
public sealed record LinodePoolConfig : ProviderPoolConfig
{
    /// <summary>The name pools give in <c>provider:</c>.</summary>
    public const string ProviderName = "linode";

    /// <summary>Default <see cref="ProtectionTag"/>.</summary>
    public const string DefaultProtectionTag = "autoscaler:protected";

    /// <inheritdoc />
    public override string Provider => ProviderName;

    /// <summary>Linode region, e.g. <c>us-east</c>.</summary>
    public string Region { get; init; } = "";

    /// <summary>Linode type, e.g. <c>g6-standard-1</c>.</summary>
    public string Type { get; init; } = "";

    /// <summary>Image, e.g. <c>linode/debian12</c> or <c>private/123</c>.</summary>
    public string Image { get; init; } = "";

    /// <summary>Optional StackScript run at first boot.</summary>
    public StackScriptConfig? StackScript { get; init; }

    /// <summary>Optional cloud-init user data file (resolved against the configuration's folder when loaded from a file).</summary>
    public string? UserDataFile { get; init; }

    /// <summary>SSH public keys installed for root.</summary>
    public IReadOnlyList<string> AuthorizedKeys { get; init; } = [];

    /// <summary>Cloud Firewall attached at creation, so a new instance never runs unprotected.</summary>
    public long? FirewallId { get; init; }

    /// <summary>A Cloud Firewall named by label, resolved to its id at start-up (breaks the Terraform cycle between the
    /// firewall and the autoscaler's config); exclusive with <see cref="FirewallId"/>.</summary>
    public string? FirewallLabel { get; init; }

    /// <summary>Extra tags put on every instance (besides the pool tag).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The tag that makes an instance a member; empty: <c>autoscaler:NAME</c> (<see cref="PoolTagOf"/>). The
    /// reader fills in the default.</summary>
    public string PoolTag { get; init; } = "";

    /// <summary>Members carrying this tag are never removed or replaced. Default <c>autoscaler:protected</c>.</summary>
    public string ProtectionTag { get; init; } = DefaultProtectionTag;

    /// <summary>The NodeBalancer config the members serve behind.</summary>
    public NodeBalancerConfig NodeBalancer { get; init; } = new();

    /// <inheritdoc />
    public override string InstanceType => Type;

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> DiscoveryLabels =>
        new Dictionary<string, string>(StringComparer.Ordinal) { ["region"] = Region, ["type"] = Type };

    /// <summary>The pool tag of pool <paramref name="pool"/>: <see cref="PoolTag"/>, or <c>autoscaler:NAME</c>.</summary>
    public string PoolTagOf(string pool) => PoolTag.Length > 0 ? PoolTag : "autoscaler:" + pool;

    /// <inheritdoc />
    public override void Describe(StringBuilder text, string indent)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append(CultureInfo.InvariantCulture, $"{indent}region: {Region}\n{indent}type: {Type}\n{indent}image: {Image}\n");
        if (StackScript is { } ss)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}stackscript: {{ id: {ss.Id}, data: [{string.Join(", ", ss.Data.Keys)}] (values not shown) }}\n");
        }

        if (UserDataFile is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}user_data: {UserDataFile}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"{indent}authorized_keys: {AuthorizedKeys.Count} key(s)\n");
        text.Append(CultureInfo.InvariantCulture, $"{indent}tags: [{string.Join(", ", Tags)}]\n");
        if (FirewallId is { } firewall)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}firewall_id: {firewall}\n");
        }

        if (FirewallLabel is { } firewallLabel)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}firewall_label: {firewallLabel}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"{indent}pool_tag: {PoolTag}\n{indent}label_prefix: {LabelPrefix}\n{indent}protection_tag: {ProtectionTag}\n");
        var nb = NodeBalancer;
        var nbId = nb.Id is { } id ? $"id: {id}" : $"label: {nb.Label}";
        var cfg = nb.ConfigId is { } cid ? $", config_id: {cid}" : "";
        text.Append(CultureInfo.InvariantCulture, $"{indent}nodebalancer: {{ {nbId}, port: {nb.Port}{cfg}, node_port: {nb.NodePort}, create_if_missing: {(nb.CreateIfMissing ? "true" : "false")} }}\n");
    }
}

/// <summary>A StackScript and its user-defined field values (values may be secrets and are not shown in dumps).</summary>
public sealed record StackScriptConfig
{
    /// <summary>StackScript id.</summary>
    public int Id { get; init; }

    /// <summary>UDF values.</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();
}

/// <summary>Which NodeBalancer config members join, identified by id or label.</summary>
public sealed record NodeBalancerConfig
{
    /// <summary>NodeBalancer id (exclusive with <see cref="Label"/>).</summary>
    public int? Id { get; init; }

    /// <summary>NodeBalancer label (exclusive with <see cref="Id"/>).</summary>
    public string? Label { get; init; }

    /// <summary>The NodeBalancer's front-end port whose config members join.</summary>
    public int Port { get; init; } = 80;

    /// <summary>Config id, when the port alone is ambiguous or to pin it.</summary>
    public int? ConfigId { get; init; }

    /// <summary>Port the members' application listens on. Default: <see cref="Port"/>.</summary>
    public int NodePort { get; init; } = 80;

    /// <summary>Create the NodeBalancer (by label) and its config when missing.</summary>
    public bool CreateIfMissing { get; init; }
}

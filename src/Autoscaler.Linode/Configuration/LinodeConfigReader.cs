using System.Text.RegularExpressions;
using Autoscaler.Core.Configuration;
using YamlDotNet.RepresentationModel;

namespace Autoscaler.Linode.Configuration;

/// <summary>
/// Reads and validates what Linode owns in the configuration: the top-level <c>linode:</c> section (url, token, billing_period, apply_delay, node_refresh, snapshot_freshness) and, in
/// each Linode pool, region, type, image, stackscript, user_data, firewall_id or firewall_label, authorized_keys, tags, pool_tag,
/// label_prefix, protection_tag and nodebalancer (beside the policy keys, as they always were).
/// </summary>
public static partial class LinodeConfigReader
{
    private const int LabelSuffixLength = 9; // "-" + 8 characters added by the reconciler

    /// <summary>Reads <c>linode:</c>; null when it is absent (an error when <paramref name="required"/>) or unusable.</summary>
    public static LinodeConfig? ReadRoot(MapReader root, bool required)
    {
        ArgumentNullException.ThrowIfNull(root);
        var m = root.Map("linode", required);
        if (m is null)
        {
            return null;
        }

        var url = m.HttpUrl("url") ?? LinodeConfig.DefaultUrl;
        var token = m.SecretValue("token", required: true);
        if (token is { IsEmpty: true })
        {
            m.Error("linode.token must not be empty", m.Raw("token"));
        }

        var period = m.Duration("billing_period");
        if (period is { } p && p <= TimeSpan.Zero)
        {
            m.Error("linode.billing_period must be > 0", m.Raw("billing_period"));
            period = null;
        }

        var applyDelay = m.Duration("apply_delay");
        if (applyDelay is { } a && (a < TimeSpan.Zero || a > TimeSpan.FromMinutes(10)))
        {
            m.Error("linode.apply_delay must be between 0s and 10m", m.Raw("apply_delay"));
            applyDelay = null;
        }

        var nodeRefresh = m.Duration("node_refresh");
        if (nodeRefresh is { } n && (n < TimeSpan.Zero || n > TimeSpan.FromHours(1)))
        {
            m.Error("linode.node_refresh must be between 0s and 1h", m.Raw("node_refresh"));
            nodeRefresh = null;
        }

        var freshness = m.Duration("snapshot_freshness");
        if (freshness is { } f && (f < TimeSpan.Zero || f > TimeSpan.FromMinutes(10)))
        {
            m.Error("linode.snapshot_freshness must be between 0s and 10m", m.Raw("snapshot_freshness"));
            freshness = null;
        }

        m.Done();
        return token is null ? null : new LinodeConfig
        {
            SnapshotFreshness = freshness,
            NodeRefresh = nodeRefresh ?? LinodeConfig.DefaultNodeRefresh,
            Url = url,
            Token = token,
            BillingPeriod = period ?? TimeSpan.FromHours(1),
            ApplyDelay = applyDelay ?? LinodeConfig.DefaultApplyDelay(url),
        };
    }

    /// <summary>Reads the Linode keys of pool <paramref name="name"/>; null when a required one is missing or unusable.</summary>
    public static LinodePoolConfig? ReadPool(MapReader m, string name)
    {
        ArgumentNullException.ThrowIfNull(m);
        var ctx = m.Context;
        var region = m.String("region", required: true);
        var type = m.String("type", required: true);
        var image = m.String("image", required: true);
        var stackscript = ReadStackScript(m);
        var userData = m.String("user_data");
        if (userData is not null)
        {
            userData = m.Reader.ResolvePath(userData);
            if (m.Reader.Options.BaseDirectory is not null && !File.Exists(userData))
            {
                m.Error($"{ctx}user_data file '{userData}' does not exist", m.Raw("user_data"));
            }
            else if (File.Exists(userData) && new FileInfo(userData).Length is var size && size > Models.InstanceMetadata.MaxUserDataBytes)
            {
                m.Error($"{ctx}user_data file '{userData}' has {size} bytes; Linode takes at most {Models.InstanceMetadata.MaxUserDataBytes} (after base64 decoding): fetch large files at boot instead", m.Raw("user_data"));
            }
        }

        var firewallId = m.Long("firewall_id");
        if (firewallId is <= 0)
        {
            m.Error($"{ctx}firewall_id must be > 0", m.Raw("firewall_id"));
        }

        var firewallLabel = m.String("firewall_label");
        if (firewallLabel is not null && firewallId is not null)
        {
            m.Error($"{ctx}firewall_id and firewall_label name the same thing: give one", m.Raw("firewall_label"));
        }
        else if (firewallLabel is { } fl && (fl.Length is < 3 or > 32 || !FirewallLabelRegex().IsMatch(fl)))
        {
            m.Error($"{ctx}firewall_label '{fl}' must be 3 to 32 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", m.Raw("firewall_label"));
        }

        var keys = m.StringList("authorized_keys") ?? [];
        for (var i = 0; i < keys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(keys[i]))
            {
                m.Error($"{ctx}authorized_keys[{i}] must not be empty", m.Raw("authorized_keys"));
            }
        }

        var tags = m.StringList("tags") ?? [];
        for (var i = 0; i < tags.Count; i++)
        {
            CheckTag(m, $"tags[{i}]", tags[i], m.Raw("tags"));
        }

        var poolTag = m.String("pool_tag");
        if (poolTag is not null)
        {
            CheckTag(m, "pool_tag", poolTag, m.Raw("pool_tag"));
        }

        var labelPrefix = m.String("label_prefix");
        var effectivePrefix = labelPrefix ?? name;
        if (!LabelPrefixRegex().IsMatch(effectivePrefix) || effectivePrefix.Length > 64 - LabelSuffixLength
            || effectivePrefix.Contains("--", StringComparison.Ordinal) || effectivePrefix.Contains("__", StringComparison.Ordinal)
            || effectivePrefix.Contains("..", StringComparison.Ordinal))
        {
            m.Error($"{ctx}label_prefix '{effectivePrefix}' must be 1 to {64 - LabelSuffixLength} letters, digits, '-', '_' or '.', start and end with a letter or digit, and not repeat a separator", m.Raw("label_prefix") ?? m.Node);
        }

        var protectionTag = m.String("protection_tag");
        if (protectionTag is not null)
        {
            CheckTag(m, "protection_tag", protectionTag, m.Raw("protection_tag"));
        }

        var nodeBalancer = ReadNodeBalancer(m);
        if (region is null || type is null || image is null || nodeBalancer is null)
        {
            return null;
        }

        return new LinodePoolConfig
        {
            Region = region,
            Type = type,
            Image = image,
            StackScript = stackscript,
            UserDataFile = userData,
            AuthorizedKeys = keys,
            FirewallId = firewallId,
            FirewallLabel = firewallLabel,
            Tags = tags,
            PoolTag = poolTag ?? "autoscaler:" + name,
            LabelPrefix = effectivePrefix,
            ProtectionTag = protectionTag ?? LinodePoolConfig.DefaultProtectionTag,
            NodeBalancer = nodeBalancer,
        };
    }

    /// <summary>Two pools may share neither a pool tag (each would adopt the other's instances) nor a label prefix
    /// (each would take the other's nodes for its own).</summary>
    public static void CheckPools(IReadOnlyList<PoolConfig> pools, ConfigReader reader)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(reader);
        for (var i = 0; i < pools.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(pools[i].EffectivePoolTag, pools[j].EffectivePoolTag, StringComparison.Ordinal))
                {
                    reader.Error($"pool '{pools[i].Name}': pool_tag '{pools[i].EffectivePoolTag}' is also used by pool '{pools[j].Name}'", null);
                }

                if (string.Equals(pools[i].EffectiveLabelPrefix, pools[j].EffectiveLabelPrefix, StringComparison.Ordinal))
                {
                    reader.Error($"pool '{pools[i].Name}': label_prefix '{pools[i].EffectiveLabelPrefix}' is also used by pool '{pools[j].Name}'", null);
                }
            }
        }
    }

    private static void CheckTag(MapReader m, string field, string tag, YamlNode? node)
    {
        if (tag.Length is < 3 or > 50)
        {
            m.Error($"{m.Context}{field} '{tag}' must be 3 to 50 characters", node);
        }
    }

    private static StackScriptConfig? ReadStackScript(MapReader pool)
    {
        var m = pool.Map("stackscript");
        if (m is null)
        {
            return null;
        }

        var id = m.Int("id", required: true);
        if (id is <= 0)
        {
            m.Error($"{m.Context}stackscript.id must be > 0", m.Raw("id"));
        }

        var data = m.StringMap("data") ?? [];
        m.Done();
        return id is null ? null : new StackScriptConfig { Id = id.Value, Data = data };
    }

    private static NodeBalancerConfig? ReadNodeBalancer(MapReader pool)
    {
        var m = pool.Map("nodebalancer", required: true);
        if (m is null)
        {
            return null;
        }

        var ctx = m.Context;
        var id = m.Int("id");
        var label = m.String("label");
        if ((id is null) == (label is null))
        {
            m.Error($"{ctx}nodebalancer needs exactly one of id or label");
        }

        if (id is <= 0)
        {
            m.Error($"{ctx}nodebalancer.id must be > 0", m.Raw("id"));
        }

        var port = m.Int("port", required: true);
        CheckPort(m, "nodebalancer.port", port, m.Raw("port"));
        var configId = m.Int("config_id");
        if (configId is <= 0)
        {
            m.Error($"{ctx}nodebalancer.config_id must be > 0", m.Raw("config_id"));
        }

        var nodePort = m.Int("node_port");
        CheckPort(m, "nodebalancer.node_port", nodePort, m.Raw("node_port"));
        var create = m.Bool("create_if_missing") ?? false;
        if (create && label is null)
        {
            m.Error($"{ctx}nodebalancer.create_if_missing needs nodebalancer.label", m.Raw("create_if_missing"));
        }

        m.Done();
        if (port is null)
        {
            return null;
        }

        return new NodeBalancerConfig
        {
            Id = id,
            Label = label,
            Port = port.Value,
            ConfigId = configId,
            NodePort = nodePort ?? port.Value,
            CreateIfMissing = create,
        };
    }

    private static void CheckPort(MapReader m, string field, int? port, YamlNode? node)
    {
        if (port is < 1 or > 65535)
        {
            m.Error($"{m.Context}{field} must be between 1 and 65535", node);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")]
    private static partial Regex LabelPrefixRegex();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$")]
    private static partial Regex FirewallLabelRegex();
}

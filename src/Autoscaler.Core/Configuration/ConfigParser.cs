using System.Text.RegularExpressions;
using Autoscaler.Core.Signals;
using YamlDotNet.RepresentationModel;

namespace Autoscaler.Core.Configuration;

/// <summary>Turns YAML text into an <see cref="AutoscalerConfig"/>, collecting every error on the way.</summary>
internal sealed partial class ConfigParser
{
    private const int LabelSuffixLength = 9; // "-" + 8 characters added by the reconciler

    private readonly ConfigReader _reader;
    private readonly ConfigLoadOptions _options;
    private readonly SignalKinds _signals;

    public ConfigParser(ConfigReader reader, SignalKinds? signals = null)
    {
        _reader = reader;
        _options = reader.Options;
        _signals = signals ?? SignalKinds.Default;
    }

    private void Error(string message, YamlNode? node) => _reader.Error(message, node);

    private static bool IsNull(YamlNode node) => ConfigReader.IsNull(node);

    private string Restore(string text) => _reader.Restore(text);

    private string ResolvePath(string path) => _reader.ResolvePath(path);

    private static Uri? ReadHttpUrl(MapReader m, string key, bool required) => m.HttpUrl(key, required);

    public ConfigResult Parse(string yaml)
    {
        if (_reader.TryOpen(yaml) is not { } root)
        {
            return ConfigResult.Failure(_reader.SortedErrors());
        }

        var linode = ReadLinode(root);
        var listen = ReadListen(root);
        var tls = ReadTls(root);
        var webhook = ReadWebhook(root);
        var api = ReadApi(root);
        var engine = ReadEngine(root);
        var alerts = ReadAlerts(root);
        var journal = ReadJournal(root);
        var pools = ReadPools(root);
        var commands = ReadCommands(root);
        var dashboard = ReadDashboard(root);
        root.Done();

        if (_reader.ErrorCount > 0)
        {
            // Document order reads best; errors without a position (cross-pool checks) come last.
            return ConfigResult.Failure(_reader.SortedErrors());
        }

        return ConfigResult.Success(new AutoscalerConfig
        {
            Linode = linode,
            Listen = listen,
            Tls = tls,
            Webhook = webhook,
            Api = api,
            Engine = engine,
            Alerts = alerts,
            Journal = journal,
            Pools = pools,
            Commands = commands,
            Dashboard = dashboard,
        });
    }

    private LinodeConfig? ReadLinode(MapReader root)
    {
        var m = root.Map("linode", required: _options.RequireLinode);
        if (m is null)
        {
            return null;
        }

        var url = ReadHttpUrl(m, "url", required: false) ?? new Uri("https://api.linode.com/v4");
        var token = m.SecretValue("token", required: true);
        if (token is { IsEmpty: true })
        {
            Error("linode.token must not be empty", m.Raw("token"));
        }

        m.Done();
        return token is null ? null : new LinodeConfig { Url = url, Token = token };
    }

    private string ReadListen(MapReader root)
    {
        var listen = root.String("listen");
        if (listen is null)
        {
            return new AutoscalerConfig().Listen;
        }

        var colon = listen.LastIndexOf(':');
        var host = colon > 0 ? listen[..colon] : "";
        if (colon <= 0 || host.Length == 0 || !int.TryParse(listen[(colon + 1)..], out var port) || port is < 0 or > 65535
            || (host.Contains(':', StringComparison.Ordinal) && !(host.StartsWith('[') && host.EndsWith(']'))))
        {
            Error($"listen must be host:port, e.g. 127.0.0.1:9099 (got '{listen}')", root.Raw("listen"));
        }

        return listen;
    }

    private TlsConfig? ReadTls(MapReader root)
    {
        var m = root.Map("tls");
        if (m is null)
        {
            return null;
        }

        var cert = m.String("cert_file", required: true);
        var key = m.String("key_file", required: true);
        m.Done();
        return cert is null || key is null ? null : new TlsConfig { CertFile = ResolvePath(cert), KeyFile = ResolvePath(key) };
    }

    private WebhookConfig ReadWebhook(MapReader root)
    {
        var m = root.Map("webhook");
        if (m is null)
        {
            return new WebhookConfig();
        }

        var auth = ReadAuth(m);
        var max = m.Long("max_body_bytes");
        if (max is <= 0 or > 64L * 1024 * 1024)
        {
            Error("webhook.max_body_bytes must be between 1 and 67108864", m.Raw("max_body_bytes"));
        }

        m.Done();
        return new WebhookConfig { Auth = auth, MaxBodyBytes = max ?? new WebhookConfig().MaxBodyBytes };
    }

    private ApiConfig ReadApi(MapReader root)
    {
        var m = root.Map("api");
        if (m is null)
        {
            return new ApiConfig();
        }

        var auth = ReadAuth(m);
        m.Done();
        return new ApiConfig { Auth = auth };
    }

    private AuthConfig? ReadAuth(MapReader parent)
    {
        var m = parent.Map("auth");
        if (m is null)
        {
            return null;
        }

        var field = m.Prefix.TrimEnd('.');
        var hasBearer = m.Has("bearer_token");
        var hasBasic = m.Has("basic");
        var bearer = m.SecretValue("bearer_token");
        BasicAuthConfig? basic = null;
        var b = m.Map("basic");
        if (b is not null)
        {
            var user = b.SecretValue("username", required: true);
            var password = b.SecretValue("password", required: true);
            b.Done();
            if (user is not null && password is not null)
            {
                basic = new BasicAuthConfig { Username = user, Password = password };
            }
        }

        if (hasBearer == hasBasic)
        {
            Error($"{field} needs exactly one of bearer_token or basic", m.Node);
        }
        else if (bearer is { IsEmpty: true })
        {
            Error($"{field}.bearer_token must not be empty", m.Raw("bearer_token"));
        }

        m.Done();
        return new AuthConfig { BearerToken = bearer, Basic = basic };
    }

    private EngineConfig ReadEngine(MapReader root)
    {
        var m = root.Map("engine");
        if (m is null)
        {
            return new EngineConfig();
        }

        var defaults = new EngineConfig();
        var interval = m.Duration("evaluation_interval");
        if (interval == TimeSpan.Zero)
        {
            Error("engine.evaluation_interval must be > 0", m.Raw("evaluation_interval"));
        }

        var dryRun = m.Bool("dry_run");
        m.Done();
        return new EngineConfig { EvaluationInterval = interval ?? defaults.EvaluationInterval, DryRun = dryRun ?? false };
    }

    private AlertsConfig ReadAlerts(MapReader root)
    {
        var m = root.Map("alerts");
        var defaults = new AlertsConfig();
        if (m is null)
        {
            return defaults;
        }

        var repeat = m.Duration("repeat_interval");
        if (repeat == TimeSpan.Zero)
        {
            Error("alerts.repeat_interval must be > 0", m.Raw("repeat_interval"));
        }

        var repeats = m.Int("expire_after_repeats");
        if (repeats is < 1)
        {
            Error("alerts.expire_after_repeats must be >= 1", m.Raw("expire_after_repeats"));
        }

        m.Done();
        return new AlertsConfig
        {
            RepeatInterval = repeat ?? defaults.RepeatInterval,
            ExpireAfterRepeats = repeats ?? defaults.ExpireAfterRepeats,
        };
    }

    private JournalConfig ReadJournal(MapReader root)
    {
        var m = root.Map("journal");
        var path = m?.String("path");
        if (path is { Length: 0 })
        {
            Error("journal.path must not be empty", m!.Raw("path"));
        }

        m?.Done();
        return new JournalConfig { Path = ResolvePath(path ?? new JournalConfig().Path) };
    }

    /// <summary>Reads prometheus-am-executor's own YAML (<c>listen_address</c>, <c>verbose</c>, <c>tls_key</c>,
    /// <c>tls_crt</c>, <c>commands</c>).</summary>
    public AmExecutorConfigResult ParseAmExecutor(string yaml)
    {
        if (_reader.TryOpen(yaml) is not { } root)
        {
            return new AmExecutorConfigResult(null, _reader.SortedErrors());
        }

        var listen = root.String("listen_address");
        var verbose = root.Bool("verbose") ?? false;
        var key = root.String("tls_key");
        var crt = root.String("tls_crt");
        var commands = ReadCommands(root);
        if (commands.Count == 0 && _reader.ErrorCount == 0)
        {
            Error("commands must list at least one command (am-executor refuses to start without one)", root.Raw("commands") ?? root.Node);
        }

        root.Done();
        if (_reader.ErrorCount > 0)
        {
            return new AmExecutorConfigResult(null, _reader.SortedErrors());
        }

        return new AmExecutorConfigResult(new AmExecutorConfig
        {
            ListenAddress = string.IsNullOrEmpty(listen) ? AmExecutorConfig.DefaultListenAddress : listen,
            Verbose = verbose,
            TlsKey = key is null ? null : ResolvePath(key),
            TlsCrt = crt is null ? null : ResolvePath(crt),
            Commands = commands,
        }, []);
    }

    /// <summary>Reads <c>commands:</c>, prometheus-am-executor's list, plus <c>timeout</c> and <c>dedupe_window</c>.</summary>
    internal List<CommandConfig> ReadCommands(MapReader root)
    {
        var commands = new List<CommandConfig>();
        var seq = root.Sequence("commands");
        if (seq is null)
        {
            return commands;
        }

        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var field = $"{root.Prefix}commands[{i}]";
            if (item is not YamlMappingNode node)
            {
                Error($"{root.Context}{field} must be a mapping with cmd (and args, match_labels, max…)", item);
                continue;
            }

            var m = new MapReader(_reader, node, root.Context, field + ".");
            var jenkins = ReadJenkinsAction(m);
            if (m.Has("jenkins") && m.Has("cmd"))
            {
                Error($"{root.Context}{field} must have cmd or jenkins, not both", m.Raw("jenkins"));
            }

            var cmd = m.String("cmd", required: !m.Has("jenkins"));
            if (cmd is { Length: 0 })
            {
                Error($"{root.Context}{field}.cmd must not be empty", m.Raw("cmd"));
            }

            var args = m.StringList("args") ?? [];
            var labels = m.StringMap("match_labels") ?? new Dictionary<string, string>();
            var max = m.Int("max") ?? 0;
            if (max < 0)
            {
                // am-executor reads a negative max as "no limit"; say so rather than guess.
                Error($"{root.Context}{field}.max must be 0 (no limit) or more (got {max})", m.Raw("max"));
            }

            var notify = m.Bool("notify_on_failure") ?? true;
            var ignore = m.Bool("ignore_resolved") ?? false;
            int? signal = null;
            if (m.Raw("resolved_signal") is { } rawSignal && !IsNull(rawSignal))
            {
                var text = m.String("resolved_signal") ?? "";
                var name = text.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? text[3..] : text;
                if (CommandConfig.Signals.TryGetValue(name, out var number))
                {
                    signal = number;
                }
                else if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65)
                {
                    signal = n;
                }
                else
                {
                    Error($"{root.Context}{field}.resolved_signal must be a signal name ({string.Join(", ", CommandConfig.Signals.Keys.Select(k => "SIG" + k))}) or number 1-64 (got '{text}')", rawSignal);
                }
            }

            var timeout = m.Duration("timeout") ?? CommandConfig.DefaultTimeout;
            if (timeout <= TimeSpan.Zero)
            {
                Error($"{root.Context}{field}.timeout must be positive", m.Raw("timeout"));
            }

            var dedupe = m.Duration("dedupe_window") ?? CommandConfig.DefaultDedupeWindow;
            if (dedupe < TimeSpan.Zero)
            {
                Error($"{root.Context}{field}.dedupe_window must not be negative", m.Raw("dedupe_window"));
            }

            m.Done();
            if (cmd is { Length: > 0 } || jenkins is not null)
            {
                commands.Add(new CommandConfig
                {
                    Cmd = cmd ?? "", Jenkins = jenkins, Args = args, MatchLabels = labels, Max = Math.Max(0, max), NotifyOnFailure = notify,
                    IgnoreResolved = ignore, ResolvedSignal = signal, Timeout = timeout, DedupeWindow = dedupe,
                });
            }
        }

        return commands;
    }

    private JenkinsActionConfig? ReadJenkinsAction(MapReader parent)
    {
        var m = parent.Map("jenkins");
        if (m is null)
        {
            return null;
        }

        var url = ReadHttpUrl(m, "url", required: true);
        var user = m.String("user", required: true);
        var token = m.SecretValue("api_token", required: true);
        var job = m.String("job", required: true);
        if (job is not null && job.Trim('/').Length == 0)
        {
            Error($"{m.Context}{m.Field("job")} must name a job", m.Raw("job"));
        }

        var parameters = m.StringMap("parameters") ?? new Dictionary<string, string>();
        var poll = m.Duration("poll_interval") ?? TimeSpan.FromSeconds(2);
        if (poll <= TimeSpan.Zero)
        {
            Error($"{m.Context}{m.Field("poll_interval")} must be positive", m.Raw("poll_interval"));
        }

        m.Done();
        return url is null || user is null || token is null || job is null
            ? null
            : new JenkinsActionConfig { Url = url, User = user, ApiToken = token, Job = job, Parameters = parameters, PollInterval = poll };
    }

    private List<PoolConfig> ReadPools(MapReader root)
    {
        var pools = new List<PoolConfig>();
        var node = root.Raw("pools");
        if (node is null || IsNull(node))
        {
            Error("pools is required", node ?? root.Node);
            return pools;
        }

        if (node is not YamlMappingNode map)
        {
            Error("pools must be a mapping of pool name to pool settings", node);
            return pools;
        }

        if (map.Children.Count == 0)
        {
            Error("pools must define at least one pool", node);
            return pools;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } rawName })
            {
                Error("pools: keys must be plain strings", keyNode);
                continue;
            }

            var name = Restore(rawName);

            if (!seen.Add(name))
            {
                Error($"duplicate pool '{name}'", keyNode);
                continue;
            }

            var context = $"pool '{name}': ";
            if (!PoolNameRegex().IsMatch(name))
            {
                Error($"{context}the name must start with a letter or digit and contain only letters, digits, '-' and '_' (at most 32 characters)", keyNode);
            }

            if (valueNode is not YamlMappingNode poolNode)
            {
                Error($"{context}settings must be a mapping", valueNode);
                continue;
            }

            var pool = ReadPool(new MapReader(_reader, poolNode, context, ""), name);
            if (pool is not null)
            {
                pools.Add(pool);
            }
        }

        for (var i = 0; i < pools.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(pools[i].EffectivePoolTag, pools[j].EffectivePoolTag, StringComparison.Ordinal))
                {
                    Error($"pool '{pools[i].Name}': pool_tag '{pools[i].EffectivePoolTag}' is also used by pool '{pools[j].Name}'", null);
                }

                if (string.Equals(pools[i].EffectiveLabelPrefix, pools[j].EffectiveLabelPrefix, StringComparison.Ordinal))
                {
                    Error($"pool '{pools[i].Name}': label_prefix '{pools[i].EffectiveLabelPrefix}' is also used by pool '{pools[j].Name}'", null);
                }
            }
        }

        return pools;
    }

    private PoolConfig? ReadPool(MapReader m, string name)
    {
        var ctx = m.Context;
        var region = m.String("region", required: true);
        var type = m.String("type", required: true);
        var image = m.String("image", required: true);
        var stackscript = ReadStackScript(m);
        var userData = m.String("user_data");
        if (userData is not null)
        {
            userData = ResolvePath(userData);
            if (_options.BaseDirectory is not null && !File.Exists(userData))
            {
                Error($"{ctx}user_data file '{userData}' does not exist", m.Raw("user_data"));
            }
        }

        var firewallId = m.Long("firewall_id");
        if (firewallId is <= 0)
        {
            Error($"{ctx}firewall_id must be > 0", m.Raw("firewall_id"));
        }

        var keys = m.StringList("authorized_keys") ?? [];
        for (var i = 0; i < keys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(keys[i]))
            {
                Error($"{ctx}authorized_keys[{i}] must not be empty", m.Raw("authorized_keys"));
            }
        }

        var tags = m.StringList("tags") ?? [];
        for (var i = 0; i < tags.Count; i++)
        {
            CheckTag(ctx, $"tags[{i}]", tags[i], m.Raw("tags"));
        }

        var poolTag = m.String("pool_tag");
        if (poolTag is not null)
        {
            CheckTag(ctx, "pool_tag", poolTag, m.Raw("pool_tag"));
        }

        var labelPrefix = m.String("label_prefix");
        var effectivePrefix = labelPrefix ?? name;
        if (!LabelPrefixRegex().IsMatch(effectivePrefix) || effectivePrefix.Length > 64 - LabelSuffixLength
            || effectivePrefix.Contains("--", StringComparison.Ordinal) || effectivePrefix.Contains("__", StringComparison.Ordinal)
            || effectivePrefix.Contains("..", StringComparison.Ordinal))
        {
            Error($"{ctx}label_prefix '{effectivePrefix}' must be 1 to {64 - LabelSuffixLength} letters, digits, '-', '_' or '.', start and end with a letter or digit, and not repeat a separator", m.Raw("label_prefix") ?? m.Node);
        }

        var protectionTag = m.String("protection_tag");
        if (protectionTag is not null)
        {
            CheckTag(ctx, "protection_tag", protectionTag, m.Raw("protection_tag"));
        }

        var min = m.Int("min", required: true);
        var max = m.Int("max", required: true);
        var desired = m.Int("desired");
        if (min is < 0)
        {
            Error($"{ctx}min must be >= 0", m.Raw("min"));
        }

        if (max is < 1)
        {
            Error($"{ctx}max must be >= 1", m.Raw("max"));
        }

        if (min is >= 0 && max is >= 1 && min > max)
        {
            Error($"{ctx}min ({min}) is greater than max ({max})", m.Raw("min"));
        }
        else if (desired is not null && min is not null && max is not null && (desired < min || desired > max))
        {
            Error($"{ctx}desired ({desired}) is outside min..max ({min}..{max})", m.Raw("desired"));
        }

        var nodeBalancer = ReadNodeBalancer(m);
        var health = ReadHealth(m);
        var scaleUp = ReadScaleUp(m);
        var scaleDown = ReadScaleDown(m);
        var signals = ReadSignals(m, max);
        var dashboard = ReadPoolDashboard(m, signals);
        m.Done();

        if (region is null || type is null || image is null || min is null || max is null || nodeBalancer is null)
        {
            return null;
        }

        return new PoolConfig
        {
            Name = name,
            Region = region,
            Type = type,
            Image = image,
            StackScript = stackscript,
            UserDataFile = userData,
            AuthorizedKeys = keys,
            FirewallId = firewallId,
            Tags = tags,
            PoolTag = poolTag ?? "",
            LabelPrefix = labelPrefix ?? "",
            ProtectionTag = protectionTag ?? new PoolConfig { Name = name }.ProtectionTag,
            Min = min.Value,
            Max = max.Value,
            Desired = desired,
            NodeBalancer = nodeBalancer,
            Health = health,
            ScaleUp = scaleUp,
            ScaleDown = scaleDown,
            Signals = signals,
            Dashboard = dashboard,
        };
    }

    private void CheckTag(string ctx, string field, string tag, YamlNode? node)
    {
        if (tag.Length is < 3 or > 50)
        {
            Error($"{ctx}{field} '{tag}' must be 3 to 50 characters", node);
        }
    }

    private StackScriptConfig? ReadStackScript(MapReader pool)
    {
        var m = pool.Map("stackscript");
        if (m is null)
        {
            return null;
        }

        var id = m.Int("id", required: true);
        if (id is <= 0)
        {
            Error($"{m.Context}stackscript.id must be > 0", m.Raw("id"));
        }

        var data = m.StringMap("data") ?? [];
        m.Done();
        return id is null ? null : new StackScriptConfig { Id = id.Value, Data = data };
    }

    private NodeBalancerConfig? ReadNodeBalancer(MapReader pool)
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
            Error($"{ctx}nodebalancer needs exactly one of id or label", m.Node);
        }

        if (id is <= 0)
        {
            Error($"{ctx}nodebalancer.id must be > 0", m.Raw("id"));
        }

        var port = m.Int("port", required: true);
        CheckPort(ctx, "nodebalancer.port", port, m.Raw("port"));
        var configId = m.Int("config_id");
        if (configId is <= 0)
        {
            Error($"{ctx}nodebalancer.config_id must be > 0", m.Raw("config_id"));
        }

        var nodePort = m.Int("node_port");
        CheckPort(ctx, "nodebalancer.node_port", nodePort, m.Raw("node_port"));
        var create = m.Bool("create_if_missing") ?? false;
        if (create && label is null)
        {
            Error($"{ctx}nodebalancer.create_if_missing needs nodebalancer.label", m.Raw("create_if_missing"));
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

    private void CheckPort(string ctx, string field, int? port, YamlNode? node)
    {
        if (port is < 1 or > 65535)
        {
            Error($"{ctx}{field} must be between 1 and 65535", node);
        }
    }

    private static HealthConfig ReadHealth(MapReader pool)
    {
        var m = pool.Map("health");
        var d = new HealthConfig();
        if (m is null)
        {
            return d;
        }

        var grace = m.Duration("grace");
        var replace = m.Duration("replace_after");
        m.Done();
        return new HealthConfig { Grace = grace ?? d.Grace, ReplaceAfter = replace ?? d.ReplaceAfter };
    }

    private ScaleUpConfig ReadScaleUp(MapReader pool)
    {
        var m = pool.Map("scale_up");
        var d = new ScaleUpConfig();
        if (m is null)
        {
            return d;
        }

        var ctx = m.Context;
        var step = m.Int("step");
        if (step is < 1)
        {
            Error($"{ctx}scale_up.step must be >= 1", m.Raw("step"));
        }

        var percent = m.Number("step_percent");
        if (percent is <= 0 or > 1000)
        {
            Error($"{ctx}scale_up.step_percent must be > 0 and <= 1000", m.Raw("step_percent"));
        }

        var cooldown = m.Duration("cooldown");
        var inFlight = m.Int("max_in_flight");
        if (inFlight is < 1)
        {
            Error($"{ctx}scale_up.max_in_flight must be >= 1", m.Raw("max_in_flight"));
        }

        m.Done();
        return new ScaleUpConfig
        {
            Step = step ?? d.Step,
            StepPercent = percent,
            Cooldown = cooldown ?? d.Cooldown,
            MaxInFlight = inFlight ?? d.MaxInFlight,
        };
    }

    private ScaleDownConfig ReadScaleDown(MapReader pool)
    {
        var m = pool.Map("scale_down");
        var d = new ScaleDownConfig();
        if (m is null)
        {
            return d;
        }

        var ctx = m.Context;
        var step = m.Int("step");
        if (step is < 1)
        {
            Error($"{ctx}scale_down.step must be >= 1", m.Raw("step"));
        }

        var cooldown = m.Duration("cooldown");
        var drain = m.Duration("drain");
        var victimText = m.String("victim");
        var victim = d.Victim;
        switch (victimText)
        {
            case null:
                break;
            case "newest":
                victim = VictimPolicy.Newest;
                break;
            case "oldest":
                victim = VictimPolicy.Oldest;
                break;
            default:
                Error($"{ctx}scale_down.victim must be one of newest, oldest (got '{victimText}')", m.Raw("victim"));
                break;
        }

        m.Done();
        return new ScaleDownConfig
        {
            Step = step ?? d.Step,
            Cooldown = cooldown ?? d.Cooldown,
            Drain = drain ?? d.Drain,
            Victim = victim,
        };
    }

    private List<SignalConfig> ReadSignals(MapReader pool, int? poolMax)
    {
        var result = new List<SignalConfig>();
        var seq = pool.Sequence("signals");
        if (seq is null)
        {
            return result;
        }

        var ctx = pool.Context;
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            var path = $"signals[{i}]";
            if (item is not YamlMappingNode map)
            {
                Error($"{ctx}{path} must be a mapping", item);
                continue;
            }

            var m = new MapReader(_reader, map, ctx, path + ".");
            var claimed = _signals.All.Where(k => k.Claims(m)).ToArray();
            if (claimed.Length != 1)
            {
                Error($"{ctx}{path} must be exactly one of: {string.Join(", ", _signals.All.Select(k => k.Description))}", item);
                m.MarkAllUsed();
                continue;
            }

            var signal = claimed[0].Read(m, new SignalReadContext(i, poolMax));
            m.Done();
            if (signal is not null)
            {
                result.Add(signal);
            }
        }

        return result;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
    private static partial Regex PoolNameRegex();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")]
    private static partial Regex LabelPrefixRegex();
}

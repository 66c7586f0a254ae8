using System.Text.RegularExpressions;
using Autoscaler.Core.Providers;
using Autoscaler.Core.Signals;
using YamlDotNet.RepresentationModel;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// Reads the <c>pools</c> mapping: each pool's policy (bounds, health, steps, cooldowns, signals through the registered
/// <see cref="SignalKinds"/>), then, from the same mapping, its provider's keys (the provider named by <c>provider:</c>,
/// else the default) and every pool section's keys, and finally reports the keys nobody read.
/// </summary>
internal sealed partial class PoolsReader
{
    private readonly ConfigSchema _schema;
    private readonly ConfigReader _reader;
    private readonly HashSet<string> _providersUsed = new(StringComparer.Ordinal);

    public PoolsReader(ConfigSchema schema, ConfigReader reader)
    {
        _schema = schema;
        _reader = reader;
    }

    /// <summary>The providers the pools named (or got by default), valid pools or not.</summary>
    public IReadOnlySet<string> ProvidersUsed => _providersUsed;

    /// <summary>True once a pool's settings were read (whatever they named).</summary>
    public bool AnyPool { get; private set; }

    private void Error(string message, YamlNode? node) => _reader.Error(message, node);

    public List<PoolConfig> Read(MapReader root)
    {
        var pools = new List<PoolConfig>();
        var node = root.Raw("pools");
        if (node is null || ConfigReader.IsNull(node))
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

            var name = _reader.Restore(rawName);

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

            AnyPool = true;
            var pool = ReadPool(new MapReader(_reader, poolNode, context, ""), name);
            if (pool is not null)
            {
                pools.Add(pool);
            }
        }

        return pools;
    }

    private PoolConfig? ReadPool(MapReader m, string name)
    {
        var ctx = m.Context;
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

        var health = ReadHealth(m);
        var scaleUp = ReadScaleUp(m);
        var scaleDown = ReadScaleDown(m);
        var budget = ReadBudget(m);
        var signals = ReadSignals(m, max);
        var context = new PoolReadContext(name, max, signals);

        var providerName = m.String("provider");
        var kind = providerName is null ? _schema.Providers.Default : _schema.Providers.Find(providerName);
        ProviderPoolConfig? provider = null;
        if (kind is null)
        {
            var known = _schema.Providers.All.Count == 0 ? "none is registered" : "known: " + string.Join(", ", _schema.Providers.All.Select(k => k.Name));
            Error(providerName is null
                ? $"{ctx}provider is required ({known})"
                : $"{ctx}provider '{providerName}' is unknown ({known})", m.Raw("provider") ?? m.Node);
            // Its keys cannot be told from typos without it; say nothing more about them.
            m.MarkAllUsed();
        }
        else
        {
            _providersUsed.Add(kind.Name);
            provider = kind.ReadPool(m, context);
        }

        var sections = ConfigSections.Empty;
        foreach (var section in _schema.PoolSections)
        {
            if (section.Read(m, context) is { } value)
            {
                sections = sections.With(value);
            }
        }

        m.Done();
        if (min is null || max is null || provider is null)
        {
            return null;
        }

        return new PoolConfig
        {
            Name = name,
            Min = min.Value,
            Max = max.Value,
            Desired = desired,
            Health = health,
            ScaleUp = scaleUp,
            ScaleDown = scaleDown,
            Budget = budget,
            Signals = signals,
            Provider = provider,
            Sections = sections,
        };
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

        var billingText = m.String("billing");
        var billing = d.Billing;
        switch (billingText)
        {
            case null:
                break;
            case "hourly":
                billing = BillingMode.Hourly;
                break;
            case "none":
                billing = BillingMode.None;
                break;
            default:
                Error($"{ctx}scale_down.billing must be hourly or none, got '{billingText}'", m.Raw("billing"));
                break;
        }

        var margin = m.Duration("release_margin");
        if (margin is { } rm && rm < TimeSpan.Zero)
        {
            Error($"{ctx}scale_down.release_margin must be >= 0", m.Raw("release_margin"));
        }

        m.Done();
        return new ScaleDownConfig
        {
            Step = step ?? d.Step,
            Cooldown = cooldown ?? d.Cooldown,
            Drain = drain ?? d.Drain,
            Victim = victim,
            Billing = billing,
            ReleaseMargin = margin is { } g && g >= TimeSpan.Zero ? g : d.ReleaseMargin,
        };
    }

    private BudgetConfig? ReadBudget(MapReader pool)
    {
        var m = pool.Map("budget");
        if (m is null)
        {
            return null;
        }

        var monthly = m.Number("monthly_usd", required: true);
        m.Done();
        if (monthly is null)
        {
            return null;
        }

        if (monthly <= 0 || monthly > 1e12)
        {
            Error($"{m.Context}budget.monthly_usd must be > 0 (got {monthly.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)})", m.Raw("monthly_usd"));
            return null;
        }

        return new BudgetConfig { MonthlyUsd = Math.Round((decimal)monthly.Value, 2) };
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
            var claimed = _schema.Signals.All.Where(k => k.Claims(m)).ToArray();
            if (claimed.Length != 1)
            {
                Error($"{ctx}{path} must be exactly one of: {string.Join(", ", _schema.Signals.All.Select(k => k.Description))}", item);
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
}

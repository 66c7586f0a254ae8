using Autoscaler.Core.Providers;
using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// What a configuration file may contain, composed from the units that own it: Core's policy (<c>engine</c>,
/// <c>alerts</c>, <c>pools</c> with their signals), the registered <see cref="SignalKinds"/> and
/// <see cref="ProviderKinds"/>, and the other units' top-level and per-pool sections. <see cref="Parse"/> reads the
/// whole file and reports every problem of every unit at once, in document order, each naming its field; the keys no
/// unit read are reported as unknown. Immutable: <c>With…</c> gives a schema with one more unit.
/// </summary>
public sealed class ConfigSchema
{
    /// <summary>A schema of Core's policy with the given providers and signal kinds and no other section.</summary>
    public ConfigSchema(ProviderKinds providers, SignalKinds? signals = null, IEnumerable<IConfigSection>? sections = null,
        IEnumerable<IPoolSection>? poolSections = null)
    {
        ArgumentNullException.ThrowIfNull(providers);
        Providers = providers;
        Signals = signals ?? SignalKinds.Default;
        Sections = sections?.ToArray() ?? [];
        PoolSections = poolSections?.ToArray() ?? [];
    }

    /// <summary>The providers pools may name; the first is the default.</summary>
    public ProviderKinds Providers { get; }

    /// <summary>The signal kinds pools may use.</summary>
    public SignalKinds Signals { get; }

    /// <summary>Other units' top-level sections, in the order they are read and described.</summary>
    public IReadOnlyList<IConfigSection> Sections { get; }

    /// <summary>Other units' per-pool sections.</summary>
    public IReadOnlyList<IPoolSection> PoolSections { get; }

    /// <summary>This schema with one more provider (or one replaced by name).</summary>
    public ConfigSchema WithProvider(IProviderKind provider) => new(Providers.With(provider), Signals, Sections, PoolSections);

    /// <summary>This schema with one more signal kind (or one replaced by name).</summary>
    public ConfigSchema WithSignal(ISignalKind kind) => new(Providers, Signals.With(kind), Sections, PoolSections);

    /// <summary>This schema with one more top-level section.</summary>
    public ConfigSchema WithSection(IConfigSection section) => new(Providers, Signals, [.. Sections, section], PoolSections);

    /// <summary>This schema with one more per-pool section.</summary>
    public ConfigSchema WithPoolSection(IPoolSection section) => new(Providers, Signals, Sections, [.. PoolSections, section]);

    /// <summary>Reads and validates the file at <paramref name="path"/>, expanding ${VAR} from the process environment;
    /// relative paths inside it (user_data, journal) are resolved against the file's folder.</summary>
    public ConfigResult Load(string path, ConfigLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return ConfigResult.Failure([new ConfigError($"cannot read '{path}': {ex.Message}")]);
        }

        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path));
        options = (options ?? new ConfigLoadOptions()) with { BaseDirectory = options?.BaseDirectory ?? baseDir };
        return Parse(text, null, options);
    }

    /// <summary>Parses and validates <paramref name="yaml"/>. <paramref name="environment"/> supplies ${VAR} values
    /// (null: the process environment).</summary>
    public ConfigResult Parse(string yaml, IReadOnlyDictionary<string, string>? environment = null, ConfigLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var reader = new ConfigReader(environment, options);
        if (reader.TryOpen(yaml) is not { } root)
        {
            return ConfigResult.Failure(reader.SortedErrors());
        }

        var poolsReader = new PoolsReader(this, reader);
        var pools = poolsReader.Read(root);

        // A provider's account section is required once a pool uses it; when no pool could be read (pools missing), the
        // default provider is the one they would use.
        var used = poolsReader.AnyPool || Providers.Default is null
            ? poolsReader.ProvidersUsed
            : new HashSet<string>([Providers.Default.Name], StringComparer.Ordinal);
        var sections = ConfigSections.Empty;
        foreach (var provider in Providers.All)
        {
            if (provider.ReadRoot(root, reader.Options.RequireCloudAccess && used.Contains(provider.Name)) is { } value)
            {
                sections = sections.With(value);
            }
        }

        var engine = PolicySections.ReadEngine(root);
        var alerts = PolicySections.ReadAlerts(root);
        foreach (var section in Sections)
        {
            if (section.Read(root) is { } value)
            {
                sections = sections.With(value);
            }
        }

        root.Done();
        foreach (var provider in Providers.All)
        {
            provider.CheckPools(pools.Where(p => string.Equals(p.Provider?.Provider, provider.Name, StringComparison.Ordinal)).ToArray(), reader);
        }

        if (reader.ErrorCount > 0)
        {
            // Document order reads best; errors without a position (cross-pool checks) come last.
            return ConfigResult.Failure(reader.SortedErrors());
        }

        return ConfigResult.Success(new AutoscalerConfig { Engine = engine, Alerts = alerts, Pools = pools, Sections = sections });
    }
}

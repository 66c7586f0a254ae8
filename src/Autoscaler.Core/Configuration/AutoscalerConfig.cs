using System.Diagnostics.CodeAnalysis;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// The whole configuration file, validated: Core's policy (the engine, alert trust, the pools) and the sections of the
/// other units (the service, the providers' accounts), which Core keeps without looking inside. Obtain it from a
/// <see cref="ConfigSchema"/>, which reports every problem at once instead of throwing. Secrets are <see cref="Secret"/>
/// values, so <see cref="object.ToString"/> and <see cref="Describe"/> never show them.
/// </summary>
public sealed record AutoscalerConfig
{
    /// <summary>The evaluation loop.</summary>
    public EngineConfig Engine { get; init; } = new();

    /// <summary>How long alert state is trusted.</summary>
    public AlertsConfig Alerts { get; init; } = new();

    /// <summary>The pools, in file order.</summary>
    public IReadOnlyList<PoolConfig> Pools { get; init; } = [];

    /// <summary>The other units' top-level sections, in the order they were read.</summary>
    public ConfigSections Sections { get; init; } = ConfigSections.Empty;

    /// <summary>The pool called <paramref name="name"/>, or null.</summary>
    public PoolConfig? FindPool(string name) => Pools.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));

    /// <summary>This configuration with <paramref name="section"/> replacing the section of its type.</summary>
    public AutoscalerConfig WithSection<T>(T section)
        where T : class, IConfigSectionValue =>
        this with { Sections = Sections.With(section) };

    /// <summary>A readable rendering of the effective configuration (defaults filled in), secrets redacted.</summary>
    public string Describe() => ConfigDescriber.Describe(this);
}

/// <summary>Switches for <see cref="ConfigSchema.Parse"/>.</summary>
public sealed record ConfigLoadOptions
{
    /// <summary>When false, a provider's account section (its API endpoint and credentials) may be missing: simulations
    /// and checks need no cloud. Default true.</summary>
    public bool RequireCloudAccess { get; init; } = true;

    /// <summary>Folder that relative paths are resolved against; null leaves them as written and skips file checks.</summary>
    public string? BaseDirectory { get; init; }
}

/// <summary>One configuration problem. <see cref="Message"/> names the pool and field; the position is the YAML node's
/// when known.</summary>
/// <param name="Message">e.g. <c>pool 'web': min (5) is greater than max (3)</c>.</param>
/// <param name="Line">1-based line, or 0 when unknown.</param>
/// <param name="Column">1-based column, or 0 when unknown.</param>
public sealed record ConfigError(string Message, int Line = 0, int Column = 0)
{
    /// <summary>The message alone.</summary>
    public override string ToString() => Message;
}

/// <summary>Either a valid configuration or every error found.</summary>
public sealed class ConfigResult
{
    private ConfigResult(AutoscalerConfig? config, IReadOnlyList<ConfigError> errors)
    {
        Config = config;
        Errors = errors;
    }

    /// <summary>The configuration; non-null exactly when <see cref="IsValid"/>.</summary>
    public AutoscalerConfig? Config { get; }

    /// <summary>Every problem, in document order (problems without a position last).</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    /// <summary>True when there are no errors.</summary>
    [MemberNotNullWhen(true, nameof(Config))]
    public bool IsValid => Config is not null;

    internal static ConfigResult Success(AutoscalerConfig config) => new(config, []);

    internal static ConfigResult Failure(IReadOnlyList<ConfigError> errors) => new(null, errors);
}

/// <summary>The evaluation loop.</summary>
public sealed record EngineConfig
{
    /// <summary>Time between evaluations of every pool. Default 10 s.</summary>
    public TimeSpan EvaluationInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Decide and record, never act. Default false.</summary>
    public bool DryRun { get; init; }
}

/// <summary>How long a firing alert is believed without being re-sent.</summary>
public sealed record AlertsConfig
{
    /// <summary>Alertmanager's <c>repeat_interval</c> for the autoscaler's receiver. Default 4 h.</summary>
    public TimeSpan RepeatInterval { get; init; } = TimeSpan.FromHours(4);

    /// <summary>A firing alert not re-sent for this many repeat intervals counts as resolved. Default 3.</summary>
    public int ExpireAfterRepeats { get; init; } = 3;

    /// <summary><see cref="RepeatInterval"/> × <see cref="ExpireAfterRepeats"/>.</summary>
    public TimeSpan StaleAfter => RepeatInterval * ExpireAfterRepeats;
}

using System.Diagnostics.CodeAnalysis;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// The whole configuration file, validated. Obtain it with <see cref="Load"/> or <see cref="Parse"/>, which report every
/// problem at once instead of throwing. Secrets are <see cref="Secret"/> values, so <see cref="object.ToString"/> and
/// <see cref="Describe"/> never show them.
/// </summary>
public sealed record AutoscalerConfig
{
    /// <summary>The Linode API endpoint and token; null only when loaded with <see cref="ConfigLoadOptions.RequireLinode"/> off.</summary>
    public LinodeConfig? Linode { get; init; }

    /// <summary>host:port the service listens on. Default <c>127.0.0.1:9099</c>.</summary>
    public string Listen { get; init; } = "127.0.0.1:9099";

    /// <summary>Optional TLS certificate and key for the listener.</summary>
    public TlsConfig? Tls { get; init; }

    /// <summary>The Alertmanager webhook receiver.</summary>
    public WebhookConfig Webhook { get; init; } = new();

    /// <summary>The HTTP API (status, manual scaling).</summary>
    public ApiConfig Api { get; init; } = new();

    /// <summary>The evaluation loop.</summary>
    public EngineConfig Engine { get; init; } = new();

    /// <summary>How long alert state is trusted.</summary>
    public AlertsConfig Alerts { get; init; } = new();

    /// <summary>Where operations and desired sizes are journaled.</summary>
    public JournalConfig Journal { get; init; } = new();

    /// <summary>The pools, in file order.</summary>
    public IReadOnlyList<PoolConfig> Pools { get; init; } = [];

    /// <summary>Commands run for matching webhook notifications (prometheus-am-executor compatible), in file order.</summary>
    public IReadOnlyList<CommandConfig> Commands { get; init; } = [];

    /// <summary>The web dashboard's sampling.</summary>
    public DashboardConfig Dashboard { get; init; } = new();

    /// <summary>The pool called <paramref name="name"/>, or null.</summary>
    public PoolConfig? FindPool(string name) => Pools.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));

    /// <summary>Reads and validates the file at <paramref name="path"/>, expanding ${VAR} from the process environment;
    /// relative paths inside it (user_data, journal) are resolved against the file's folder.</summary>
    public static ConfigResult Load(string path, ConfigLoadOptions? options = null)
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
    public static ConfigResult Parse(string yaml, IReadOnlyDictionary<string, string>? environment = null, ConfigLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return new ConfigParser(new ConfigReader(environment, options)).Parse(yaml);
    }

    /// <summary>A readable rendering of the effective configuration (defaults filled in), secrets redacted.</summary>
    public string Describe() => ConfigDescriber.Describe(this);
}

/// <summary>Switches for <see cref="AutoscalerConfig.Parse"/>.</summary>
public sealed record ConfigLoadOptions
{
    /// <summary>When false, a missing <c>linode</c> section is not an error (simulation needs no cloud). Default true.</summary>
    public bool RequireLinode { get; init; } = true;

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

/// <summary>The Linode API connection.</summary>
public sealed record LinodeConfig
{
    /// <summary>API base URL. Default <c>https://api.linode.com/v4</c>.</summary>
    public Uri Url { get; init; } = new("https://api.linode.com/v4");

    /// <summary>Personal access token.</summary>
    public required Secret Token { get; init; }
}

/// <summary>TLS for the listener.</summary>
public sealed record TlsConfig
{
    /// <summary>PEM certificate file.</summary>
    public required string CertFile { get; init; }

    /// <summary>PEM private key file.</summary>
    public required string KeyFile { get; init; }
}

/// <summary>Credentials an HTTP caller must present: a bearer token or HTTP basic auth (exactly one).</summary>
public sealed record AuthConfig
{
    /// <summary>Expected bearer token.</summary>
    public Secret? BearerToken { get; init; }

    /// <summary>Expected basic-auth user name and password.</summary>
    public BasicAuthConfig? Basic { get; init; }
}

/// <summary>HTTP basic-auth credentials.</summary>
public sealed record BasicAuthConfig
{
    /// <summary>User name (treated as a secret too).</summary>
    public required Secret Username { get; init; }

    /// <summary>Password.</summary>
    public required Secret Password { get; init; }
}

/// <summary>The Alertmanager webhook receiver.</summary>
public sealed record WebhookConfig
{
    /// <summary>Required credentials; null accepts unauthenticated requests.</summary>
    public AuthConfig? Auth { get; init; }

    /// <summary>Largest accepted body; larger ones get 413. Default 1 MiB.</summary>
    public long MaxBodyBytes { get; init; } = 1024 * 1024;
}

/// <summary>The HTTP API.</summary>
public sealed record ApiConfig
{
    /// <summary>Credentials for write endpoints; null falls back to the webhook's.</summary>
    public AuthConfig? Auth { get; init; }
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

/// <summary>The operation journal.</summary>
public sealed record JournalConfig
{
    /// <summary>SQLite file. Default <c>autoscaler.db</c> beside the configuration.</summary>
    public string Path { get; init; } = "autoscaler.db";
}

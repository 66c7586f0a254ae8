using System.Globalization;
using System.Text;
using Autoscaler.Common;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Service.Configuration;

/// <summary>
/// The service's own top-level settings: where it listens (and with which certificate), who may call the webhook and the
/// API, where its journal lives, what the dashboard keeps, and the am-executor commands it runs. Read by
/// <see cref="ServiceSection"/>; secrets are <see cref="Secret"/> values and never shown.
/// </summary>
public sealed record ServiceConfig : IConfigSectionValue
{
    /// <summary>The settings of a file that sets none of them.</summary>
    public static ServiceConfig Default { get; } = new();

    /// <summary>host:port the service listens on. Default <c>127.0.0.1:9099</c>.</summary>
    public string Listen { get; init; } = "127.0.0.1:9099";

    /// <summary>Optional TLS certificate and key for the listener.</summary>
    public TlsConfig? Tls { get; init; }

    /// <summary>The Alertmanager webhook receiver.</summary>
    public WebhookConfig Webhook { get; init; } = new();

    /// <summary>The HTTP API (status, manual scaling).</summary>
    public ApiConfig Api { get; init; } = new();

    /// <summary>Where operations and desired sizes are journaled.</summary>
    public JournalConfig Journal { get; init; } = new();

    /// <summary>The web dashboard's sampling.</summary>
    public DashboardConfig Dashboard { get; init; } = new();

    /// <summary>Commands run for matching webhook notifications (prometheus-am-executor compatible), in file order.</summary>
    public IReadOnlyList<CommandConfig> Commands { get; init; } = [];

    /// <summary>Limits shared by every command.</summary>
    public CommandLimits CommandLimits { get; init; } = new();

    /// <summary>Host names (besides IP literals and <c>localhost</c>) a request's <c>Host</c> header may carry: the names
    /// the service is reached by. Anything else is refused, so a DNS-rebinding page cannot reach it.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <inheritdoc />
    public void Describe(StringBuilder text, string indent)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append(CultureInfo.InvariantCulture, $"{indent}listen: {Listen}\n");
        if (Tls is { } tls)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}tls: {{ cert_file: {tls.CertFile}, key_file: {tls.KeyFile} }}\n");
        }

        if (AllowedHosts.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}allowed_hosts: [{string.Join(", ", AllowedHosts)}]\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"{indent}webhook: {{ auth: {Auth(Webhook.Auth)}, max_body_bytes: {Webhook.MaxBodyBytes}, min_evaluation_interval: {Durations.Format(Webhook.MinEvaluationInterval)} }}\n");
        text.Append(CultureInfo.InvariantCulture, $"{indent}api: {{ auth: {Auth(Api.Auth)}, auth_reads: {Bool(Api.AuthReads)} }}\n");
        text.Append(Journal.Url is { } url
            ? $"{indent}journal: {{ url: {Redact(url)}, lease: {Durations.Format(Journal.Lease)}, advertise: {Journal.Advertise ?? "~"} }}\n"
            : $"{indent}journal: {{ path: {Journal.Path} }}\n");
        text.Append(CultureInfo.InvariantCulture, $"{indent}dashboard: {{ sample_interval: {Durations.Format(Dashboard.SampleInterval)}, history: {Durations.Format(Dashboard.History)} }}\n");
        if (Commands.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}command_limits: {{ max_concurrent: {CommandLimits.MaxConcurrent} }}\n");
            text.Append(CultureInfo.InvariantCulture, $"{indent}commands:\n");
            foreach (var cmd in Commands)
            {
                var action = cmd.Jenkins is { } j
                    ? $"jenkins: {{ url: {j.Url}, user: {j.User}, api_token: {j.ApiToken}, job: {j.Job}, parameters: [{string.Join(", ", j.Parameters.Keys)}] }}"
                    : $"cmd: {cmd.Cmd}, args: {cmd.Args.Count} (values not shown)";
                var signal = cmd.ResolvedSignal?.ToString(CultureInfo.InvariantCulture) ?? "~";
                text.Append(CultureInfo.InvariantCulture, $"{indent}  - {{ {action}, match_labels: {{{string.Join(", ", cmd.MatchLabels.Select(kv => kv.Key + ": " + kv.Value))}}}, max: {cmd.Max}, max_concurrent: {cmd.MaxConcurrent}, pass_env: [{string.Join(", ", cmd.PassEnv)}], notify_on_failure: {Bool(cmd.NotifyOnFailure)}, ignore_resolved: {Bool(cmd.IgnoreResolved)}, resolved_signal: {signal}, timeout: {Durations.Format(cmd.Timeout)}, dedupe_window: {Durations.Format(cmd.DedupeWindow)} }}\n");
            }
        }
    }

    private static string Redact(Secret url) =>
        Autoscaler.Service.Storage.PostgresAddress.TryParse(url.Reveal(), out var b, out _) ? Autoscaler.Service.Storage.PostgresAddress.Redacted(b!) : Secret.Redacted;

    private static string Auth(AuthConfig? auth) => auth switch
    {
        null => "none",
        { BearerToken: { } t } => $"{{ bearer_token: {t} }}",
        { Basic: { } b } => $"{{ basic: {{ username: {b.Username}, password: {b.Password} }} }}",
        _ => "none",
    };

    private static string Bool(bool b) => b ? "true" : "false";
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

    /// <summary>Least time between two evaluations of a pool that webhooks ask for; nudges within it are merged into
    /// one evaluation at its end, so a flood of notifications costs a few Linode calls per pool, not one per
    /// notification. Default 2 s.</summary>
    public TimeSpan MinEvaluationInterval { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>Limits shared by every command.</summary>
public sealed record CommandLimits
{
    /// <summary>Default <see cref="MaxConcurrent"/>.</summary>
    public const int DefaultMaxConcurrent = 16;

    /// <summary>Most command runs (programs and Jenkins jobs) at once across every command, whatever the fingerprints;
    /// a notification beyond it is skipped and counted (<c>reason="concurrency"</c>). Default 16.</summary>
    public int MaxConcurrent { get; init; } = DefaultMaxConcurrent;
}

/// <summary>The HTTP API.</summary>
public sealed record ApiConfig
{
    /// <summary>Credentials for write endpoints. They are the API's own: the webhook's never stand in for them. Null:
    /// writes are answered 403 naming <c>api.auth</c>, unless the service asks no credentials of anyone (no
    /// <c>webhook.auth</c> either, which only a loopback listener allows).</summary>
    public AuthConfig? Auth { get; init; }

    /// <summary>When true, reads (<c>/api/…</c> GETs, <c>/metrics</c>, <c>/http_sd</c>) need <see cref="Auth"/> too;
    /// health checks and the dashboard's static files stay open. Default false.</summary>
    public bool AuthReads { get; init; }
}

/// <summary>The operation journal: an SQLite file (one replica) or a PostgreSQL database several replicas share, one
/// of them acting under a lease (<see cref="Lease"/>).</summary>
public sealed record JournalConfig
{
    /// <summary>Default <see cref="Lease"/>: 15 s.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(15);

    /// <summary>SQLite file. Default <c>autoscaler.db</c> beside the configuration. Unused with <see cref="Url"/>.</summary>
    public string Path { get; init; } = "autoscaler.db";

    /// <summary>PostgreSQL database (<c>postgres://user:password@host:port/db?sslmode=require</c> or libpq key=value),
    /// exclusive with <c>path</c>. A secret: it holds the password.</summary>
    public Secret? Url { get; init; }

    /// <summary>With <see cref="Url"/>: how long the leader's lease lasts without renewal (renewed every third of it).
    /// A standby takes over within this plus one evaluation cycle after the leader dies. Default 15 s.</summary>
    public TimeSpan Lease { get; init; } = DefaultLease;

    /// <summary>With <see cref="Url"/>: the address other replicas name when they refuse a write while this one leads
    /// (default: http(s)://listen).</summary>
    public string? Advertise { get; init; }
}

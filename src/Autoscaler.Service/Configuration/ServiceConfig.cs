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

    /// <inheritdoc />
    public void Describe(StringBuilder text, string indent)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append(CultureInfo.InvariantCulture, $"{indent}listen: {Listen}\n");
        if (Tls is { } tls)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}tls: {{ cert_file: {tls.CertFile}, key_file: {tls.KeyFile} }}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"{indent}webhook: {{ auth: {Auth(Webhook.Auth)}, max_body_bytes: {Webhook.MaxBodyBytes} }}\n");
        // What the write endpoints really accept, not only what the api section says (issue 13: "auth: none" while the
        // webhook's credentials were required confused the first user of `scale`).
        var apiAuth = Api.Auth is not null ? Auth(Api.Auth)
            : Webhook.Auth is not null ? "none (writes take webhook.auth's credentials)"
            : "none (writes are open)";
        text.Append(CultureInfo.InvariantCulture, $"{indent}api: {{ auth: {apiAuth} }}\n");
        text.Append(CultureInfo.InvariantCulture, $"{indent}journal: {{ path: {Journal.Path} }}\n");
        text.Append(CultureInfo.InvariantCulture, $"{indent}dashboard: {{ sample_interval: {Durations.Format(Dashboard.SampleInterval)}, history: {Durations.Format(Dashboard.History)} }}\n");
        if (Commands.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{indent}commands:\n");
            foreach (var cmd in Commands)
            {
                var action = cmd.Jenkins is { } j
                    ? $"jenkins: {{ url: {j.Url}, user: {j.User}, api_token: {j.ApiToken}, job: {j.Job}, parameters: [{string.Join(", ", j.Parameters.Keys)}] }}"
                    : $"cmd: {cmd.Cmd}, args: {cmd.Args.Count} (values not shown)";
                var signal = cmd.ResolvedSignal?.ToString(CultureInfo.InvariantCulture) ?? "~";
                text.Append(CultureInfo.InvariantCulture, $"{indent}  - {{ {action}, match_labels: {{{string.Join(", ", cmd.MatchLabels.Select(kv => kv.Key + ": " + kv.Value))}}}, max: {cmd.Max}, notify_on_failure: {Bool(cmd.NotifyOnFailure)}, ignore_resolved: {Bool(cmd.IgnoreResolved)}, resolved_signal: {signal}, timeout: {Durations.Format(cmd.Timeout)}, dedupe_window: {Durations.Format(cmd.DedupeWindow)} }}\n");
            }
        }
    }

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
}

/// <summary>The HTTP API.</summary>
public sealed record ApiConfig
{
    /// <summary>Credentials for write endpoints; null falls back to the webhook's.</summary>
    public AuthConfig? Auth { get; init; }
}

/// <summary>The operation journal.</summary>
public sealed record JournalConfig
{
    /// <summary>SQLite file. Default <c>autoscaler.db</c> beside the configuration.</summary>
    public string Path { get; init; } = "autoscaler.db";
}

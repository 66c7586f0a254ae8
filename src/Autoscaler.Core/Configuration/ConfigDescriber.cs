using System.Globalization;
using System.Text;
using Autoscaler.Common;

namespace Autoscaler.Core.Configuration;

/// <summary>Renders the effective configuration as YAML-like text. Secrets and StackScript values are never shown.</summary>
internal static class ConfigDescriber
{
    public static string Describe(AutoscalerConfig c)
    {
        var sb = new StringBuilder();
        if (c.Linode is { } l)
        {
            sb.Append(CultureInfo.InvariantCulture, $"linode: {{ url: {l.Url}, token: {l.Token} }}\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"listen: {c.Listen}\n");
        if (c.Tls is { } tls)
        {
            sb.Append(CultureInfo.InvariantCulture, $"tls: {{ cert_file: {tls.CertFile}, key_file: {tls.KeyFile} }}\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"webhook: {{ auth: {Auth(c.Webhook.Auth)}, max_body_bytes: {c.Webhook.MaxBodyBytes} }}\n");
        sb.Append(CultureInfo.InvariantCulture, $"api: {{ auth: {Auth(c.Api.Auth)} }}\n");
        sb.Append(CultureInfo.InvariantCulture, $"engine: {{ evaluation_interval: {Durations.Format(c.Engine.EvaluationInterval)}, dry_run: {Bool(c.Engine.DryRun)} }}\n");
        sb.Append(CultureInfo.InvariantCulture, $"alerts: {{ repeat_interval: {Durations.Format(c.Alerts.RepeatInterval)}, expire_after_repeats: {c.Alerts.ExpireAfterRepeats} }}\n");
        sb.Append(CultureInfo.InvariantCulture, $"journal: {{ path: {c.Journal.Path} }}\n");
        sb.Append(CultureInfo.InvariantCulture, $"dashboard: {{ sample_interval: {Durations.Format(c.Dashboard.SampleInterval)}, history: {Durations.Format(c.Dashboard.History)} }}\n");
        sb.Append("pools:\n");
        foreach (var p in c.Pools)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {p.Name}:\n");
            sb.Append(CultureInfo.InvariantCulture, $"    region: {p.Region}\n    type: {p.Type}\n    image: {p.Image}\n");
            if (p.StackScript is { } ss)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    stackscript: {{ id: {ss.Id}, data: [{string.Join(", ", ss.Data.Keys)}] (values not shown) }}\n");
            }

            if (p.UserDataFile is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    user_data: {p.UserDataFile}\n");
            }

            sb.Append(CultureInfo.InvariantCulture, $"    authorized_keys: {p.AuthorizedKeys.Count} key(s)\n");
            sb.Append(CultureInfo.InvariantCulture, $"    tags: [{string.Join(", ", p.Tags)}]\n");
            sb.Append(CultureInfo.InvariantCulture, $"    pool_tag: {p.EffectivePoolTag}\n    label_prefix: {p.EffectiveLabelPrefix}\n    protection_tag: {p.ProtectionTag}\n");
            sb.Append(CultureInfo.InvariantCulture, $"    min: {p.Min}\n    max: {p.Max}\n");
            if (p.Desired is { } d)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    desired: {d}\n");
            }

            var nb = p.NodeBalancer;
            var nbId = nb.Id is { } id ? $"id: {id}" : $"label: {nb.Label}";
            var cfg = nb.ConfigId is { } cid ? $", config_id: {cid}" : "";
            sb.Append(CultureInfo.InvariantCulture, $"    nodebalancer: {{ {nbId}, port: {nb.Port}{cfg}, node_port: {nb.NodePort}, create_if_missing: {Bool(nb.CreateIfMissing)} }}\n");
            sb.Append(CultureInfo.InvariantCulture, $"    health: {{ grace: {Durations.Format(p.Health.Grace)}, replace_after: {Durations.Format(p.Health.ReplaceAfter)} }}\n");
            var pct = p.ScaleUp.StepPercent is { } sp ? $", step_percent: {sp.ToString(CultureInfo.InvariantCulture)}" : "";
            sb.Append(CultureInfo.InvariantCulture, $"    scale_up: {{ step: {p.ScaleUp.Step}{pct}, cooldown: {Durations.Format(p.ScaleUp.Cooldown)}, max_in_flight: {p.ScaleUp.MaxInFlight} }}\n");
            sb.Append(CultureInfo.InvariantCulture, $"    scale_down: {{ step: {p.ScaleDown.Step}, cooldown: {Durations.Format(p.ScaleDown.Cooldown)}, drain: {Durations.Format(p.ScaleDown.Drain)}, victim: {(p.ScaleDown.Victim == VictimPolicy.Newest ? "newest" : "oldest")} }}\n");
            sb.Append("    signals:\n");
            foreach (var s in p.Signals)
            {
                sb.Append("      - ").Append(s.Describe()).Append('\n');
            }

            if (p.Dashboard is { } dash)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    dashboard: {{ prometheus: {dash.Prometheus}, requests: {Query(dash.Requests)}, cpu: {Query(dash.Cpu)}, latency_p95: {Query(dash.LatencyP95)} }}\n");
            }
        }

        if (c.Commands.Count > 0)
        {
            sb.Append("commands:\n");
            foreach (var cmd in c.Commands)
            {
                var action = cmd.Jenkins is { } j
                    ? $"jenkins: {{ url: {j.Url}, user: {j.User}, api_token: {j.ApiToken}, job: {j.Job}, parameters: [{string.Join(", ", j.Parameters.Keys)}] }}"
                    : $"cmd: {cmd.Cmd}, args: {cmd.Args.Count} (values not shown)";
                var signal = cmd.ResolvedSignal?.ToString(CultureInfo.InvariantCulture) ?? "~";
                sb.Append(CultureInfo.InvariantCulture, $"  - {{ {action}, match_labels: {{{string.Join(", ", cmd.MatchLabels.Select(kv => kv.Key + ": " + kv.Value))}}}, max: {cmd.Max}, notify_on_failure: {Bool(cmd.NotifyOnFailure)}, ignore_resolved: {Bool(cmd.IgnoreResolved)}, resolved_signal: {signal}, timeout: {Durations.Format(cmd.Timeout)}, dedupe_window: {Durations.Format(cmd.DedupeWindow)} }}\n");
            }
        }

        return sb.ToString();
    }

    private static string Auth(AuthConfig? auth) => auth switch
    {
        null => "none",
        { BearerToken: { } t } => $"{{ bearer_token: {t} }}",
        { Basic: { } b } => $"{{ basic: {{ username: {b.Username}, password: {b.Password} }} }}",
        _ => "none",
    };

    private static string Bool(bool b) => b ? "true" : "false";

    private static string Query(string? q) => q is null ? "~" : "'" + q + "'";
}

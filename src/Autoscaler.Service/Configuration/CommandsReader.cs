using Autoscaler.Core.Configuration;
using YamlDotNet.RepresentationModel;

namespace Autoscaler.Service.Configuration;

/// <summary>Reads a <c>commands:</c> list (prometheus-am-executor's keys, plus <c>timeout</c>, <c>dedupe_window</c> and
/// <c>jenkins</c>), from the autoscaler's file or from an am-executor file.</summary>
public static class CommandsReader
{
    /// <summary>Reads <c>commands:</c>, prometheus-am-executor's list, plus <c>timeout</c> and <c>dedupe_window</c>.</summary>
    public static List<CommandConfig> Read(MapReader root)
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
                root.Error($"{root.Context}{field} must be a mapping with cmd (and args, match_labels, max…)", item);
                continue;
            }

            var m = new MapReader(root.Reader, node, root.Context, field + ".");
            var jenkins = ReadJenkinsAction(m);
            if (m.Has("jenkins") && m.Has("cmd"))
            {
                m.Error($"{root.Context}{field} must have cmd or jenkins, not both", m.Raw("jenkins"));
            }

            var cmd = m.String("cmd", required: !m.Has("jenkins"));
            if (cmd is { Length: 0 })
            {
                m.Error($"{root.Context}{field}.cmd must not be empty", m.Raw("cmd"));
            }

            var args = m.StringList("args") ?? [];
            var labels = m.StringMap("match_labels") ?? new Dictionary<string, string>();
            var max = m.Int("max") ?? 0;
            if (max < 0)
            {
                // am-executor reads a negative max as "no limit"; say so rather than guess.
                m.Error($"{root.Context}{field}.max must be 0 (no limit) or more (got {max})", m.Raw("max"));
            }

            var notify = m.Bool("notify_on_failure") ?? true;
            var ignore = m.Bool("ignore_resolved") ?? false;
            int? signal = null;
            if (m.Raw("resolved_signal") is { } rawSignal && !ConfigReader.IsNull(rawSignal))
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
                    m.Error($"{root.Context}{field}.resolved_signal must be a signal name ({string.Join(", ", CommandConfig.Signals.Keys.Select(k => "SIG" + k))}) or number 1-64 (got '{text}')", rawSignal);
                }
            }

            var timeout = m.Duration("timeout") ?? CommandConfig.DefaultTimeout;
            if (timeout <= TimeSpan.Zero)
            {
                m.Error($"{root.Context}{field}.timeout must be positive", m.Raw("timeout"));
            }

            var dedupe = m.Duration("dedupe_window") ?? CommandConfig.DefaultDedupeWindow;
            if (dedupe < TimeSpan.Zero)
            {
                m.Error($"{root.Context}{field}.dedupe_window must not be negative", m.Raw("dedupe_window"));
            }

            var maxConcurrent = m.Int("max_concurrent") ?? CommandConfig.DefaultMaxConcurrent;
            if (maxConcurrent < 1)
            {
                m.Error($"{root.Context}{field}.max_concurrent must be 1 or more (got {maxConcurrent})", m.Raw("max_concurrent"));
            }

            var passEnv = m.StringList("pass_env") ?? [];
            foreach (var name in passEnv)
            {
                if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.StartsWith("AMX_", StringComparison.Ordinal))
                {
                    m.Error($"{root.Context}{field}.pass_env: '{name}' must be a variable name (without '=', not AMX_*)", m.Raw("pass_env"));
                }
            }

            var label = m.String("name");
            if (label is { Length: 0 })
            {
                m.Error($"{root.Context}{field}.name must not be empty", m.Raw("name"));
            }

            m.Done();
            if (cmd is { Length: > 0 } || jenkins is not null)
            {
                commands.Add(new CommandConfig
                {
                    Cmd = cmd ?? "", Jenkins = jenkins, Args = args, MatchLabels = labels, Max = Math.Max(0, max), NotifyOnFailure = notify,
                    IgnoreResolved = ignore, ResolvedSignal = signal, Timeout = timeout, DedupeWindow = dedupe,
                    MaxConcurrent = Math.Max(1, maxConcurrent), PassEnv = passEnv, Label = label is { Length: > 0 } ? label : null,
                });
            }
        }

        return commands;
    }

    private static JenkinsActionConfig? ReadJenkinsAction(MapReader parent)
    {
        var m = parent.Map("jenkins");
        if (m is null)
        {
            return null;
        }

        var url = m.HttpUrl("url", required: true);
        if (url is not null && url.Scheme == Uri.UriSchemeHttp && !url.IsLoopback)
        {
            // The API token would cross the network in clear text; as the Linode client, only loopback may be plain http.
            m.Error($"{m.Context}{m.Field("url")} must be https (plain http only to a loopback Jenkins): got {url.GetLeftPart(UriPartial.Authority)}", m.Raw("url"));
        }

        var user = m.String("user", required: true);
        var token = m.SecretValue("api_token", required: true);
        var job = m.String("job", required: true);
        if (job is not null && job.Trim('/').Length == 0)
        {
            m.Error($"{m.Context}{m.Field("job")} must name a job", m.Raw("job"));
        }

        var parameters = m.StringMap("parameters") ?? new Dictionary<string, string>();
        var poll = m.Duration("poll_interval") ?? TimeSpan.FromSeconds(2);
        if (poll <= TimeSpan.Zero)
        {
            m.Error($"{m.Context}{m.Field("poll_interval")} must be positive", m.Raw("poll_interval"));
        }

        m.Done();
        return url is null || user is null || token is null || job is null
            ? null
            : new JenkinsActionConfig { Url = url, User = user, ApiToken = token, Job = job, Parameters = parameters, PollInterval = poll };
    }
}

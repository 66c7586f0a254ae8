using System.Globalization;
using System.Text.Json;

namespace Autoscaler.Service.Commands;

/// <summary>One alert of a notification, as prometheus-am-executor exposes it to commands.</summary>
/// <param name="Status"><c>firing</c> or <c>resolved</c>.</param>
/// <param name="Labels">The alert's labels.</param>
/// <param name="Annotations">The alert's annotations.</param>
/// <param name="StartsAt">Start; null when absent or unreadable.</param>
/// <param name="EndsAt">End; null when absent or Go's zero time.</param>
/// <param name="GeneratorUrl">Link to the expression in Prometheus.</param>
/// <param name="Fingerprint">Alertmanager's fingerprint.</param>
public sealed record AmxAlert(string Status, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, string GeneratorUrl, string Fingerprint);

/// <summary>The whole webhook notification (Alertmanager's template data), including the group fields the alert store
/// does not keep: external URL, group, common labels and common annotations.</summary>
public sealed record AmxNotification(string Receiver, string Status, string ExternalUrl, IReadOnlyDictionary<string, string> GroupLabels,
    IReadOnlyDictionary<string, string> CommonLabels, IReadOnlyDictionary<string, string> CommonAnnotations, IReadOnlyList<AmxAlert> Alerts)
{
    private static readonly Dictionary<string, string> Empty = new(StringComparer.Ordinal);

    /// <summary>Reads a body the webhook already validated; null if it is not a JSON object.</summary>
    public static AmxNotification? Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var alerts = new List<AmxAlert>();
            if (root.TryGetProperty("alerts", out var array) && array.ValueKind == JsonValueKind.Array)
            {
                foreach (var a in array.EnumerateArray())
                {
                    if (a.ValueKind == JsonValueKind.Object)
                    {
                        alerts.Add(new AmxAlert(Str(a, "status"), Map(a, "labels"), Map(a, "annotations"), Time(a, "startsAt"), Time(a, "endsAt"),
                            Str(a, "generatorURL"), Str(a, "fingerprint")));
                    }
                }
            }

            return new AmxNotification(Str(root, "receiver"), Str(root, "status"), Str(root, "externalURL"), Map(root, "groupLabels"),
                Map(root, "commonLabels"), Map(root, "commonAnnotations"), alerts);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";

    private static Dictionary<string, string> Map(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Object)
        {
            return Empty;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.String)
            {
                map[p.Name] = p.Value.GetString()!;
            }
        }

        return map;
    }

    private static DateTimeOffset? Time(JsonElement e, string name)
    {
        var s = Str(e, name);
        // Go's zero time (0001-01-01) is what Alertmanager sends for "no end"; am-executor prints it as 0.
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) && t.Year > 1
            ? t : null;
    }
}

/// <summary>The environment prometheus-am-executor gives its commands, built the same way so its scripts run unchanged:
/// alerts numbered from 1, label and annotation names appended verbatim (no case or character change).</summary>
public static class AmxEnvironment
{
    /// <summary>The <c>AMX_*</c> variables for <paramref name="n"/>.</summary>
    public static IReadOnlyDictionary<string, string> For(AmxNotification n)
    {
        ArgumentNullException.ThrowIfNull(n);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AMX_RECEIVER"] = n.Receiver,
            ["AMX_STATUS"] = n.Status,
            ["AMX_EXTERNAL_URL"] = n.ExternalUrl,
            ["AMX_ALERT_LEN"] = n.Alerts.Count.ToString(CultureInfo.InvariantCulture),
        };
        Add(env, "AMX_LABEL_", n.CommonLabels);
        Add(env, "AMX_GLABEL_", n.GroupLabels);
        Add(env, "AMX_ANNOTATION_", n.CommonAnnotations);
        for (var i = 0; i < n.Alerts.Count; i++)
        {
            var a = n.Alerts[i];
            var key = "AMX_ALERT_" + (i + 1).ToString(CultureInfo.InvariantCulture);
            env[key + "_STATUS"] = a.Status;
            env[key + "_START"] = Epoch(a.StartsAt);
            env[key + "_END"] = Epoch(a.EndsAt);
            env[key + "_URL"] = a.GeneratorUrl;
            env[key + "_FINGERPRINT"] = a.Fingerprint;
            Add(env, key + "_LABEL_", a.Labels);
            Add(env, key + "_ANNOTATION_", a.Annotations);
        }

        return env;
    }

    private static void Add(Dictionary<string, string> env, string prefix, IReadOnlyDictionary<string, string> map)
    {
        foreach (var (k, v) in map)
        {
            env[prefix + k] = v;
        }
    }

    private static string Epoch(DateTimeOffset? t) => t is { } v ? v.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) : "0";
}

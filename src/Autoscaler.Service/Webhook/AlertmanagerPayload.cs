using System.Globalization;
using System.Text.Json;
using Autoscaler.Core.Alerts;

namespace Autoscaler.Service.Webhook;

/// <summary>An Alertmanager webhook notification (version 4), validated: the group's receiver and status and its alerts
/// ready for the <see cref="AlertStateStore"/>.</summary>
/// <param name="Receiver">Receiver name.</param>
/// <param name="Status">Group status (<c>firing</c> or <c>resolved</c>).</param>
/// <param name="Alerts">Every alert of the notification.</param>
/// <param name="GroupKey">The group key, when sent.</param>
public sealed record AlertmanagerNotification(string Receiver, AlertStatus Status, IReadOnlyList<AlertRecord> Alerts, string? GroupKey);

/// <summary>Why a body was refused: every problem found, each naming its field.</summary>
/// <param name="Problems">e.g. <c>alerts[0].startsAt must be an RFC 3339 time (got "yesterday")</c>.</param>
public sealed record PayloadError(IReadOnlyList<string> Problems)
{
    /// <summary>The problems on one line.</summary>
    public string Message => string.Join("; ", Problems);
}

/// <summary>
/// Parses Alertmanager's webhook JSON (<c>"version": "4"</c>). Strict about what the autoscaler relies on (version,
/// status, each alert's status, labels and startsAt) and lenient about the rest (annotations, generatorURL, extra
/// fields are optional). Every problem is reported, not only the first; values quoted in messages are cut short, so a
/// huge or hostile body cannot make a huge answer.
/// </summary>
public static class AlertmanagerPayload
{
    /// <summary>Most alerts accepted in one notification (Alertmanager's max_alerts is usually far below).</summary>
    public const int MaxAlerts = 1000;

    /// <summary>Most problems listed in one answer.</summary>
    public const int MaxProblems = 20;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false };

    /// <summary>Parses <paramref name="body"/>; exactly one of the results is non-null.</summary>
    public static (AlertmanagerNotification? Notification, PayloadError? Error) Parse(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return (null, new PayloadError(["the body is empty; expected Alertmanager webhook JSON (version 4)"]));
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return (null, new PayloadError([$"the body is not valid JSON: {Cut(ex.Message, 200)}"]));
        }

        using (doc)
        {
            return Read(doc.RootElement);
        }
    }

    private static (AlertmanagerNotification?, PayloadError?) Read(JsonElement root)
    {
        var problems = new List<string>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, new PayloadError([$"the body must be a JSON object (got {Kind(root)})"]));
        }

        if (!root.TryGetProperty("version", out var version))
        {
            problems.Add("version is missing; expected \"4\" (Alertmanager webhook payload)");
        }
        else if (version.ValueKind != JsonValueKind.String || version.GetString() != "4")
        {
            problems.Add($"version must be \"4\" (got {Show(version)})");
        }

        var receiver = OptionalString(root, "receiver", "receiver", problems) ?? "";
        var groupKey = OptionalString(root, "groupKey", "groupKey", problems);
        var status = RequiredStatus(root, "status", "status", problems);

        var alerts = new List<AlertRecord>();
        if (!root.TryGetProperty("alerts", out var array))
        {
            problems.Add("alerts is missing");
        }
        else if (array.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"alerts must be an array (got {Kind(array)})");
        }
        else if (array.GetArrayLength() == 0)
        {
            problems.Add("alerts must contain at least one alert");
        }
        else if (array.GetArrayLength() > MaxAlerts)
        {
            problems.Add($"alerts has {array.GetArrayLength()} entries; at most {MaxAlerts} are accepted");
        }
        else
        {
            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                if (ReadAlert(item, $"alerts[{i}]", receiver, problems) is { } alert)
                {
                    alerts.Add(alert);
                }

                i++;
                if (problems.Count >= MaxProblems)
                {
                    break;
                }
            }
        }

        if (problems.Count > 0)
        {
            if (problems.Count > MaxProblems)
            {
                problems = [.. problems.Take(MaxProblems), $"… and {problems.Count - MaxProblems} more"];
            }

            return (null, new PayloadError(problems));
        }

        return (new AlertmanagerNotification(receiver, status!.Value, alerts, groupKey), null);
    }

    private static AlertRecord? ReadAlert(JsonElement item, string path, string receiver, List<string> problems)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{path} must be an object (got {Kind(item)})");
            return null;
        }

        var before = problems.Count;
        var status = RequiredStatus(item, "status", path + ".status", problems);
        var labels = StringMap(item, "labels", path + ".labels", required: true, problems);
        if (labels is { Count: 0 })
        {
            problems.Add($"{path}.labels must not be empty");
        }

        var annotations = StringMap(item, "annotations", path + ".annotations", required: false, problems) ?? new Dictionary<string, string>();
        var startsAt = Time(item, "startsAt", path + ".startsAt", required: true, problems);
        var endsAt = Time(item, "endsAt", path + ".endsAt", required: false, problems);
        var fingerprint = OptionalString(item, "fingerprint", path + ".fingerprint", problems) ?? "";
        if (fingerprint.Length > 128)
        {
            problems.Add($"{path}.fingerprint is longer than 128 characters");
        }

        if (problems.Count > before || status is null || labels is null || startsAt is null)
        {
            return null;
        }

        // Alertmanager sends endsAt 0001-01-01 (or a future estimate) for firing alerts: only a resolve's end means anything.
        DateTimeOffset? end = endsAt is { Year: > 1 } e ? e : null;
        return new AlertRecord(fingerprint, status.Value, labels, annotations, startsAt.Value, end, receiver.Length == 0 ? null : receiver);
    }

    private static AlertStatus? RequiredStatus(JsonElement obj, string name, string path, List<string> problems)
    {
        if (!obj.TryGetProperty(name, out var v))
        {
            problems.Add($"{path} is missing; expected \"firing\" or \"resolved\"");
            return null;
        }

        return v.ValueKind == JsonValueKind.String ? v.GetString() switch
        {
            "firing" => AlertStatus.Firing,
            "resolved" => AlertStatus.Resolved,
            _ => Bad(),
        } : Bad();

        AlertStatus? Bad()
        {
            problems.Add($"{path} must be \"firing\" or \"resolved\" (got {Show(v)})");
            return null;
        }
    }

    private static string? OptionalString(JsonElement obj, string name, string path, List<string> problems)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            problems.Add($"{path} must be a string (got {Kind(v)})");
            return null;
        }

        return v.GetString();
    }

    private static Dictionary<string, string>? StringMap(JsonElement obj, string name, string path, bool required, List<string> problems)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problems.Add($"{path} is missing");
            }

            return null;
        }

        if (v.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{path} must be an object of strings (got {Kind(v)})");
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
            {
                problems.Add($"{path}.{Cut(p.Name, 64)} must be a string (got {Kind(p.Value)})");
                continue;
            }

            map[p.Name] = p.Value.GetString()!;
        }

        return map;
    }

    private static DateTimeOffset? Time(JsonElement obj, string name, string path, bool required, List<string> problems)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problems.Add($"{path} is missing");
            }

            return null;
        }

        if (v.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t;
        }

        problems.Add($"{path} must be an RFC 3339 time (got {Show(v)})");
        return null;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Show(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => "\"" + Cut(e.GetString() ?? "", 64) + "\"",
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => Cut(e.GetRawText(), 64),
        _ => Kind(e),
    };

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}

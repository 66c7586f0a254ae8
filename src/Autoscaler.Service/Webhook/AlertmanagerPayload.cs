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
public static partial class AlertmanagerPayload
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

        // A byte-order mark is legal in UTF-8 text but not where JSON starts; tools that add one mean no harm.
        if (body.Span.StartsWith(Utf8Bom))
        {
            body = body[Utf8Bom.Length..];
        }

        // System.Text.Json only finds bad UTF-8 when a string is read, and then throws InvalidOperationException: check first.
        if (InvalidUtf8At(body.Span) is { } offset)
        {
            return (null, new PayloadError([$"the body is not valid UTF-8 (byte {offset}: 0x{body.Span[offset]:X2}); Alertmanager sends UTF-8 JSON"]));
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
            try
            {
                return Read(doc.RootElement);
            }
            catch (InvalidOperationException ex)
            {
                // Valid UTF-8 can still escape half of a surrogate pair ("\ud800"), which no .NET string can hold.
                return (null, new PayloadError([$"the body has a string that is not valid Unicode (an unpaired surrogate escape such as \\ud800): {Cut(ex.Message, 120)}"]));
            }
        }
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Offset of the first byte that is not part of valid UTF-8 (overlong forms and encoded surrogates
    /// included), or null.</summary>
    private static int? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return null;
        }

        var offset = 0;
        while (offset < bytes.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return Math.Max(0, bytes.Length - 1);
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
                problems.Add($"{path}.{Printable(Cut(p.Name, 64))} must be a string (got {Kind(p.Value)})");
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

        // The shape first: DateTimeOffset.TryParse alone takes "00:00" as today's midnight by the machine's clock.
        if (v.ValueKind == JsonValueKind.String && Rfc3339().IsMatch(v.GetString()!)
            && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t;
        }

        problems.Add($"{path} must be an RFC 3339 time (got {Show(v)})");
        return null;
    }

    /// <summary>RFC 3339 date-time (Go's time.RFC3339Nano, as Alertmanager writes it): date, T, time, optional
    /// fraction, Z or an offset.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})\z", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Rfc3339();

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
        JsonValueKind.String => "\"" + Printable(Cut(e.GetString() ?? "", 64)) + "\"",
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => Cut(e.GetRawText(), 64),
        _ => Kind(e),
    };

    /// <summary>Control characters as <c>\uXXXX</c>, so a quoted value cannot break a log line.</summary>
    private static string Printable(string s)
    {
        if (!s.Any(char.IsControl))
        {
            return s;
        }

        var sb = new System.Text.StringBuilder(s.Length + 16);
        foreach (var c in s)
        {
            if (char.IsControl(c))
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static string Cut(string s, int max)
    {
        if (s.Length <= max)
        {
            return s;
        }

        // Never split a surrogate pair: half of one is not text and would not survive the JSON answer.
        if (char.IsHighSurrogate(s[max - 1]))
        {
            max--;
        }

        return s[..max] + "…";
    }
}

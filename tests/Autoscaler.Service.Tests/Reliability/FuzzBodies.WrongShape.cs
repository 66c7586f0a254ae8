using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Autoscaler.Service.Tests.Reliability;

// Refused (400), valid JSON of the wrong shape: a field of the wrong type, a required field missing, another version.
public sealed partial class FuzzBodies
{
    /// <summary>A JSON value of another kind than the field wants (never null for an optional field, which means absent).</summary>
    private JsonNode? WrongValue(bool stringIsWrong, bool nullIsWrong)
    {
        while (true)
        {
            switch (_random.Next(9))
            {
                case 0:
                    return JsonValue.Create(_random.Next(-1000, 1000));
                case 1:
                    return JsonValue.Create(_random.NextDouble() * 1e300);
                case 2:
                    return JsonValue.Create(_random.Next(2) == 0);
                case 3 when nullIsWrong:
                    return null;
                case 4:
                    return new JsonArray(JsonValue.Create("a"), JsonValue.Create(1));
                case 5:
                    return new JsonObject { ["x"] = "y" };
                case 6:
                    return new JsonArray();
                case 7 when stringIsWrong:
                    return JsonValue.Create(Pick(["", "FIRING", "pending", "true", "4 ", " firing", "x"]));
                case 8:
                    return new JsonObject();
            }
        }
    }

    private FuzzCase WrongType()
    {
        var n = Scaling(_random.Next(1, 4));
        var alerts = n["alerts"]!.AsArray();
        var expect = new List<string>();
        var used = new List<string>();
        var mutations = _random.Next(1, 4);
        for (var m = 0; m < mutations; m++)
        {
            var i = _random.Next(alerts.Count);
            var at = $"alerts[{i}]";
            var target = _random.Next(14);
            var label = target == 7 ? "alertname" : Pick(["pool", "severity", "instance", "ü", "a b"]);
            var path = target switch
            {
                0 => "version",
                1 => "status",
                2 => "receiver",
                3 => "groupKey",
                4 => at,
                5 => at + ".status",
                6 => at + ".labels",
                7 or 12 => at + ".labels." + label,
                8 => at + ".annotations",
                9 => at + ".startsAt",
                10 => at + ".endsAt",
                11 => at + ".fingerprint",
                _ => at + ".annotations.description",
            };

            // One break per field, and none inside a field already broken (or around one).
            if (used.Any(u => u == path || path.StartsWith(u + ".", StringComparison.Ordinal) || u.StartsWith(path + ".", StringComparison.Ordinal)))
            {
                continue;
            }

            used.Add(path);
            var alert = alerts[i] as JsonObject;
            switch (target)
            {
                case 0:
                    n["version"] = WrongValue(stringIsWrong: true, nullIsWrong: true);
                    expect.Add("version must be \"4\"");
                    break;
                case 1:
                    n["status"] = WrongValue(stringIsWrong: true, nullIsWrong: true);
                    expect.Add("status must be \"firing\" or \"resolved\"");
                    break;
                case 2:
                    n["receiver"] = WrongValue(stringIsWrong: false, nullIsWrong: false);
                    expect.Add("receiver must be a string");
                    break;
                case 3:
                    n["groupKey"] = WrongValue(stringIsWrong: false, nullIsWrong: false);
                    expect.Add("groupKey must be a string");
                    break;
                case 4:
                    alerts[i] = WrongNonObject();
                    expect.Add($"{at} must be an object");
                    break;
                case 5:
                    alert!["status"] = WrongValue(stringIsWrong: true, nullIsWrong: true);
                    expect.Add($"{at}.status must be \"firing\" or \"resolved\"");
                    break;
                case 6:
                    var labels = WrongValue(stringIsWrong: true, nullIsWrong: true);
                    if (labels is JsonObject { Count: > 0 } map)
                    {
                        // {"x":"y"} is a valid label set: break its value.
                        map["x"] = 1;
                        expect.Add($"{at}.labels.x must be a string");
                    }
                    else
                    {
                        expect.Add(labels switch
                        {
                            null => $"{at}.labels is missing",
                            JsonObject => $"{at}.labels must not be empty",
                            _ => $"{at}.labels must be an object of strings",
                        });
                    }

                    alert!["labels"] = labels;
                    break;
                case 7:
                case 12:
                    alert!["labels"]![label] = WrongValue(stringIsWrong: false, nullIsWrong: true);
                    expect.Add($"{at}.labels.{label} must be a string");
                    break;
                case 8:
                    var annotations = WrongValue(stringIsWrong: true, nullIsWrong: false);
                    if (annotations is JsonObject a)
                    {
                        a.Clear();
                        a["x"] = false;
                        expect.Add($"{at}.annotations.x must be a string");
                    }
                    else
                    {
                        expect.Add($"{at}.annotations must be an object of strings");
                    }

                    alert!["annotations"] = annotations;
                    break;
                case 9:
                    alert!["startsAt"] = _random.Next(3) == 0 ? JsonValue.Create(Pick(BadTimes)) : WrongValue(stringIsWrong: false, nullIsWrong: false);
                    expect.Add($"{at}.startsAt must be an RFC 3339 time");
                    break;
                case 10:
                    alert!["endsAt"] = _random.Next(2) == 0 ? JsonValue.Create(Pick(BadTimes)) : WrongValue(stringIsWrong: false, nullIsWrong: false);
                    expect.Add($"{at}.endsAt must be an RFC 3339 time");
                    break;
                case 11:
                    alert!["fingerprint"] = WrongValue(stringIsWrong: false, nullIsWrong: false);
                    expect.Add($"{at}.fingerprint must be a string");
                    break;
                default:
                    alert!["annotations"]!["description"] = WrongValue(stringIsWrong: false, nullIsWrong: true);
                    expect.Add($"{at}.annotations.description must be a string");
                    break;
            }
        }

        if (expect.Count == 0)
        {
            n["version"] = JsonValue.Create(4);
            expect.Add("version must be \"4\"");
        }

        return Case("wrong_type", n, 400, [.. expect]);
    }

    private JsonNode? WrongNonObject() => _random.Next(5) switch
    {
        0 => JsonValue.Create("alert"),
        1 => JsonValue.Create(3),
        2 => new JsonArray(),
        3 => null,
        _ => JsonValue.Create(false),
    };

    private FuzzCase MissingField()
    {
        var n = Scaling(_random.Next(1, 3));
        var alert = n["alerts"]![0]!.AsObject();
        switch (_random.Next(6))
        {
            case 0:
                n.Remove("version");
                return Case("missing_field", n, 400, "version is missing");
            case 1:
                n.Remove("status");
                return Case("missing_field", n, 400, "status is missing");
            case 2:
                n.Remove("alerts");
                return Case("missing_field", n, 400, "alerts is missing");
            case 3:
                alert.Remove("status");
                return Case("missing_field", n, 400, "alerts[0].status is missing");
            case 4:
                alert.Remove("labels");
                return Case("missing_field", n, 400, "alerts[0].labels is missing");
            default:
                alert.Remove("startsAt");
                return Case("missing_field", n, 400, "alerts[0].startsAt is missing");
        }
    }

    private FuzzCase WrongVersion()
    {
        var n = Scaling();
        n["version"] = _random.Next(3) == 0
            ? JsonValue.Create(_random.Next(0, 10))
            : JsonValue.Create(Pick(["3", "5", "4.0", "v4", "", " 4", "４", "0", "44", "1"]));
        return Case("wrong_version", n, 400, "version must be \"4\"");
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>One generated request to the webhook and what the service must answer.</summary>
/// <param name="Index">Position in the run (with the seed, enough to regenerate it).</param>
/// <param name="Kind">The generator that made it (for the per-kind figures).</param>
/// <param name="Body">Raw bytes sent.</param>
/// <param name="ContentType">Content-Type header, sent without validation; null sends none.</param>
/// <param name="Chunked">Send without Content-Length.</param>
/// <param name="Status">The expected status.</param>
/// <param name="Expect">Texts the answer's error or problems must contain (each naming the problem).</param>
public sealed record FuzzCase(int Index, string Kind, byte[] Body, string? ContentType, bool Chunked, int Status, IReadOnlyList<string> Expect)
{
    public string Describe() =>
        $"case {Index} ({Kind}, {Body.Length} bytes, content-type {ContentType ?? "none"}{(Chunked ? ", chunked" : "")}): "
        + Encoding.UTF8.GetString(Body.AsSpan(0, Math.Min(Body.Length, 300)));
}

/// <summary>
/// Generates webhook bodies from a seed: each body is broken in one known way (or, for the accepted kinds, odd but
/// valid), so the exact answer can be predicted. Broken bodies start from a notification that would scale the pool
/// (PoolCpuHigh firing for <c>web</c>): a break the service misses shows as an accepted alert and a launch. Accepted
/// bodies never match a scaling signal of the pool.
/// </summary>
public sealed class FuzzBodies
{
    public const string JsonType = "application/json";

    private static readonly string[] BadTimes = ["yesterday", "", "not-a-time", "2026-13-45T99:99:99Z", "∞", "12345", "00:00", "2026/01/01 00:00", "2026-02-30T00:00:00Z", "1e9"];
    private static readonly string[] WrongMediaTypes =
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "garbage", "application/jsonx", "text/html; charset=utf-8", "image/png"];
    private static readonly string[] JsonMediaTypes = ["application/json; charset=utf-8", "Application/JSON", "application/vnd.alertmanager+json", "application/json;charset=UTF-8"];
    private static readonly byte[][] InvalidUtf8 =
    [
        [0x80], [0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0xC3], [0xF0, 0x9F, 0x98], [0xFE, 0xFE],
    ];

    private readonly Random _random;
    private readonly int _maxBody;
    private int _index;
    private int _fingerprints;

    public FuzzBodies(int seed, int maxBody)
    {
        _random = new Random(seed);
        _maxBody = maxBody;
    }

    /// <summary><paramref name="broken"/> bodies that must be refused, then <paramref name="odd"/> that must be accepted, shuffled.</summary>
    public List<FuzzCase> Generate(int broken, int odd)
    {
        var cases = new List<FuzzCase>(broken + odd);
        var makers = new (string Kind, int Weight, Func<FuzzCase> Make)[]
        {
            ("malformed_json", 14, MalformedJson),
            ("wrong_type", 30, WrongType),
            ("missing_field", 8, MissingField),
            ("wrong_version", 5, WrongVersion),
            ("huge_string", 6, HugeString),
            ("deep_nesting", 6, DeepNesting),
            ("oversized", 4, Oversized),
            ("invalid_utf8", 8, InvalidUtf8Body),
            ("bad_unicode_escape", 3, BadUnicodeEscape),
            ("empty", 2, Empty),
            ("wrong_content_type", 5, WrongContentType),
            ("not_an_object", 3, NotAnObject),
            ("too_many_alerts", 1, TooManyAlerts),
            ("bad_fingerprint", 2, LongFingerprint),
        };
        var total = makers.Sum(m => m.Weight);
        for (var i = 0; i < broken; i++)
        {
            var pick = _random.Next(total);
            foreach (var m in makers)
            {
                if (pick < m.Weight)
                {
                    cases.Add(m.Make());
                    break;
                }

                pick -= m.Weight;
            }
        }

        for (var i = 0; i < odd; i++)
        {
            cases.Add(OddButValid());
        }

        // Interleaved, so accepted bodies (which nudge the engine) run among the refused ones.
        for (var i = cases.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (cases[i], cases[j]) = (cases[j], cases[i]);
        }

        return cases;
    }

    // ---- notifications ----

    /// <summary>A notification that would scale <c>web</c> up: PoolCpuHigh firing with the pool label.</summary>
    private JsonObject Scaling(int alerts = 1)
    {
        var list = new JsonArray();
        for (var i = 0; i < alerts; i++)
        {
            list.Add(Alert("PoolCpuHigh", "firing", "web"));
        }

        return Notification("firing", list);
    }

    private static JsonObject Notification(string status, JsonArray alerts) => new()
    {
        ["receiver"] = "autoscaler",
        ["status"] = status,
        ["alerts"] = alerts,
        ["groupLabels"] = new JsonObject { ["pool"] = "web" },
        ["commonLabels"] = new JsonObject { ["alertname"] = "PoolCpuHigh", ["pool"] = "web" },
        ["commonAnnotations"] = new JsonObject(),
        ["externalURL"] = "http://127.0.0.1:9093",
        ["version"] = "4",
        ["groupKey"] = "{}:{pool=\"web\"}",
        ["truncatedAlerts"] = 0,
    };

    private JsonObject Alert(string name, string status, string? pool, JsonObject? extraLabels = null)
    {
        var labels = new JsonObject { ["alertname"] = name };
        if (pool is not null)
        {
            labels["pool"] = pool;
        }

        foreach (var (k, v) in extraLabels ?? [])
        {
            labels[k] = v?.DeepClone();
        }

        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(_random.Next(1_000_000));
        return new JsonObject
        {
            ["status"] = status,
            ["labels"] = labels,
            ["annotations"] = new JsonObject { ["summary"] = "CPU of pool above 80 %" },
            ["startsAt"] = start.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["endsAt"] = status == "resolved" ? start.AddMinutes(5).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z",
            ["generatorURL"] = "http://127.0.0.1:9090/graph",
            ["fingerprint"] = "fz" + (_fingerprints++).ToString("x8", CultureInfo.InvariantCulture),
        };
    }

    private FuzzCase Case(string kind, byte[] body, int status, params string[] expect) =>
        new(_index++, kind, body, JsonType, false, status, expect);

    private FuzzCase Case(string kind, JsonNode body, int status, params string[] expect) =>
        Case(kind, Encoding.UTF8.GetBytes(Text(body)), status, expect);

    /// <summary>Non-ASCII as raw UTF-8 (not escaped), as most senders write it.</summary>
    private static string Text(JsonNode node, bool indented = false) =>
        node.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = indented });

    // ---- refused: 400 ----

    private FuzzCase MalformedJson()
    {
        var text = Text(Scaling(_random.Next(1, 3)));
        for (var attempt = 0; ; attempt++)
        {
            var broken = _random.Next(10) switch
            {
                0 => text[.._random.Next(1, text.Length - 1)],
                1 => Remove(text, "{}[],:\""),
                2 => Insert(text, "{}[],:\"".Substring(_random.Next(7), 1)),
                3 => Insert(text, ((char)_random.Next(0x21, 0x7F)).ToString()),
                4 => text + Pick(["}", "]", ",", "x", "{}", "\"", "null"]),
                5 => text.Replace("\"version\"", Pick(["version", "'version'", "/*c*/\"version\""]), StringComparison.Ordinal),
                6 => text.Replace("}", ",}", StringComparison.Ordinal),
                7 => text.Replace("\"4\"", Pick(["NaN", "Infinity", "undefined", "'4'", "04", "+4", ".4"]), StringComparison.Ordinal),
                8 => Insert(text, ((char)_random.Next(0, 0x20)).ToString(), insideString: true),
                _ => new string(Enumerable.Range(0, _random.Next(1, 200)).Select(_ => (char)_random.Next(0x20, 0x7F)).ToArray()),
            };
            if (IsValidJson(broken))
            {
                continue;
            }

            return Case("malformed_json", Encoding.UTF8.GetBytes(broken), 400, "not valid JSON");
        }
    }

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

    private FuzzCase HugeString()
    {
        // Under the body limit, in a checked field: refused, and the answer quotes at most a short piece of it.
        var n = Scaling();
        var huge = new string(Pick(['a', 'é', '字', 'x']), _random.Next(_maxBody / 8, _maxBody / 4));
        switch (_random.Next(4))
        {
            case 0:
                n["version"] = huge;
                return Case("huge_string", n, 400, "version must be \"4\"");
            case 1:
                n["status"] = huge;
                return Case("huge_string", n, 400, "status must be \"firing\" or \"resolved\"");
            case 2:
                n["alerts"]![0]!["startsAt"] = huge;
                return Case("huge_string", n, 400, "alerts[0].startsAt must be an RFC 3339 time");
            default:
                n["alerts"]![0]!["labels"]![huge] = 1;
                return Case("huge_string", n, 400, "must be a string (got a number)");
        }
    }

    private FuzzCase DeepNesting()
    {
        var depth = _random.Next(3) == 0 ? _random.Next(17, 40) : _random.Next(40, 5000);
        var open = Pick(["[", "{\"a\":"]);
        var close = open == "[" ? "]" : "}";
        var nested = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));
        var text = _random.Next(3) switch
        {
            0 => nested,
            1 => Text(Scaling()).Replace("\"truncatedAlerts\":0", "\"truncatedAlerts\":" + nested, StringComparison.Ordinal),
            _ => Text(Scaling()).Replace("\"summary\":\"CPU of pool above 80 %\"", "\"summary\":" + nested, StringComparison.Ordinal),
        };
        if (text.Length > _maxBody)
        {
            text = nested[..Math.Min(nested.Length, _maxBody - 1)];
        }

        return Case("deep_nesting", Encoding.UTF8.GetBytes(text), 400, "depth");
    }

    private FuzzCase Oversized()
    {
        var n = Scaling();
        n["alerts"]![0]!["annotations"]!["description"] = new string('x', _random.Next(_maxBody + 1, _maxBody * 3));
        var body = Encoding.UTF8.GetBytes(Text(n));
        var chunked = _random.Next(2) == 0;
        return new FuzzCase(_index++, "oversized", body, JsonType, chunked, 413, [$"at most {_maxBody} bytes"]);
    }

    private FuzzCase InvalidUtf8Body()
    {
        var text = Text(Scaling());
        var bad = Pick(InvalidUtf8);
        var anchor = Pick(["CPU of pool", "PoolCpuHigh", "autoscaler", "summary", "\"version\"", "receiver"]);
        var at = text.IndexOf(anchor, StringComparison.Ordinal) + _random.Next(1, anchor.Length - 1);
        var bytes = Encoding.UTF8.GetBytes(text[..at]).Concat(bad).Concat(Encoding.UTF8.GetBytes(text[at..])).ToArray();
        return Case("invalid_utf8", bytes, 400, "not valid UTF-8");
    }

    private FuzzCase BadUnicodeEscape()
    {
        var n = Text(Scaling());
        var escape = Pick(["\\ud800", "\\udfff", "\\ud83d", "\\udc00x", "\\ud800\\ud800"]);
        var text = _random.Next(2) == 0
            ? n.Replace("CPU of pool", "CPU " + escape, StringComparison.Ordinal)
            : n.Replace("\"summary\"", "\"sum" + escape + "\"", StringComparison.Ordinal);
        return Case("bad_unicode_escape", Encoding.UTF8.GetBytes(text), 400, "not valid Unicode");
    }

    private FuzzCase Empty() => _random.Next(3) switch
    {
        0 => Case("empty", [], 400, "the body is empty"),
        1 => Case("empty", Encoding.UTF8.GetBytes(Pick([" ", "\n", "\r\n\t "])), 400, "not valid JSON"),
        _ => new FuzzCase(_index++, "empty", [], null, false, 400, ["the body is empty"]),
    };

    private FuzzCase WrongContentType()
    {
        // A body that would scale: only the header is wrong.
        var body = Encoding.UTF8.GetBytes(Text(Scaling()));
        return new FuzzCase(_index++, "wrong_content_type", body, Pick(WrongMediaTypes), false, 400, ["Content-Type must be application/json"]);
    }

    private FuzzCase NotAnObject()
    {
        var text = Pick(["[]", "[" + Text(Scaling()) + "]", "null", "true", "4", "\"4\"", "-0.5e10", "\"{\\\"version\\\":\\\"4\\\"}\""]);
        return Case("not_an_object", Encoding.UTF8.GetBytes(text), 400, "the body must be a JSON object");
    }

    private FuzzCase TooManyAlerts()
    {
        // The count is checked before the alerts themselves, so small entries keep the body under the size limit.
        var alerts = new JsonArray();
        var count = _random.Next(1001, 1200);
        for (var i = 0; i < count; i++)
        {
            alerts.Add(_random.Next(2) == 0 ? new JsonObject() : JsonValue.Create(i));
        }

        return Case("too_many_alerts", Notification("firing", alerts), 400, $"alerts has {count} entries; at most 1000 are accepted");
    }

    private FuzzCase LongFingerprint()
    {
        var n = Scaling();
        n["alerts"]![0]!["fingerprint"] = new string('f', _random.Next(129, 4000));
        return Case("bad_fingerprint", n, 400, "alerts[0].fingerprint is longer than 128 characters");
    }

    // ---- accepted: 200 and no action ----

    private FuzzCase OddButValid()
    {
        var alerts = new JsonArray();
        var count = _random.Next(20) == 0 ? _random.Next(20, 60) : _random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            alerts.Add(_random.Next(6) switch
            {
                // Another pool's alert, an alert nobody scales on, a resolve of something never seen, a scale-down at min.
                0 => Alert("PoolCpuHigh", "firing", Pick(["api", "other", "WEB", "web ", ""])),
                1 => Alert(Pick(["DiskFull", "Watchdog", "poolcpuhigh", "PoolCpuHigh2", "ü字😀", ""]), "firing", _random.Next(2) == 0 ? null : "web"),
                2 => Alert("PoolCpuHigh", "resolved", "web"),
                3 => Alert("PoolCpuLow", "firing", "web"),
                4 => Alert("InstanceDown", "firing", "web", new JsonObject { ["instance"] = "127.10.0.5:9100", ["🔥"] = "\u202Eltr", ["empty"] = "" }),
                _ => Alert("PoolCpuHigh", "resolved", null),
            });
        }

        var n = Notification(alerts.All(a => a!["status"]!.GetValue<string>() == "resolved") ? "resolved" : "firing", alerts);
        var alert = alerts[0]!.AsObject();
        string? contentType = JsonType;
        switch (_random.Next(16))
        {
            case 0:
                n["unknownField"] = WrongValue(stringIsWrong: false, nullIsWrong: false);
                n["groupLabels"] = JsonValue.Create(42);
                n["commonLabels"] = new JsonArray();
                break;
            case 1:
                alert["annotations"] = null;
                alert["endsAt"] = null;
                alert.Remove("generatorURL");
                n["receiver"] = null;
                n["groupKey"] = null;
                break;
            case 2:
                alert.Remove("fingerprint");
                break;
            case 3:
                alert["fingerprint"] = "";
                break;
            case 4:
                alert["startsAt"] = Pick(["2026-01-01T00:00:00.123456789Z", "2026-01-01T05:30:00+05:30", "2026-01-01t00:00:00z", "2026-01-01 00:00:00Z", "1970-01-01T00:00:00Z"]);
                break;
            case 5:
                alert["endsAt"] = Pick(["2025-01-01T00:00:00Z", "9000-01-01T00:00:00Z", "0001-01-01T00:00:00Z"]);
                break;
            case 6:
                for (var l = 0; l < 200; l++)
                {
                    alert["labels"]!["l" + l.ToString(CultureInfo.InvariantCulture)] = "v" + l.ToString(CultureInfo.InvariantCulture);
                }

                break;
            case 7:
                alert["annotations"]!["description"] = new string('d', _random.Next(100, _maxBody / 4));
                break;
            case 8:
                contentType = _random.Next(3) == 0 ? null : Pick(JsonMediaTypes);
                break;
            case 9:
                n["truncatedAlerts"] = JsonNode.Parse(string.Concat(Enumerable.Repeat("[", 13)) + "1e308" + string.Concat(Enumerable.Repeat("]", 13)));
                break;
            case 10:
                n["version"] = "4";
                n["extra"] = new JsonObject { ["nested"] = new JsonObject { ["deeper"] = new JsonArray(null, true, 1.5, "s") } };
                break;
            default:
                break;
        }

        var text = Text(n, indented: _random.Next(4) == 0);
        byte[] body = _random.Next(12) switch
        {
            0 => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)],
            1 => Encoding.UTF8.GetBytes(" \n\t" + text + "\r\n "),
            // Duplicate keys: the last one is used, as in most JSON readers.
            2 => Encoding.UTF8.GetBytes(text.Insert(1, "\"version\":\"3\",")),
            _ => Encoding.UTF8.GetBytes(text),
        };
        return body.Length > _maxBody
            ? new FuzzCase(_index++, "odd_valid", Encoding.UTF8.GetBytes(Text(Notification("resolved", new JsonArray(Alert("PoolCpuHigh", "resolved", "web"))))), JsonType, false, 200, [])
            : new FuzzCase(_index++, "odd_valid", body, contentType, _random.Next(10) == 0, 200, []);
    }

    // ---- helpers ----

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private string Remove(string text, string chars)
    {
        var positions = Enumerable.Range(0, text.Length).Where(i => chars.Contains(text[i], StringComparison.Ordinal)).ToArray();
        var at = positions[_random.Next(positions.Length)];
        return text.Remove(at, 1);
    }

    private string Insert(string text, string what, bool insideString = false)
    {
        if (insideString)
        {
            var at = text.IndexOf("CPU of pool", StringComparison.Ordinal) + 3;
            return text.Insert(at, what);
        }

        return text.Insert(_random.Next(text.Length + 1), what);
    }

    private static bool IsValidJson(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

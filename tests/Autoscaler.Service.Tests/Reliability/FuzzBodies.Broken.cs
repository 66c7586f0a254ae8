using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Autoscaler.Service.Tests.Reliability;

// Refused (400; 413 past the size limit), broken below the shape: malformed JSON, bad encodings, sizes and depths past
// the limits, another content type, a body that is not an object, too many alerts, a fingerprint too long.
public sealed partial class FuzzBodies
{
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
        // No Content-Type at all: refused like any other non-JSON type (a cross-site beacon can omit it).
        _ => new FuzzCase(_index++, "wrong_content_type", [], null, false, 400, ["Content-Type must be application/json (got none)"]),
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
}

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
public sealed partial class FuzzBodies
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

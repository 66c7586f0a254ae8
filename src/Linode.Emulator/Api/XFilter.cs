using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Api;

/// <summary>
/// The X-Filter language (SUBSET.md §3), evaluated over the JSON objects a collection returns, so every collection
/// filters the same way on exactly what the client sees:
/// <code>
///   {"k": v, "k2": v2}             equality, AND of keys; dotted keys reach nested fields ("entity.id")
///   {"+and": [f, ...]}, {"+or": [f, ...]}   nestable
///   {"k": {"+gt"|"+gte"|"+lt"|"+lte": n|"timestamp", "+contains": "s", "+neq": v, "+eq": v}}
///   {"+order_by": "k", "+order": "asc"|"desc"}   top level only; +order needs +order_by
/// </code>
/// A key that names a list field (tags, ipv4) matches when any element matches: <c>{"tags":"prod"}</c> is membership
/// and <c>+neq</c> is non-membership. <c>+contains</c> ignores case (chosen: the spec does not say). Only the fields a
/// collection declares filterable may be used; anything else is <c>Cannot filter on &lt;key&gt;</c> [obs].
/// </summary>
internal sealed class XFilter
{
    private const string Field = "X-Filter";

    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd",
    ];

    private readonly Func<JsonObject, bool> _predicate;

    private XFilter(Func<JsonObject, bool> predicate, string? orderBy, bool descending)
    {
        _predicate = predicate;
        OrderBy = orderBy;
        Descending = descending;
    }

    public static XFilter None { get; } = new(_ => true, null, false);

    public string? OrderBy { get; }

    public bool Descending { get; }

    public bool Matches(JsonObject item) => _predicate(item);

    /// <summary>Parses and checks the header; problems are recorded against the field <c>X-Filter</c>.</summary>
    public static XFilter Parse(string? header, IReadOnlySet<string> filterable, Problems problems)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return None;
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(header);
        }
        catch (JsonException)
        {
            problems.Add(Field, "Invalid JSON");
            return None;
        }
        if (root is not JsonObject obj)
        {
            problems.Add(Field, "The filter must be a JSON object");
            return None;
        }

        var before = problems.Count;
        var predicate = CompileObject(obj, topLevel: true, filterable, problems);

        string? orderBy = null;
        var descending = false;
        if (obj.TryGetPropertyValue("+order_by", out var orderByNode))
        {
            if (orderByNode is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                orderBy = v.GetValue<string>();
                if (!filterable.Contains(orderBy))
                {
                    problems.Add(Field, $"Cannot order by {orderBy}");
                }
            }
            else
            {
                problems.Add(Field, "+order_by must be the name of a field");
            }
        }
        if (obj.TryGetPropertyValue("+order", out var orderNode))
        {
            var order = orderNode is JsonValue o && o.GetValueKind() == JsonValueKind.String ? o.GetValue<string>() : null;
            if (order is not ("asc" or "desc"))
            {
                problems.Add(Field, "+order must be asc or desc");
            }
            else if (!obj.ContainsKey("+order_by"))
            {
                problems.Add(Field, "+order requires +order_by");
            }
            descending = order == "desc";
        }
        return problems.Count > before ? None : new XFilter(predicate, orderBy, descending);
    }

    /// <summary>Applies the filter and the requested order (stable over the collection's default order).</summary>
    public IEnumerable<JsonObject> Apply(IEnumerable<JsonObject> items)
    {
        if (ReferenceEquals(this, None))
        {
            return items;
        }
        // Compare what the client would read: values built from CLR objects are re-read as parsed JSON, so numbers
        // and strings behave the same whichever way the object was made.
        var matched = items.Select(Normalize).Where(_predicate);
        if (OrderBy is null)
        {
            return matched;
        }
        var comparer = Comparer<JsonNode?>.Create(CompareForOrder);
        var key = OrderBy;
        return Descending
            ? matched.OrderByDescending(i => Resolve(i, key).FirstOrDefault(), comparer)
            : matched.OrderBy(i => Resolve(i, key).FirstOrDefault(), comparer);
    }

    private static JsonObject Normalize(JsonObject item) => JsonNode.Parse(item.ToJsonString())!.AsObject();

    private static Func<JsonObject, bool> CompileObject(JsonObject filter, bool topLevel, IReadOnlySet<string> filterable, Problems problems)
    {
        var parts = new List<Func<JsonObject, bool>>();
        foreach (var (key, value) in filter)
        {
            switch (key)
            {
                case "+and":
                case "+or":
                    if (value is not JsonArray array)
                    {
                        problems.Add(Field, $"{key} must be a list of filters");
                        continue;
                    }
                    var children = new List<Func<JsonObject, bool>>();
                    foreach (var child in array)
                    {
                        if (child is JsonObject childObject)
                        {
                            children.Add(CompileObject(childObject, topLevel: false, filterable, problems));
                        }
                        else
                        {
                            problems.Add(Field, $"{key} must be a list of filters");
                        }
                    }
                    if (key == "+and")
                    {
                        parts.Add(item => children.TrueForAll(c => c(item)));
                    }
                    else
                    {
                        // An empty +or constrains nothing.
                        parts.Add(item => children.Count == 0 || children.Exists(c => c(item)));
                    }
                    break;
                case "+order_by":
                case "+order":
                    if (!topLevel)
                    {
                        problems.Add(Field, $"{key} is only allowed at the top level of the filter");
                    }
                    break;
                default:
                    if (!filterable.Contains(key))
                    {
                        problems.Add(Field, $"Cannot filter on {key}");
                        continue;
                    }
                    parts.Add(CompileField(key, value, problems));
                    break;
            }
        }
        return item => parts.TrueForAll(p => p(item));
    }

    private static Func<JsonObject, bool> CompileField(string key, JsonNode? value, Problems problems)
    {
        if (value is JsonArray)
        {
            problems.Add(Field, $"Cannot filter on {key} with a list; use +or");
            return _ => false;
        }
        if (value is not JsonObject ops)
        {
            var expected = value?.DeepClone();
            return item => Resolve(item, key).Any(v => ValuesEqual(v, expected));
        }

        var checks = new List<Func<JsonObject, bool>>();
        foreach (var (op, operand) in ops)
        {
            var expected = operand?.DeepClone();
            switch (op)
            {
                case "+eq":
                    checks.Add(item => Resolve(item, key).Any(v => ValuesEqual(v, expected)));
                    break;
                case "+neq":
                    checks.Add(item => !Resolve(item, key).Any(v => ValuesEqual(v, expected)));
                    break;
                case "+contains":
                    if (expected is not JsonValue s || s.GetValueKind() != JsonValueKind.String)
                    {
                        problems.Add(Field, $"{op} on {key} needs a string");
                        continue;
                    }
                    var needle = s.GetValue<string>();
                    checks.Add(item => Resolve(item, key).Any(v =>
                        v is JsonValue hv && hv.GetValueKind() == JsonValueKind.String
                        && hv.GetValue<string>().Contains(needle, StringComparison.OrdinalIgnoreCase)));
                    break;
                case "+gt":
                case "+gte":
                case "+lt":
                case "+lte":
                    if (expected is not JsonValue bound || bound.GetValueKind() is not (JsonValueKind.Number or JsonValueKind.String))
                    {
                        problems.Add(Field, $"{op} on {key} needs a number or a timestamp");
                        continue;
                    }
                    Func<int, bool> accept = op switch
                    {
                        "+gt" => c => c > 0,
                        "+gte" => c => c >= 0,
                        "+lt" => c => c < 0,
                        _ => c => c <= 0,
                    };
                    checks.Add(item => Resolve(item, key).Any(v => CompareForRange(v, bound) is { } c && accept(c)));
                    break;
                default:
                    problems.Add(Field, $"Unknown operator {op} on {key}");
                    break;
            }
        }
        return item => checks.TrueForAll(c => c(item));
    }

    /// <summary>The value(s) a dotted key names; a list field yields its elements (membership semantics).</summary>
    private static JsonNode?[] Resolve(JsonObject item, string dottedKey)
    {
        JsonNode? current = item;
        foreach (var part in dottedKey.Split('.'))
        {
            if (current is JsonObject o && o.TryGetPropertyValue(part, out var next))
            {
                current = next;
            }
            else
            {
                return [];
            }
        }
        return current is JsonArray array ? [.. array] : [current];
    }

    private static bool ValuesEqual(JsonNode? actual, JsonNode? expected)
    {
        if (actual is null || expected is null)
        {
            return actual is null && expected is null;
        }
        if (actual is not JsonValue a || expected is not JsonValue e)
        {
            return false;
        }
        var ak = a.GetValueKind();
        var ek = e.GetValueKind();
        if (ak == JsonValueKind.Number && ek == JsonValueKind.Number)
        {
            return a.GetValue<decimal>() == e.GetValue<decimal>();
        }
        if (ak == JsonValueKind.String && ek == JsonValueKind.String)
        {
            return string.Equals(a.GetValue<string>(), e.GetValue<string>(), StringComparison.Ordinal);
        }
        if (ak is JsonValueKind.True or JsonValueKind.False && ek is JsonValueKind.True or JsonValueKind.False)
        {
            return ak == ek;
        }
        // Clients sometimes send ids as strings ({"entity.id":"123"}) or the other way round.
        if (ak == JsonValueKind.Number && ek == JsonValueKind.String
            && decimal.TryParse(e.GetValue<string>(), NumberStyles.Number, CultureInfo.InvariantCulture, out var en))
        {
            return a.GetValue<decimal>() == en;
        }
        if (ak == JsonValueKind.String && ek == JsonValueKind.Number
            && decimal.TryParse(a.GetValue<string>(), NumberStyles.Number, CultureInfo.InvariantCulture, out var an))
        {
            return an == e.GetValue<decimal>();
        }
        return false;
    }

    /// <summary>Sign of actual − bound, or null when they cannot be compared (the item then does not match).</summary>
    private static int? CompareForRange(JsonNode? actual, JsonValue bound)
    {
        if (actual is not JsonValue a)
        {
            return null;
        }
        var ak = a.GetValueKind();
        var bk = bound.GetValueKind();
        if (ak == JsonValueKind.Number && bk == JsonValueKind.Number)
        {
            return a.GetValue<decimal>().CompareTo(bound.GetValue<decimal>());
        }
        if (ak == JsonValueKind.String && bk == JsonValueKind.String)
        {
            var left = a.GetValue<string>();
            var right = bound.GetValue<string>();
            if (TryTimestamp(left, out var lt) && TryTimestamp(right, out var rt))
            {
                return lt.CompareTo(rt);
            }
            return string.CompareOrdinal(left, right);
        }
        if (ak == JsonValueKind.Number && bk == JsonValueKind.String
            && decimal.TryParse(bound.GetValue<string>(), NumberStyles.Number, CultureInfo.InvariantCulture, out var bn))
        {
            return a.GetValue<decimal>().CompareTo(bn);
        }
        return null;
    }

    private static bool TryTimestamp(string text, out DateTime value) =>
        DateTime.TryParseExact(text, TimestampFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out value);

    private static int CompareForOrder(JsonNode? x, JsonNode? y)
    {
        var rx = Rank(x);
        var ry = Rank(y);
        if (rx != ry)
        {
            return rx.CompareTo(ry);
        }
        return (x, y) switch
        {
            (JsonValue a, JsonValue b) when rx == 1 => a.GetValue<bool>().CompareTo(b.GetValue<bool>()),
            (JsonValue a, JsonValue b) when rx == 2 => a.GetValue<decimal>().CompareTo(b.GetValue<decimal>()),
            (JsonValue a, JsonValue b) when rx == 3 => string.CompareOrdinal(a.GetValue<string>(), b.GetValue<string>()),
            _ => 0,
        };
    }

    private static int Rank(JsonNode? node) => node switch
    {
        null => 0,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.True or JsonValueKind.False => 1,
            JsonValueKind.Number => 2,
            JsonValueKind.String => 3,
            _ => 4,
        },
        _ => 4,
    };
}

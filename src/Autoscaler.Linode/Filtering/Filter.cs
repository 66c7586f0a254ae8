using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autoscaler.Linode.Json;

namespace Autoscaler.Linode;

/// <summary>An X-Filter for collection GETs, built from typed pieces and sent as JSON in the <c>X-Filter</c> header.</summary>
/// <example><code>
/// var filter = (Filter.Eq("region", "us-east") &amp; Filter.Tag("pool:web")).OrderBy("created", SortOrder.Descending);
/// // {"region":"us-east","tags":"pool:web","+order_by":"created","+order":"desc"}
/// </code></example>
/// <remarks>Only fields the API marks filterable may be used; others give a 400 naming <c>X-Filter</c>.
/// Conditions on distinct fields are merged into one object (the API ANDs its keys); anything else combined
/// with <c>&amp;</c> becomes <c>+and</c>.</remarks>
public sealed class Filter
{
    private static readonly JsonSerializerOptions HeaderJsonOptions = new(LinodeJson.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    private readonly Condition? _condition;

    private Filter(Condition? condition, string? orderBy, SortOrder order)
    {
        _condition = condition;
        OrderByField = orderBy;
        Order = order;
    }

    /// <summary>No condition: every item (useful as the start of <see cref="OrderBy"/>).</summary>
    public static Filter All { get; } = new(null, null, SortOrder.Ascending);

    /// <summary>The field named by <c>+order_by</c>, if any.</summary>
    public string? OrderByField { get; }

    /// <summary>The <c>+order</c> direction (only sent with <see cref="OrderByField"/>).</summary>
    public SortOrder Order { get; }

    /// <summary><c>{"field": value}</c>.</summary>
    public static Filter Eq(string field, object value) => Field(field, ToNode(value));

    /// <summary><c>{"tags": tag}</c>: the object's tag list contains <paramref name="tag"/>.</summary>
    public static Filter Tag(string tag) => Eq("tags", tag);

    /// <summary><c>{"field": {"+neq": value}}</c>.</summary>
    public static Filter Neq(string field, object value) => Operator(field, "+neq", value);

    /// <summary><c>{"field": {"+gt": value}}</c> (numbers and timestamps).</summary>
    public static Filter Gt(string field, object value) => Operator(field, "+gt", value);

    /// <summary><c>{"field": {"+gte": value}}</c> (numbers and timestamps).</summary>
    public static Filter Gte(string field, object value) => Operator(field, "+gte", value);

    /// <summary><c>{"field": {"+lt": value}}</c> (numbers and timestamps).</summary>
    public static Filter Lt(string field, object value) => Operator(field, "+lt", value);

    /// <summary><c>{"field": {"+lte": value}}</c> (numbers and timestamps).</summary>
    public static Filter Lte(string field, object value) => Operator(field, "+lte", value);

    /// <summary><c>{"field": {"+contains": text}}</c> (substring).</summary>
    public static Filter Contains(string field, string text) => Operator(field, "+contains", text);

    /// <summary>All of the filters (<c>+and</c>, or one merged object when the fields are distinct).</summary>
    public static Filter And(params IEnumerable<Filter> filters) => Combine(filters, isAnd: true);

    /// <summary>Any of the filters (<c>+or</c>).</summary>
    public static Filter Or(params IEnumerable<Filter> filters) => Combine(filters, isAnd: false);

    public static Filter operator &(Filter left, Filter right) => And(left, right);

    public static Filter operator |(Filter left, Filter right) => Or(left, right);

    /// <summary>Same as <c>&amp;</c>.</summary>
    public Filter BitwiseAnd(Filter other) => And(this, other);

    /// <summary>Same as <c>|</c>.</summary>
    public Filter BitwiseOr(Filter other) => Or(this, other);

    /// <summary>This filter, sorted by <paramref name="field"/> (<c>+order_by</c>, <c>+order</c>).</summary>
    public Filter OrderBy(string field, SortOrder order = SortOrder.Ascending)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        return new Filter(_condition, field, order);
    }

    /// <summary>The header value: compact JSON, operators written as-is (<c>+gte</c>, not <c>\u002Bgte</c>), and
    /// anything outside ASCII escaped, because header values must be ASCII.</summary>
    public string ToJson()
    {
        var json = ToJsonObject().ToJsonString(HeaderJsonOptions);
        if (json.All(char.IsAscii))
        {
            return json;
        }

        // Non-ASCII can only occur inside JSON strings, where a \uXXXX escape means the same character.
        var builder = new StringBuilder(json.Length + 16);
        foreach (var c in json)
        {
            if (char.IsAscii(c))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>The filter as a JSON object (a fresh copy each call).</summary>
    public JsonObject ToJsonObject()
    {
        var json = _condition?.ToJson() ?? [];
        if (OrderByField is not null)
        {
            json["+order_by"] = OrderByField;
            json["+order"] = Order == SortOrder.Descending ? "desc" : "asc";
        }

        return json;
    }

    public override string ToString() => ToJson();

    private static Filter Field(string field, JsonNode? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        if (field.StartsWith('+'))
        {
            throw new ArgumentException($"'{field}' is an operator, not a field.", nameof(field));
        }

        return new Filter(new FieldCondition(field, value), null, SortOrder.Ascending);
    }

    private static Filter Operator(string field, string op, object value) =>
        Field(field, new JsonObject { [op] = ToNode(value) });

    private static Filter Combine(IEnumerable<Filter> filters, bool isAnd)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var parts = new List<Condition>();
        string? orderBy = null;
        var order = SortOrder.Ascending;
        foreach (var filter in filters)
        {
            ArgumentNullException.ThrowIfNull(filter);
            if (filter.OrderByField is not null)
            {
                if (orderBy is not null && (orderBy != filter.OrderByField || order != filter.Order))
                {
                    throw new InvalidOperationException(
                        $"Cannot combine filters ordered by '{orderBy}' and '{filter.OrderByField}'.");
                }

                orderBy = filter.OrderByField;
                order = filter.Order;
            }

            if (filter._condition is not null)
            {
                parts.Add(filter._condition);
            }
        }

        Condition? combined = parts.Count switch
        {
            0 => null,
            1 => parts[0],
            _ => isAnd ? AndCondition.Of(parts) : OrCondition.Of(parts),
        };
        return new Filter(combined, orderBy, order);
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        DateTimeOffset moment => JsonValue.Create(LinodeTimestamp.ToString(moment)),
        DateTime moment => JsonValue.Create(LinodeTimestamp.ToString(
            moment.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(moment, TimeSpan.Zero) : new DateTimeOffset(moment))),
        Enum member => JsonValue.Create(LinodeEnums.ToApiString(member.GetType(), member)),
        _ => JsonSerializer.SerializeToNode(value, LinodeJson.Options.GetTypeInfo(value.GetType())),
    };

    private abstract class Condition
    {
        public abstract JsonObject ToJson();
    }

    private sealed class FieldCondition(string field, JsonNode? value) : Condition
    {
        public string FieldName { get; } = field;

        public override JsonObject ToJson() => new() { [FieldName] = value?.DeepClone() };
    }

    private sealed class AndCondition(IReadOnlyList<Condition> parts) : Condition
    {
        public IReadOnlyList<Condition> Parts { get; } = parts;

        public static AndCondition Of(IEnumerable<Condition> parts) =>
            new(parts.SelectMany(p => p is AndCondition and ? and.Parts : [p]).ToList());

        public override JsonObject ToJson()
        {
            // Distinct plain fields merge into one object: that is how the API's own examples and linodego write
            // an AND, and it keeps headers short. Anything else needs the explicit operator.
            var fields = Parts.OfType<FieldCondition>().ToList();
            if (fields.Count == Parts.Count &&
                fields.Select(f => f.FieldName).Distinct(StringComparer.Ordinal).Count() == fields.Count)
            {
                var merged = new JsonObject();
                foreach (var field in fields)
                {
                    foreach (var (key, value) in field.ToJson())
                    {
                        merged[key] = value?.DeepClone();
                    }
                }

                return merged;
            }

            return new JsonObject { ["+and"] = new JsonArray([.. Parts.Select(p => (JsonNode)p.ToJson())]) };
        }
    }

    private sealed class OrCondition(IReadOnlyList<Condition> parts) : Condition
    {
        public IReadOnlyList<Condition> Parts { get; } = parts;

        public static OrCondition Of(IEnumerable<Condition> parts) =>
            new(parts.SelectMany(p => p is OrCondition or ? or.Parts : [p]).ToList());

        public override JsonObject ToJson() =>
            new() { ["+or"] = new JsonArray([.. Parts.Select(p => (JsonNode)p.ToJson())]) };
    }
}

/// <summary>Order for <c>+order</c> in an X-Filter.</summary>
public enum SortOrder
{
    Ascending,
    Descending,
}

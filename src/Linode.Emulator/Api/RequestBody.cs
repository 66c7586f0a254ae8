using System.Text.Json;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Api;

/// <summary>Typed reads of a JSON request body that record a problem (naming the field's full path) instead of
/// throwing, so one response can list every bad field. A field sent as <c>null</c> counts as not sent.</summary>
internal sealed class RequestBody
{
    private readonly JsonObject _json;
    private readonly string _prefix;

    public RequestBody(JsonObject json, Problems problems, string prefix = "")
    {
        _json = json;
        Problems = problems;
        _prefix = prefix;
    }

    public Problems Problems { get; }

    public string PathOf(string name) => _prefix + name;

    public bool Has(string name) => _json.TryGetPropertyValue(name, out var v) && v is not null;

    public void Add(string name, string reason) => Problems.Add(PathOf(name), reason);

    public string? String(string name, bool required = false)
    {
        if (!_json.TryGetPropertyValue(name, out var node) || node is null)
        {
            if (required)
            {
                Add(name, $"{name} is required");
            }
            return null;
        }
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }
        Add(name, "Must be a string");
        return null;
    }

    public long? Long(string name, bool required = false)
    {
        if (!_json.TryGetPropertyValue(name, out var node) || node is null)
        {
            if (required)
            {
                Add(name, $"{name} is required");
            }
            return null;
        }
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n))
        {
            return n;
        }
        if (node is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.TryGetValue<double>(out var f)
            && Math.Abs(f % 1) < double.Epsilon && f is >= long.MinValue and <= long.MaxValue)
        {
            return (long)f;
        }
        Add(name, "Must be an integer");
        return null;
    }

    public int? Int(string name, bool required = false)
    {
        var value = Long(name, required);
        if (value is null)
        {
            return null;
        }
        if (value is < int.MinValue or > int.MaxValue)
        {
            Add(name, "Must be an integer");
            return null;
        }
        return (int)value.Value;
    }

    public bool? Bool(string name)
    {
        if (!_json.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValue<bool>();
        }
        Add(name, "Must be a boolean");
        return null;
    }

    public List<string>? Strings(string name)
    {
        if (!_json.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        if (node is not JsonArray array)
        {
            Add(name, "Must be a list");
            return null;
        }
        var values = new List<string>();
        var ok = true;
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                values.Add(v.GetValue<string>());
            }
            else
            {
                Problems.Add($"{PathOf(name)}[{i}]", "Must be a string");
                ok = false;
            }
        }
        return ok ? values : null;
    }

    public List<long>? Longs(string name)
    {
        if (!_json.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        if (node is not JsonArray array)
        {
            Add(name, "Must be a list");
            return null;
        }
        var values = new List<long>();
        var ok = true;
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n))
            {
                values.Add(n);
            }
            else
            {
                Problems.Add($"{PathOf(name)}[{i}]", "Must be an integer");
                ok = false;
            }
        }
        return ok ? values : null;
    }

    public RequestBody? Object(string name)
    {
        if (!_json.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        if (node is JsonObject o)
        {
            return new RequestBody(o, Problems, PathOf(name) + ".");
        }
        Add(name, "Must be an object");
        return null;
    }

    /// <summary>The array's objects as bodies whose paths read <c>name[i].field</c> (the real API's style).</summary>
    public List<RequestBody>? Objects(string name, bool required = false)
    {
        if (!_json.TryGetPropertyValue(name, out var node) || node is null)
        {
            if (required)
            {
                Add(name, $"{name} is required");
            }
            return null;
        }
        if (node is not JsonArray array)
        {
            Add(name, "Must be a list");
            return null;
        }
        var items = new List<RequestBody>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject o)
            {
                items.Add(new RequestBody(o, Problems, $"{PathOf(name)}[{i}]."));
            }
            else
            {
                Problems.Add($"{PathOf(name)}[{i}]", "Must be an object");
            }
        }
        return items;
    }

    /// <summary>A map of string values (StackScript UDFs); non-string scalars are turned into their JSON text.</summary>
    public Dictionary<string, string>? StringMap(string name)
    {
        if (!_json.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        if (node is not JsonObject o)
        {
            Add(name, "Must be an object");
            return null;
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in o)
        {
            map[key] = value switch
            {
                null => "",
                JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>(),
                _ => value.ToJsonString(),
            };
        }
        return map;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Linode.Emulator.Tests.Contract;

/// <summary>
/// The response schemas of the operations we emulate, taken from the official Linode OpenAPI spec
/// (spec/linode-openapi-subset.json, extracted by tools/extract-openapi-subset.py) and made stricter than the spec so
/// that a missing or mistyped field fails: OpenAPI response schemas rarely list <c>required</c>, so every property the
/// spec documents (except writeOnly ones, which must never come back) is required here.
/// </summary>
internal sealed partial class OpenApiContract
{
    private static readonly Lazy<OpenApiContract> Shared = new(() => Load(FindSpec()));

    private readonly Dictionary<string, Operation> _operations;

    private OpenApiContract(string specVersion, Dictionary<string, Operation> operations)
    {
        SpecVersion = specVersion;
        _operations = operations;
    }

    public static OpenApiContract Instance => Shared.Value;

    public string SpecVersion { get; }

    public IEnumerable<string> OperationKeys => _operations.Keys.Order(StringComparer.Ordinal);

    /// <summary>Finds the operation ("GET /linode/instances/{linodeId}") that a concrete request matches.</summary>
    public string? Match(string method, string path)
    {
        // Path relative to /v4 or /v4beta; image ids contain a slash (linode/debian12), and may come %2F-escaped.
        var relative = VersionPrefix().Replace(path.Split('?')[0], "");
        var segments = relative.Trim('/').Split('/');
        foreach (var (key, op) in _operations)
        {
            if (!key.StartsWith(method + " ", StringComparison.Ordinal))
            {
                continue;
            }
            if (op.Matches(segments))
            {
                return key;
            }
        }
        return null;
    }

    /// <summary>Validates a response body; returns every violation (empty when valid).</summary>
    public IReadOnlyList<string> Validate(string operationKey, int status, string body)
    {
        var op = _operations[operationKey];
        var schema = status is >= 200 and < 300 ? op.Success : op.Error;
        if (schema is null)
        {
            return [$"{operationKey}: the spec has no schema for status {status}"];
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return [$"{operationKey} {status}: body is not JSON ({e.Message})"];
        }

        var errors = new List<string>();
        var result = schema.Evaluate(node, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            foreach (var detail in result.Details)
            {
                if (detail.Errors is null)
                {
                    continue;
                }
                foreach (var (keyword, message) in detail.Errors)
                {
                    errors.Add($"{operationKey} {status}: {detail.InstanceLocation} ({keyword}) {message}");
                }
            }
            if (errors.Count == 0)
            {
                errors.Add($"{operationKey} {status}: invalid");
            }
        }
        CheckTimestamps(op.TimestampPaths, node, "", operationKey, status, errors);
        return errors;
    }

    private static void CheckTimestamps(
        HashSet<string> timestampPaths, JsonNode? node, string path, string op, int status, List<string> errors)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    CheckTimestamps(timestampPaths, child, path + "/" + name, op, status, errors);
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    CheckTimestamps(timestampPaths, child, path + "/*", op, status, errors);
                }
                break;
            case JsonValue value when timestampPaths.Contains(path) && value.TryGetValue<string>(out var text):
                // The real API writes UTC without a zone and without a fraction; linodego parses exactly that layout.
                if (!LinodeTimestamp().IsMatch(text))
                {
                    errors.Add($"{op} {status}: {path} timestamp '{text}' is not yyyy-MM-ddTHH:mm:ss");
                }
                break;
        }
    }

    private static string FindSpec()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "spec", "linode-openapi-subset.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("spec/linode-openapi-subset.json not found above " + AppContext.BaseDirectory);
    }

    private static OpenApiContract Load(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var operations = new Dictionary<string, Operation>(StringComparer.Ordinal);
        foreach (var (key, value) in root["operations"]!.AsObject())
        {
            var responses = value!["responses"]!.AsObject();
            var success = responses["200"];
            var error = responses["default"];
            var timestamps = new HashSet<string>(StringComparer.Ordinal);
            if (success is not null)
            {
                CollectTimestamps(success, "", timestamps);
            }
            operations[key] = new Operation(
                key[(key.IndexOf(' ', StringComparison.Ordinal) + 1)..].Trim('/').Split('/'),
                success is null ? null : JsonSchema.FromText(SchemaConverter.ToJsonSchema(success, key).ToJsonString()),
                error is null ? null : JsonSchema.FromText(SchemaConverter.ToJsonSchema(error, key).ToJsonString()),
                timestamps);
        }
        return new OpenApiContract(root["version"]!.GetValue<string>(), operations);
    }

    private static void CollectTimestamps(JsonNode schema, string path, HashSet<string> into)
    {
        if (schema is not JsonObject obj)
        {
            return;
        }
        if (obj["format"]?.GetValue<string>() == "date-time")
        {
            into.Add(path);
        }
        if (obj["properties"] is JsonObject props)
        {
            foreach (var (name, child) in props)
            {
                CollectTimestamps(child!, path + "/" + name, into);
            }
        }
        if (obj["items"] is JsonNode items)
        {
            CollectTimestamps(items, path + "/*", into);
        }
        foreach (var combinator in new[] { "allOf", "oneOf", "anyOf" })
        {
            if (obj[combinator] is JsonArray parts)
            {
                foreach (var part in parts)
                {
                    CollectTimestamps(part!, path, into);
                }
            }
        }
    }

    [GeneratedRegex(@"^/?v4(beta)?")]
    private static partial Regex VersionPrefix();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")]
    private static partial Regex LinodeTimestamp();

    private sealed record Operation(string[] Template, JsonSchema? Success, JsonSchema? Error, HashSet<string> TimestampPaths)
    {
        public bool Matches(string[] segments)
        {
            // {imageId} may span two segments (linode/debian12) when the client does not escape the slash.
            var imageWide = Template.Length >= 2 && Template[0] == "images" && Template[1] == "{imageId}";
            if (segments.Length == Template.Length + 1 && imageWide)
            {
                segments = [segments[0], segments[1] + "/" + segments[2], .. segments[3..]];
            }
            if (segments.Length != Template.Length)
            {
                return false;
            }
            for (var i = 0; i < Template.Length; i++)
            {
                var t = Template[i];
                if (t.StartsWith('{'))
                {
                    continue;
                }
                if (!string.Equals(t, segments[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }
            return true;
        }
    }
}

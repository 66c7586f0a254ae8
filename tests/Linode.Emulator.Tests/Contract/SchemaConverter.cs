using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.Contract;

/// <summary>
/// Turns an OpenAPI 3.0 response schema into a strict JSON Schema (2020-12): <c>nullable</c> becomes a null type,
/// every documented property becomes required, writeOnly properties are forbidden in responses, and the real API's
/// documented quirks (SUBSET.md) are allowed where the spec disagrees with the live API.
/// </summary>
internal static class SchemaConverter
{
    // Fields the live API returns that 4.189 does not document (SUBSET.md "[obs]"): allowed, never required.
    // Each set is keyed by a property that only that object has, so an extra is allowed only on its own object.
    private static readonly (string Signature, string[] Extras)[] ObservedExtras =
    [
        ("hypervisor", ["site_type", "disk_encryption", "interface_generation", "maintenance_policy", "locks"]),
        ("client_conn_throttle", ["type", "client_udp_sess_throttle", "lke_cluster"]),
        ("check_interval", ["udp_check_port", "udp_session_timeout"]),
        ("config_id", ["vpc_config_id"]),
        ("gpus", ["accelerated_devices"]),
    ];

    // Properties the spec lists but that are optional in practice.
    private static readonly HashSet<string> Optional = new(StringComparer.Ordinal)
    {
        "field", // an error names a field only when a single field is at fault
    };

    // Fields the spec says are never null but that the live API sends as null (linodego cassettes, Prometheus
    // fixtures): null is allowed for them, the documented type otherwise.
    private static readonly HashSet<string> NullableInPractice = new(StringComparer.Ordinal)
    {
        "duration", "percent_complete", "rate", "time_remaining", "secondary_entity", // events still running
        "gateway", "rdns", "vpc_nat_1_1",                                                // private and IPv6 addresses
        "last_successful",                                                               // backups never taken
        "sda", "sdb", "sdc", "sdd", "sde", "sdf", "sdg", "sdh",                          // a config's unused devices
        "disk_id", "volume_id",                               // a device is a disk or a volume (the spec's example: null)
    };

    public static JsonNode ToJsonSchema(JsonNode openApiSchema, string operation)
    {
        var converted = Convert(openApiSchema.DeepClone());
        converted["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        converted["$id"] = "urn:linode-contract:" + Uri.EscapeDataString(operation) + ":" + Guid.NewGuid().ToString("N");
        return converted;
    }

    private static JsonObject Convert(JsonNode? node)
    {
        if (node is not JsonObject source)
        {
            return [];
        }
        // Work on a detached copy: a JsonNode can have one parent, and the result is re-attached by the caller.
        var obj = source.DeepClone().AsObject();
        MergeAllOfObjects(obj);

        foreach (var combinator in new[] { "allOf", "oneOf", "anyOf" })
        {
            if (obj[combinator] is JsonArray parts)
            {
                var convertedParts = new JsonArray();
                foreach (var part in parts)
                {
                    convertedParts.Add(Convert(part));
                }
                obj[combinator] = convertedParts;
            }
        }

        if (obj["items"] is JsonNode items)
        {
            obj["items"] = Convert(items);
        }

        if (obj["properties"] is JsonObject props)
        {
            // The spec misspells the region's site_type as "site-type"; the live API and linodego use site_type.
            if (props["site-type"] is JsonNode siteType)
            {
                props.Remove("site-type");
                props["site_type"] = siteType;
            }

            var required = new JsonArray();
            foreach (var name in props.Select(p => p.Key).ToList())
            {
                var prop = props[name]!.AsObject();
                if (prop["writeOnly"]?.GetValue<bool>() == true)
                {
                    // A writeOnly field (root_pass, ssl_key...) must never come back in a response.
                    props.Remove(name);
                    continue;
                }
                var converted = Convert(prop);
                if (NullableInPractice.Contains(name))
                {
                    converted = AllowNull(converted);
                }
                // A config without interfaces (legacy networking, the default) lists none, though the spec wants one;
                // and the spec's root_device "pattern" is prose ("a-z, A-Z, 0-9, /, _, -"), not a regular expression.
                if (name == "interfaces")
                {
                    converted.Remove("minItems");
                }
                if (name == "root_device")
                {
                    converted.Remove("pattern");
                }
                // The spec types an event's time_remaining as a string; recorded finished events say 0 (SUBSET.md §13).
                if (name == "time_remaining" && props.ContainsKey("percent_complete"))
                {
                    converted["type"] = new JsonArray("string", "integer", "null");
                }
                // For tag events the entity's id is the tag's name (SUBSET.md §9), a string.
                if (name == "entity" && converted["properties"]?["id"] is JsonObject entityId)
                {
                    entityId["type"] = new JsonArray("integer", "string");
                }
                props[name] = converted;
                if (!Optional.Contains(name))
                {
                    required.Add(name);
                }
            }

            foreach (var (signature, extras) in ObservedExtras)
            {
                if (props.ContainsKey(signature))
                {
                    foreach (var extra in extras.Where(e => !props.ContainsKey(e)))
                    {
                        props[extra] = new JsonObject();
                    }
                }
            }

            obj["required"] = required;
        }

        // A new NodeBalancer node's status is "Unknown" on the live API; the spec's enum says "unknown".
        if (obj["enum"] is JsonArray values && values.Any(v => v?.GetValue<string>() == "unknown")
            && values.Any(v => v?.GetValue<string>() == "UP"))
        {
            values.Add("Unknown");
        }

        if (obj["exclusiveMinimum"] is JsonValue exMin && exMin.TryGetValue<bool>(out var exMinFlag))
        {
            obj.Remove("exclusiveMinimum");
            if (exMinFlag && obj["minimum"] is JsonNode min)
            {
                obj.Remove("minimum");
                obj["exclusiveMinimum"] = min.DeepClone();
            }
        }
        if (obj["exclusiveMaximum"] is JsonValue exMax && exMax.TryGetValue<bool>(out var exMaxFlag))
        {
            obj.Remove("exclusiveMaximum");
            if (exMaxFlag && obj["maximum"] is JsonNode max)
            {
                obj.Remove("maximum");
                obj["exclusiveMaximum"] = max.DeepClone();
            }
        }

        if (obj["nullable"]?.GetValue<bool>() == true)
        {
            obj.Remove("nullable");
            if (obj["type"] is JsonValue type)
            {
                obj["type"] = new JsonArray(type.GetValue<string>(), "null");
                if (obj["enum"] is JsonArray nullableEnum)
                {
                    nullableEnum.Add(null);
                }
            }
            else
            {
                var inner = obj.DeepClone().AsObject();
                obj.Clear();
                obj["anyOf"] = new JsonArray(inner, new JsonObject { ["type"] = "null" });
            }
        }
        else
        {
            obj.Remove("nullable");
        }

        // The spec's own "pattern" keys use ECMA regexes JSON Schema accepts; "format" stays an annotation (the
        // timestamp layout is checked separately, and "ip" formats hold "ip:port" for nodes).
        return obj;
    }

    // The spec writes paginated lists as allOf [{page, pages, results, additionalProperties: false}, {data}]. In JSON
    // Schema each part judges the whole object, so the first part would reject "data"; the spec means one object
    // with all four fields, so object parts are merged into one.
    private static void MergeAllOfObjects(JsonObject obj)
    {
        if (obj["allOf"] is not JsonArray parts || !parts.All(p => p is JsonObject o && o["properties"] is JsonObject))
        {
            return;
        }
        var merged = new JsonObject();
        var closed = false;
        foreach (var part in parts.Cast<JsonObject>())
        {
            foreach (var (name, property) in part["properties"]!.AsObject())
            {
                merged[name] = property!.DeepClone();
            }
            closed |= part["additionalProperties"] is JsonValue v && v.TryGetValue<bool>(out var allowed) && !allowed;
        }
        obj.Remove("allOf");
        obj["type"] = "object";
        obj["properties"] = merged;
        if (closed)
        {
            obj["additionalProperties"] = false;
        }
    }

    private static JsonObject AllowNull(JsonObject schema)
    {
        if (schema["type"] is JsonValue type)
        {
            schema["type"] = new JsonArray(type.GetValue<string>(), "null");
            if (schema["enum"] is JsonArray values && !values.Any(v => v is null))
            {
                values.Add(null);
            }
            return schema;
        }
        if (schema["type"] is JsonArray)
        {
            return schema;
        }
        return new JsonObject { ["anyOf"] = new JsonArray(schema, new JsonObject { ["type"] = "null" }) };
    }
}

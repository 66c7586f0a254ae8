using System.Globalization;
using Autoscaler.Common;
using YamlDotNet.RepresentationModel;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// Reads one YAML mapping of the configuration: typed getters that record an error (naming the pool and field) instead
/// of throwing, ${ENV} expansion of every scalar, and a list of the keys it was asked for so that <see cref="Done"/> can
/// report the unknown ones. Several units read the same mapping (the root, a pool: policy, provider and service keys
/// side by side), each asking for its own keys, and whoever opened it calls <see cref="Done"/> once at the end.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name",
    Justification = "String, Int, Long name the YAML value read, as the key's type reads in a schema.")]
public sealed class MapReader
{
    private readonly Dictionary<string, (YamlNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Reads <paramref name="node"/>; <paramref name="context"/> starts every message (<c>pool 'web': </c>) and
    /// <paramref name="prefix"/> every field name (<c>scale_up.</c>).</summary>
    public MapReader(ConfigReader reader, YamlMappingNode node, string context, string prefix)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(node);
        Reader = reader;
        Node = node;
        Context = context;
        Prefix = prefix;
        foreach (var (key, value) in node.Children)
        {
            if (key is YamlScalarNode { Value: { } rawName })
            {
                var name = reader.Restore(rawName);
                if (_entries.TryAdd(name, (key, value)))
                {
                    _order.Add(name);
                }
                else
                {
                    reader.Error($"{context}duplicate key '{prefix}{name}'", key);
                }
            }
            else
            {
                reader.Error($"{context}{(prefix.Length > 0 ? prefix.TrimEnd('.') + ": " : "")}keys must be plain strings", key);
            }
        }
    }

    /// <summary>The reading this mapping belongs to (errors, ${VAR} expansion, paths).</summary>
    public ConfigReader Reader { get; }

    /// <summary>The mapping.</summary>
    public YamlMappingNode Node { get; }

    /// <summary>"pool 'web': " or "".</summary>
    public string Context { get; }

    /// <summary>"scale_up." or "".</summary>
    public string Prefix { get; }

    /// <summary>"scale_up.step" for "step".</summary>
    public string Field(string key) => Prefix + key;

    /// <summary>True when the mapping has <paramref name="key"/> (whatever its value); does not mark it used.</summary>
    public bool Has(string key) => _entries.ContainsKey(key);

    /// <summary>Records a problem at <paramref name="node"/> (null: the mapping itself).</summary>
    public void Error(string message, YamlNode? node = null) => Reader.Error(message, node ?? Node);

    /// <summary>The value node of <paramref name="key"/>, or null; marks the key used.</summary>
    public YamlNode? Raw(string key)
    {
        _used.Add(key);
        return _entries.TryGetValue(key, out var e) ? e.Value : null;
    }

    /// <summary>Reports every key nobody asked for.</summary>
    public void Done()
    {
        foreach (var key in _order)
        {
            if (!_used.Contains(key))
            {
                Reader.Error($"{Context}unknown key '{Prefix}{key}'{Suggest(key)}", _entries[key].Key);
            }
        }
    }

    /// <summary>" (did you mean min?)" when a key this mapping reads is within a typo of <paramref name="key"/>.</summary>
    private string Suggest(string key)
    {
        var best = _used.Select(k => (Key: k, Distance: EditDistance(key, k)))
            .Where(c => c.Distance <= Math.Max(1, Math.Min(3, c.Key.Length / 3)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Key is null ? "" : $" (did you mean {Prefix}{best.Key}?)";
    }

    /// <summary>Levenshtein distance, case-insensitive (keys are short).</summary>
    internal static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    /// <summary>Marks every key as used (after an error that makes the rest meaningless).</summary>
    public void MarkAllUsed()
    {
        foreach (var key in _order)
        {
            _used.Add(key);
        }
    }

    /// <summary>A string, or null when absent (an error when <paramref name="required"/>).</summary>
    public string? String(string key, bool required = false) => Scalar(key, "a string", required, out _);

    /// <summary>A string that is never shown (tokens, passwords).</summary>
    public Secret? SecretValue(string key, bool required = false)
    {
        var s = Scalar(key, "a string", required, out _);
        return s is null ? null : new Secret(s);
    }

    /// <summary>An integer.</summary>
    public int? Int(string key, bool required = false)
    {
        var s = Scalar(key, "an integer", required, out var node);
        if (s is null)
        {
            return null;
        }

        if (int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            return v;
        }

        Reader.Error($"{Context}{Field(key)} must be an integer, got '{s}'", node);
        return null;
    }

    /// <summary>A 64-bit integer.</summary>
    public long? Long(string key, bool required = false)
    {
        var s = Scalar(key, "an integer", required, out var node);
        if (s is null)
        {
            return null;
        }

        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            return v;
        }

        Reader.Error($"{Context}{Field(key)} must be an integer, got '{s}'", node);
        return null;
    }

    /// <summary>A finite number.</summary>
    public double? Number(string key, bool required = false)
    {
        var s = Scalar(key, "a number", required, out var node);
        if (s is null)
        {
            return null;
        }

        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
        {
            return v;
        }

        Reader.Error($"{Context}{Field(key)} must be a number, got '{s}'", node);
        return null;
    }

    /// <summary>A duration in the one syntax of <see cref="Durations"/> (<c>30s</c>, <c>1h30m</c>).</summary>
    public TimeSpan? Duration(string key, bool required = false)
    {
        var s = Scalar(key, "a duration", required, out var node);
        if (s is null)
        {
            return null;
        }

        if (Durations.TryParse(s, out var v, out var hint))
        {
            return v;
        }

        Reader.Error($"{Context}{Field(key)} must be a duration like 30s, 5m or 1h (got '{s}'{(hint is null ? "" : "; " + hint)})", node);
        return null;
    }

    /// <summary>true or false.</summary>
    public bool? Bool(string key)
    {
        var s = Scalar(key, "true or false", false, out var node);
        if (s is null)
        {
            return null;
        }

        if (bool.TryParse(s, out var v))
        {
            return v;
        }

        Reader.Error($"{Context}{Field(key)} must be true or false, got '{s}'", node);
        return null;
    }

    /// <summary>A reader of the nested mapping <paramref name="key"/> (its fields prefixed with <c>key.</c>); call its
    /// <see cref="Done"/> when read.</summary>
    public MapReader? Map(string key, bool required = false)
    {
        var node = Raw(key);
        if (node is null || ConfigReader.IsNull(node))
        {
            if (required)
            {
                Reader.Error($"{Context}{Field(key)} is required", node ?? Node);
            }

            return null;
        }

        if (node is YamlMappingNode map)
        {
            return new MapReader(Reader, map, Context, Field(key) + ".");
        }

        Reader.Error($"{Context}{Field(key)} must be a mapping", node);
        return null;
    }

    /// <summary>A list node.</summary>
    public YamlSequenceNode? Sequence(string key)
    {
        var node = Raw(key);
        if (node is null || ConfigReader.IsNull(node))
        {
            return null;
        }

        if (node is YamlSequenceNode seq)
        {
            return seq;
        }

        Reader.Error($"{Context}{Field(key)} must be a list", node);
        return null;
    }

    /// <summary>A list of strings.</summary>
    public List<string>? StringList(string key)
    {
        var seq = Sequence(key);
        if (seq is null)
        {
            return null;
        }

        var list = new List<string>();
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var v = Reader.ScalarValue(seq.Children[i], Context, $"{Field(key)}[{i}]", "a string");
            if (v is not null)
            {
                list.Add(v);
            }
        }

        return list;
    }

    /// <summary>A mapping of strings to strings (labels, parameters).</summary>
    public Dictionary<string, string>? StringMap(string key)
    {
        var node = Raw(key);
        if (node is null || ConfigReader.IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode map)
        {
            Reader.Error($"{Context}{Field(key)} must be a mapping", node);
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode { Value: { } rawName })
            {
                Reader.Error($"{Context}{Field(key)}: keys must be plain strings", k);
                continue;
            }

            var name = Reader.Restore(rawName);

            var value = Reader.ScalarValue(v, Context, $"{Field(key)}.{name}", "a string");
            if (value is not null)
            {
                result[name] = value;
            }
        }

        return result;
    }

    /// <summary>An absolute http or https URL.</summary>
    public Uri? HttpUrl(string key, bool required = false)
    {
        var text = String(key, required);
        if (text is null)
        {
            return null;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        // The refused value is shown unless it could carry credentials (user:password@host).
        Reader.Error($"{Context}{Field(key)} must be an absolute http or https URL{(text.Contains('@', StringComparison.Ordinal) ? "" : $", got '{text}'")}", Raw(key));
        return null;
    }

    private string? Scalar(string key, string what, bool required, out YamlNode? node)
    {
        node = Raw(key);
        if (node is null || ConfigReader.IsNull(node))
        {
            if (required)
            {
                Reader.Error($"{Context}{Field(key)} is required", node ?? Node);
            }

            return null;
        }

        return Reader.ScalarValue(node, Context, Field(key), what);
    }
}

using System.Globalization;
using Autoscaler.Common;
using YamlDotNet.RepresentationModel;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// Reads one YAML mapping of the configuration: typed getters that record an error (naming the pool and field) instead
/// of throwing, ${ENV} expansion of every scalar, and a list of the keys it was asked for so that <see cref="Done"/> can
/// report the unknown ones.
/// </summary>
internal sealed class MapReader
{
    private readonly ConfigParser _parser;
    private readonly Dictionary<string, (YamlNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public MapReader(ConfigParser parser, YamlMappingNode node, string context, string prefix)
    {
        _parser = parser;
        Node = node;
        Context = context;
        Prefix = prefix;
        foreach (var (key, value) in node.Children)
        {
            if (key is YamlScalarNode { Value: { } rawName })
            {
                var name = parser.Restore(rawName);
                if (_entries.TryAdd(name, (key, value)))
                {
                    _order.Add(name);
                }
                else
                {
                    parser.Error($"{context}duplicate key '{prefix}{name}'", key);
                }
            }
            else
            {
                parser.Error($"{context}{(prefix.Length > 0 ? prefix.TrimEnd('.') + ": " : "")}keys must be plain strings", key);
            }
        }
    }

    public YamlMappingNode Node { get; }

    /// <summary>"pool 'web': " or "".</summary>
    public string Context { get; }

    /// <summary>"scale_up." or "".</summary>
    public string Prefix { get; }

    public string Field(string key) => Prefix + key;

    public bool Has(string key) => _entries.ContainsKey(key);

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
                _parser.Error($"{Context}unknown key '{Prefix}{key}'", _entries[key].Key);
            }
        }
    }

    /// <summary>Marks every key as used (after an error that makes the rest meaningless).</summary>
    public void MarkAllUsed()
    {
        foreach (var key in _order)
        {
            _used.Add(key);
        }
    }

    public string? String(string key, bool required = false) => Scalar(key, "a string", required, out _);

    public Secret? SecretValue(string key, bool required = false)
    {
        var s = Scalar(key, "a string", required, out _);
        return s is null ? null : new Secret(s);
    }

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

        _parser.Error($"{Context}{Field(key)} must be an integer", node);
        return null;
    }

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

        _parser.Error($"{Context}{Field(key)} must be an integer", node);
        return null;
    }

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

        _parser.Error($"{Context}{Field(key)} must be a number", node);
        return null;
    }

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

        _parser.Error($"{Context}{Field(key)} must be a duration like 30s, 5m or 1h (got '{s}'{(hint is null ? "" : "; " + hint)})", node);
        return null;
    }

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

        _parser.Error($"{Context}{Field(key)} must be true or false", node);
        return null;
    }

    public MapReader? Map(string key, bool required = false)
    {
        var node = Raw(key);
        if (node is null || ConfigParser.IsNull(node))
        {
            if (required)
            {
                _parser.Error($"{Context}{Field(key)} is required", node ?? Node);
            }

            return null;
        }

        if (node is YamlMappingNode map)
        {
            return new MapReader(_parser, map, Context, Field(key) + ".");
        }

        _parser.Error($"{Context}{Field(key)} must be a mapping", node);
        return null;
    }

    public YamlSequenceNode? Sequence(string key)
    {
        var node = Raw(key);
        if (node is null || ConfigParser.IsNull(node))
        {
            return null;
        }

        if (node is YamlSequenceNode seq)
        {
            return seq;
        }

        _parser.Error($"{Context}{Field(key)} must be a list", node);
        return null;
    }

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
            var v = _parser.ScalarValue(seq.Children[i], Context, $"{Field(key)}[{i}]", "a string");
            if (v is not null)
            {
                list.Add(v);
            }
        }

        return list;
    }

    public Dictionary<string, string>? StringMap(string key)
    {
        var node = Raw(key);
        if (node is null || ConfigParser.IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode map)
        {
            _parser.Error($"{Context}{Field(key)} must be a mapping", node);
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode { Value: { } rawName })
            {
                _parser.Error($"{Context}{Field(key)}: keys must be plain strings", k);
                continue;
            }

            var name = _parser.Restore(rawName);

            var value = _parser.ScalarValue(v, Context, $"{Field(key)}.{name}", "a string");
            if (value is not null)
            {
                result[name] = value;
            }
        }

        return result;
    }

    private string? Scalar(string key, string what, bool required, out YamlNode? node)
    {
        node = Raw(key);
        if (node is null || ConfigParser.IsNull(node))
        {
            if (required)
            {
                _parser.Error($"{Context}{Field(key)} is required", node ?? Node);
            }

            return null;
        }

        return _parser.ScalarValue(node, Context, Field(key), what);
    }
}

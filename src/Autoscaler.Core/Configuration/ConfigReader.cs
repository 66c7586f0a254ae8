using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// One reading of one YAML document: every section reader records its problems here (each naming its field, with the
/// node's line and column) instead of throwing, ${VAR} references are expanded per scalar, and relative paths are
/// resolved against the file's folder. Open the document with <see cref="TryOpen"/>, read it through
/// <see cref="MapReader"/>s, then take <see cref="SortedErrors"/>.
/// </summary>
public sealed class ConfigReader
{
    private readonly Func<string, string?> _lookup;
    private readonly List<ConfigError> _errors = [];
    private readonly EnvReferenceMask _mask = new();

    /// <summary>Creates a reader; <paramref name="environment"/> supplies ${VAR} values (null: the process environment).</summary>
    public ConfigReader(IReadOnlyDictionary<string, string>? environment = null, ConfigLoadOptions? options = null)
    {
        _lookup = environment is null
            ? Environment.GetEnvironmentVariable
            : name => environment.TryGetValue(name, out var v) ? v : null;
        Options = options ?? new ConfigLoadOptions();
    }

    /// <summary>How the document is read (base folder, whether cloud access is required).</summary>
    public ConfigLoadOptions Options { get; }

    /// <summary>Number of problems recorded so far.</summary>
    public int ErrorCount => _errors.Count;

    /// <summary>Records a problem; <paramref name="node"/> gives its position (null: a problem of the whole file, listed
    /// after the positioned ones).</summary>
    public void Error(string message, YamlNode? node)
    {
        if (node is null)
        {
            _errors.Add(new ConfigError(message));
            return;
        }

        _errors.Add(new ConfigError(message, (int)node.Start.Line, (int)node.Start.Column));
    }

    /// <summary>Every problem in document order; problems without a position (cross-pool checks) last, in the order found.</summary>
    public IReadOnlyList<ConfigError> SortedErrors() =>
        _errors.OrderBy(e => e.Line == 0 ? int.MaxValue : e.Line).ThenBy(e => e.Column).ToArray();

    /// <summary>True for an absent value written as <c>~</c>, <c>null</c> or nothing.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s
        && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>The expanded string of a scalar node, or null with an error recorded.</summary>
    public string? ScalarValue(YamlNode node, string context, string field, string what)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node is not YamlScalarNode scalar)
        {
            Error($"{context}{field} must be {what}", node);
            return null;
        }

        var expanded = EnvExpander.Expand(Restore(scalar.Value ?? ""), _lookup, out var problems);
        foreach (var problem in problems)
        {
            Error($"{context}{field}: {problem}", node);
        }

        return expanded;
    }

    /// <summary>The text of a key or value as written (masked ${...} references put back).</summary>
    public string Restore(string text) => _mask.Restore(text);

    /// <summary><paramref name="path"/> against the configuration's folder (as written when there is none).</summary>
    public string ResolvePath(string path) =>
        Options.BaseDirectory is null || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(Options.BaseDirectory, path));

    /// <summary>Loads <paramref name="yaml"/> and gives a reader of its root mapping, or null with the problem recorded
    /// (malformed YAML with its position, an empty file, several documents, a root that is not a mapping).</summary>
    public MapReader? TryOpen(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(_mask.Mask(yaml)));
        }
        catch (YamlException ex)
        {
            var message = (ex.InnerException as YamlException)?.Message ?? ex.Message;
            var marker = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith("(Line:", StringComparison.Ordinal) && marker > 0)
            {
                message = message[(marker + 3)..];
            }

            _errors.Add(new ConfigError($"line {ex.Start.Line}, column {ex.Start.Column}: {message}", (int)ex.Start.Line, (int)ex.Start.Column));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, without a position, for some malformed input (an unclosed '{' or
            // '['): replay the events to find where the document stopped making sense.
            var (line, column) = LastParsedPosition(_mask.Mask(yaml));
            _errors.Add(new ConfigError(
                $"line {line}, column {column}: the YAML is malformed after this point (an unclosed '{{' or '[', or a missing ':'?)",
                line, column));
            return null;
        }

        if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode))
        {
            Error("the configuration is empty", null);
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            Error($"the configuration must be one YAML document (found {stream.Documents.Count})", null);
            return null;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode rootNode)
        {
            Error("the configuration must be a mapping of settings", stream.Documents[0].RootNode);
            return null;
        }

        return new MapReader(this, rootNode, "", "");
    }

    private static (int Line, int Column) LastParsedPosition(string yaml)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(yaml));
        var (line, column) = (1, 1);
        try
        {
            while (parser.MoveNext())
            {
                if (parser.Current is { } current)
                {
                    (line, column) = ((int)current.End.Line, (int)current.End.Column);
                }
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            // Stop at the first event that cannot be read: the position before it is the answer.
        }
        return (line, column);
    }
}

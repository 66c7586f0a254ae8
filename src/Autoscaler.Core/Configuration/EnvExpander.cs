using System.Text;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// Shell-like expansion inside configuration values: <c>${VAR}</c>, <c>${VAR:-default}</c> (default when unset or
/// empty) and <c>$${</c> for a literal <c>${</c>. Expansion happens per scalar after YAML parsing, so a value can never
/// change the document's structure.
/// </summary>
internal static class EnvExpander
{
    /// <summary>Expands <paramref name="input"/>; on failure <paramref name="problems"/> names each unset variable or the
    /// syntax error, and the result is null.</summary>
    public static string? Expand(string input, Func<string, string?> lookup, out List<string> problems)
    {
        problems = [];
        if (!input.Contains('$', StringComparison.Ordinal))
        {
            return input;
        }

        var sb = new StringBuilder(input.Length);
        var i = 0;
        while (i < input.Length)
        {
            var c = input[i];
            if (c == '$' && i + 2 < input.Length && input[i + 1] == '$' && input[i + 2] == '{')
            {
                sb.Append("${");
                i += 3;
                continue;
            }

            if (c != '$' || i + 1 >= input.Length || input[i + 1] != '{')
            {
                sb.Append(c);
                i++;
                continue;
            }

            var close = input.IndexOf('}', i + 2);
            if (close < 0)
            {
                problems.Add("unterminated '${' (write '$${' for a literal)");
                return null;
            }

            var body = input.AsSpan(i + 2, close - i - 2);
            var sep = body.IndexOf(":-", StringComparison.Ordinal);
            var name = (sep >= 0 ? body[..sep] : body).ToString();
            string? fallback = sep >= 0 ? body[(sep + 2)..].ToString() : null;
            if (!IsName(name))
            {
                problems.Add($"'${{{name}}}' is not a valid environment variable reference");
            }
            else
            {
                var value = lookup(name);
                if (fallback is not null && string.IsNullOrEmpty(value))
                {
                    value = fallback;
                }

                if (value is null)
                {
                    problems.Add($"environment variable '{name}' is not set");
                }
                else
                {
                    sb.Append(value);
                }
            }

            i = close + 1;
        }

        return problems.Count == 0 ? sb.ToString() : null;
    }

    private static bool IsName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var ch in name)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch == '_'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// Hides <c>${...}</c> references from the YAML parser: a plain scalar in a flow mapping cannot contain '{' or '}', so
/// <c>{ token: ${API_TOKEN} }</c> would not parse. Each reference is replaced by a same-length run of private-use
/// characters (so line and column numbers stay exact) and restored in the parsed scalar before expansion.
/// </summary>
internal sealed class EnvReferenceMask
{
    private const char Start = '\uE000';
    private const char Pad = '\uE001';
    private const char DigitBase = '\uE100';
    private readonly List<string> _references = [];

    /// <summary>The YAML text with references masked.</summary>
    public string Mask(string yaml)
    {
        if (!yaml.Contains("${", StringComparison.Ordinal))
        {
            return yaml;
        }

        var sb = new StringBuilder(yaml.Length);
        var i = 0;
        while (i < yaml.Length)
        {
            var open = yaml.IndexOf("${", i, StringComparison.Ordinal);
            var newline = open < 0 ? -1 : yaml.IndexOf('\n', open);
            var close = open < 0 ? -1 : yaml.IndexOf('}', open + 2);
            if (open < 0 || close < 0 || (newline >= 0 && close > newline) || (open > 0 && yaml[open - 1] == '$'))
            {
                var end = open < 0 ? yaml.Length : open + 2;
                sb.Append(yaml, i, end - i);
                i = end;
                continue;
            }

            sb.Append(yaml, i, open - i);
            var reference = yaml[open..(close + 1)];
            var index = _references.Count;
            _references.Add(reference);
            var token = new StringBuilder().Append(Start).Append((char)(DigitBase + (index / 256 % 256))).Append((char)(DigitBase + (index % 256)));
            if (index >= 65536 || token.Length > reference.Length)
            {
                sb.Append(reference);
                _references.RemoveAt(index);
            }
            else
            {
                sb.Append(token).Append(Pad, reference.Length - token.Length);
            }

            i = close + 1;
        }

        return sb.ToString();
    }

    /// <summary>The original text of a parsed value.</summary>
    public string Restore(string value)
    {
        if (_references.Count == 0 || !value.Contains(Start, StringComparison.Ordinal))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length);
        var i = 0;
        while (i < value.Length)
        {
            if (value[i] == Start && i + 2 < value.Length)
            {
                var index = ((value[i + 1] - DigitBase) * 256) + (value[i + 2] - DigitBase);
                if (index >= 0 && index < _references.Count)
                {
                    sb.Append(_references[index]);
                    i += 3;
                    while (i < value.Length && value[i] == Pad)
                    {
                        i++;
                    }

                    continue;
                }
            }

            sb.Append(value[i]);
            i++;
        }

        return sb.ToString();
    }
}

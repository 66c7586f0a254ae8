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

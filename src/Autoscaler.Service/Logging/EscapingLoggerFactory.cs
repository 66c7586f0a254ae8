using System.Collections;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Logging;

/// <summary>A logged value written as is, line breaks included: only for text the service composes itself from its own
/// configuration (the start-up summary), never for anything a request or a command can put in.</summary>
/// <param name="Text">The text.</param>
public sealed record VerbatimLogText(string Text)
{
    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>
/// Wraps the service's logger factory so that every value a <c>[LoggerMessage]</c> puts into a line has its control
/// characters escaped (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\u001b</c>…): an alert name, a label, a remote address or a
/// command's output with a newline in it stays inside its one line and cannot forge another. The message template
/// itself is ours and is kept as written; <see cref="VerbatimLogText"/> values too.
/// </summary>
public sealed class EscapingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new EscapingLogger(inner.CreateLogger(categoryName));

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>Nothing to release: the wrapped factory belongs to whoever made it.</summary>
    public void Dispose()
    {
    }

    /// <summary><paramref name="value"/> with every control character (and U+2028/U+2029) written as an escape.</summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var i = 0;
        while (i < value.Length && !NeedsEscape(value[i]))
        {
            i++;
        }

        if (i == value.Length)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 16).Append(value, 0, i);
        for (; i < value.Length; i++)
        {
            var c = value[i];
            _ = c switch
            {
                '\n' => sb.Append("\\n"),
                '\r' => sb.Append("\\r"),
                '\t' => sb.Append("\\t"),
                _ when NeedsEscape(c) => sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';

    private sealed class EscapingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            if (state is IReadOnlyList<KeyValuePair<string, object?>> values && Template(values) is { } template)
            {
                var escaped = new EscapedState(template, values);
                inner.Log(logLevel, eventId, escaped, exception, static (s, _) => s.Message);
                return;
            }

            // Not a template: the whole message is escaped.
            var message = Escape(formatter(state, exception));
            inner.Log(logLevel, eventId, message, exception, static (s, _) => s);
        }

        private static string? Template(IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            for (var i = values.Count - 1; i >= 0; i--)
            {
                if (values[i].Key == "{OriginalFormat}")
                {
                    return values[i].Value as string;
                }
            }

            return null;
        }
    }

    /// <summary>The structured values, with strings escaped, and the message composed from the template.</summary>
    private sealed class EscapedState : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly List<KeyValuePair<string, object?>> _values;

        public EscapedState(string template, IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            _values = new List<KeyValuePair<string, object?>>(values.Count);
            foreach (var (key, value) in values)
            {
                _values.Add(new(key, key == "{OriginalFormat}" || value is not string s ? value : Escape(s)));
            }

            Message = Format(template, values);
        }

        public string Message { get; }

        public int Count => _values.Count;

        public KeyValuePair<string, object?> this[int index] => _values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;

        /// <summary>Fills <c>{Name}</c>, <c>{Name:format}</c> and <c>{Name,align}</c> holes; <c>{{</c> and <c>}}</c> are
        /// literal braces, as in Microsoft.Extensions.Logging's own formatter.</summary>
        private static string Format(string template, IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            var sb = new StringBuilder(template.Length + 64);
            for (var i = 0; i < template.Length; i++)
            {
                var c = template[i];
                if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
                {
                    sb.Append('{');
                    i++;
                    continue;
                }

                if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
                {
                    sb.Append('}');
                    i++;
                    continue;
                }

                var close = c == '{' ? template.IndexOf('}', i + 1) : -1;
                if (close < 0)
                {
                    sb.Append(c);
                    continue;
                }

                var hole = template.AsSpan(i + 1, close - i - 1);
                var formatAt = hole.IndexOf(':');
                var format = formatAt >= 0 ? hole[(formatAt + 1)..].ToString() : null;
                var nameAndAlign = formatAt >= 0 ? hole[..formatAt] : hole;
                var alignAt = nameAndAlign.IndexOf(',');
                var name = (alignAt >= 0 ? nameAndAlign[..alignAt] : nameAndAlign).Trim().ToString();
                var text = Text(Find(values, name), format);
                if (alignAt >= 0 && int.TryParse(nameAndAlign[(alignAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var align))
                {
                    text = align >= 0 ? text.PadLeft(align) : text.PadRight(-align);
                }

                sb.Append(text);
                i = close;
            }

            return sb.ToString();
        }

        private static object? Find(IReadOnlyList<KeyValuePair<string, object?>> values, string name)
        {
            foreach (var (key, value) in values)
            {
                if (key == name)
                {
                    return value;
                }
            }

            return null;
        }

        private static string Text(object? value, string? format) => value switch
        {
            null => "(null)",
            VerbatimLogText v => v.Text,
            string s => Escape(s),
            IFormattable f => Escape(f.ToString(format, CultureInfo.InvariantCulture)),
            IEnumerable e => Escape(string.Join(", ", e.Cast<object?>().Select(o => o?.ToString() ?? "(null)"))),
            _ => Escape(value.ToString() ?? ""),
        };
    }
}

using System.Globalization;
using System.Text;

namespace Autoscaler.Common;

/// <summary>
/// The one duration syntax of the configuration, the command line and the emulator, as Prometheus and Go write it: a
/// number and a unit (<c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>), possibly several in a row (<c>1h30m</c>),
/// with decimals (<c>1.5m</c>); a bare <c>0</c> means zero. Everything else is refused — a bare number (seconds? minutes?),
/// <c>00:01:00</c>, upper-case units, a sign — with a hint that says how to write it.
/// </summary>
public static class Durations
{
    /// <summary>How error messages describe the syntax.</summary>
    public const string Examples = "30s, 5m or 1h30m";

    private const double MaxMilliseconds = 100L * 365 * 86_400_000; // a century: far beyond any setting, exact in a double

    /// <summary>Parses <paramref name="text"/>; false when it is not a non-negative duration with units.</summary>
    public static bool TryParse(string? text, out TimeSpan value) => TryParse(text, out value, out _);

    /// <summary>Parses <paramref name="text"/>; when it is refused, <paramref name="hint"/> says how to write it
    /// (<c>write 1m</c>) when that can be guessed, else null.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string? hint)
    {
        value = TimeSpan.Zero;
        hint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        if (s == "0")
        {
            return true;
        }

        if (TryParseUnits(s, out value))
        {
            return true;
        }

        hint = Hint(s);
        return false;
    }

    /// <summary>Parses <paramref name="text"/> or throws a <see cref="FormatException"/> whose message has the hint.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value, out var hint)
            ? value
            : throw new FormatException($"'{text}' is not a duration like {Examples}{(hint is null ? "" : "; " + hint)}");

    /// <summary>Renders <paramref name="value"/> the way it would be written (<c>1h30m</c>); <see cref="TryParse(string?, out TimeSpan)"/>
    /// reads it back (to the millisecond).</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            sb.Append('-');
            value = value.Negate();
        }

        if (value.Days > 0)
        {
            sb.Append(value.Days).Append('d');
        }

        if (value.Hours > 0)
        {
            sb.Append(value.Hours).Append('h');
        }

        if (value.Minutes > 0)
        {
            sb.Append(value.Minutes).Append('m');
        }

        if (value.Seconds > 0)
        {
            sb.Append(value.Seconds).Append('s');
        }

        if (value.Milliseconds > 0)
        {
            sb.Append(value.Milliseconds).Append("ms");
        }

        return sb.Length == 0 || sb.ToString() == "-" ? "0s" : sb.ToString();
    }

    private static bool TryParseUnits(string s, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var total = 0.0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            var unitMs = UnitMilliseconds(s.AsSpan(unitStart, i - unitStart));
            if (double.IsNaN(unitMs))
            {
                return false;
            }

            total += number * unitMs;
        }

        if (total > MaxMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    private static double UnitMilliseconds(ReadOnlySpan<char> unit) => unit switch
    {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => double.NaN,
    };

    /// <summary>A guess at what was meant, for the forms people write from habit.</summary>
    private static string? Hint(string s)
    {
        // 90 → 90s: a bare number has no unit to read it in.
        if (double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds)
            && seconds * 1000 <= MaxMilliseconds)
        {
            return $"a number needs a unit: write {s}s for seconds";
        }

        // 00:01:00 → 1m: the .NET and SQL form.
        if (s.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return $"write {Format(span)}";
        }

        // 5M, 2H → 5m, 2h: units are lower case (M would read as months elsewhere).
        var lower = s.ToLowerInvariant();
        if (!string.Equals(lower, s, StringComparison.Ordinal) && TryParseUnits(lower, out _))
        {
            return $"units are lower case: write {lower}";
        }

        if (s.StartsWith('-'))
        {
            return "a duration cannot be negative";
        }

        return null;
    }
}

using System.Globalization;
using System.Text;

namespace Autoscaler.Core.Configuration;

/// <summary>Durations as written in the configuration and on the command line: <c>500ms</c>, <c>30s</c>, <c>5m</c>,
/// <c>1h30m</c>, <c>2d</c>; a bare <c>0</c> means zero.</summary>
public static class Durations
{
    /// <summary>Parses <paramref name="text"/>; false when it is not a non-negative duration with units.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        if (s == "0")
        {
            return true;
        }

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

            double unitMs = s.AsSpan(unitStart, i - unitStart) switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => double.NaN,
            };
            if (double.IsNaN(unitMs))
            {
                return false;
            }

            total += number * unitMs;
        }

        if (total > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    /// <summary>Renders <paramref name="value"/> the way it would be written in the configuration (<c>1h30m</c>).</summary>
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

        return sb.ToString();
    }
}

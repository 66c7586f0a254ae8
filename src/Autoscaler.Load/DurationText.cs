using System.Globalization;

namespace Autoscaler.Load;

/// <summary>Durations as people type them: <c>90</c> (seconds), <c>500ms</c>, <c>60s</c>, <c>1.5m</c>, <c>2h</c>, <c>7d</c>.</summary>
public static class DurationText
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var (number, scale) = s switch
        {
            _ when s.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (s[..^2], 0.001),
            _ when s.EndsWith('s') || s.EndsWith('S') => (s[..^1], 1.0),
            _ when s.EndsWith('m') || s.EndsWith('M') => (s[..^1], 60.0),
            _ when s.EndsWith('h') || s.EndsWith('H') => (s[..^1], 3600.0),
            _ when s.EndsWith('d') || s.EndsWith('D') => (s[..^1], 86400.0),
            _ => (s, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value))
        {
            return false;
        }

        var seconds = value * scale;
        // TimeSpan's range is far beyond any load test; the cap keeps arithmetic on offsets exact enough.
        if (seconds > TimeSpan.FromDays(365).TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>A compact rendering that <see cref="TryParse"/> reads back.</summary>
    public static string Format(TimeSpan duration) =>
        duration.TotalSeconds >= 1 || duration == TimeSpan.Zero
            ? duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
            : duration.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
}

using System.Globalization;
using Autoscaler.Common;

namespace Autoscaler.Load;

/// <summary>Durations on the command line: the one syntax of <see cref="Durations"/> (<c>500ms</c>, <c>60s</c>,
/// <c>1.5m</c>, <c>1h30m</c>, <c>7d</c>), at most a year (offsets into a load test stay exact).</summary>
public static class DurationText
{
    public static bool TryParse(string? text, out TimeSpan duration) =>
        Durations.TryParse(text, out duration) && duration <= TimeSpan.FromDays(365);

    /// <summary>How to write a refused <paramref name="text"/> (<c> (a number needs a unit: write 90s for seconds)</c>),
    /// or "" when there is nothing to add.</summary>
    public static string Hint(string? text) =>
        Durations.TryParse(text, out _, out var hint) || hint is null ? "" : $" ({hint})";

    /// <summary>A compact rendering that <see cref="TryParse"/> reads back.</summary>
    public static string Format(TimeSpan duration) =>
        duration.TotalSeconds >= 1 || duration == TimeSpan.Zero
            ? duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
            : duration.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
}

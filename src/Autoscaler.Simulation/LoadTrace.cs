using System.Globalization;
using System.IO.Compression;

namespace Autoscaler.Simulation;

/// <summary>
/// A request-rate series with evenly spaced rows: row <c>k</c> is the mean arrival rate (requests per second) over
/// [<see cref="Start"/> + k × <see cref="Step"/>, + <see cref="Step"/>). Read from a CSV
/// <c>t_seconds,requests_per_second</c> (optionally gzip-compressed) or built from a Prometheus range query.
/// </summary>
public sealed class LoadTrace
{
    /// <summary>Creates a trace; rates must be finite and non-negative, the step positive.</summary>
    public LoadTrace(DateTimeOffset start, TimeSpan step, IReadOnlyList<double> rates)
    {
        ArgumentNullException.ThrowIfNull(rates);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(step, TimeSpan.Zero);
        if (rates.Count == 0)
        {
            throw new ArgumentException("a trace needs at least one row", nameof(rates));
        }

        var copy = new double[rates.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            var r = rates[i];
            if (!double.IsFinite(r) || r < 0)
            {
                throw new ArgumentException($"row {i}: rate {r.ToString(CultureInfo.InvariantCulture)} is not a non-negative number", nameof(rates));
            }

            copy[i] = r;
        }

        Start = start;
        Step = step;
        Rates = copy;
    }

    /// <summary>Time of the first row.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>Spacing of the rows.</summary>
    public TimeSpan Step { get; }

    /// <summary>Requests per second, one per row.</summary>
    public IReadOnlyList<double> Rates { get; }

    /// <summary>Rows × step.</summary>
    public TimeSpan Duration => Step * Rates.Count;

    /// <summary>The end of the last row.</summary>
    public DateTimeOffset End => Start + Duration;

    /// <summary>The highest rate.</summary>
    public double Peak => Rates.Max();

    /// <summary>The mean rate.</summary>
    public double Mean => Rates.Average();

    /// <summary>Every rate multiplied by <paramref name="factor"/>.</summary>
    public LoadTrace Scale(double factor)
    {
        if (!double.IsFinite(factor) || factor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "the scale must be a positive number");
        }

        return new LoadTrace(Start, Step, Rates.Select(r => r * factor).ToArray());
    }

    /// <summary>The rows from <paramref name="offset"/> after the start, for <paramref name="length"/> (null: to the
    /// end); null when that leaves no row. Offsets are rounded down to whole rows, lengths up.</summary>
    public LoadTrace? Slice(TimeSpan offset, TimeSpan? length)
    {
        if (offset < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "the offset cannot be negative");
        }

        var first = (int)Math.Min(Rates.Count, Math.Floor(offset / Step));
        var count = length is { } l ? (int)Math.Min(Rates.Count - first, Math.Ceiling(l / Step - 1e-9)) : Rates.Count - first;
        if (count <= 0)
        {
            return null;
        }

        return new LoadTrace(Start + (Step * first), Step, Rates.Skip(first).Take(count).ToArray());
    }

    /// <summary>Reads a <c>t_seconds,requests_per_second</c> CSV (a <c>.gz</c> file is decompressed). The first row's
    /// <c>t_seconds</c> is taken as seconds since <paramref name="clockStart"/> (default: the Unix epoch, so traces
    /// with Unix timestamps keep their dates). Returns null and every problem found (up to 10) when it cannot.</summary>
    public static LoadTrace? TryLoad(string path, out IReadOnlyList<string> errors, DateTimeOffset? clockStart = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            errors = [$"trace file '{path}' does not exist"];
            return null;
        }

        try
        {
            using var file = File.OpenRead(path);
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var reader = new StreamReader(stream);
            return TryParse(reader, path, out errors, clockStart);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            errors = [$"cannot read trace file '{path}': {ex.Message}"];
            return null;
        }
    }

    /// <summary>Parses CSV text; <paramref name="name"/> names the source in messages. See <see cref="TryLoad"/>.</summary>
    public static LoadTrace? TryParse(TextReader reader, string name, out IReadOnlyList<string> errors, DateTimeOffset? clockStart = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(name);
        var problems = new List<string>();
        var times = new List<double>();
        var rates = new List<double>();
        var lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null && problems.Count < 10)
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }

            var comma = text.IndexOf(',', StringComparison.Ordinal);
            var first = comma < 0 ? text : text[..comma].Trim();
            var second = comma < 0 ? "" : text[(comma + 1)..].Trim();
            var firstOk = double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && double.IsFinite(t);
            if (times.Count == 0 && problems.Count == 0 && !firstOk)
            {
                continue; // the header
            }

            if (comma < 0 || second.Contains(',', StringComparison.Ordinal))
            {
                problems.Add($"{name}:{lineNumber}: expected two columns t_seconds,requests_per_second, got '{Shorten(text)}'");
                continue;
            }

            if (!firstOk)
            {
                problems.Add($"{name}:{lineNumber}: t_seconds '{Shorten(first)}' is not a number");
                continue;
            }

            if (!double.TryParse(second, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) || !double.IsFinite(r) || r < 0)
            {
                problems.Add($"{name}:{lineNumber}: requests_per_second '{Shorten(second)}' is not a non-negative number");
                continue;
            }

            if (times.Count > 0 && t <= times[^1])
            {
                problems.Add($"{name}:{lineNumber}: t_seconds {first} does not increase");
                continue;
            }

            if (times.Count >= 2)
            {
                var step = times[1] - times[0];
                if (Math.Abs(t - times[^1] - step) > step * 1e-6)
                {
                    problems.Add($"{name}:{lineNumber}: rows must be evenly spaced ({Num(step)} s apart), but t_seconds goes from {Num(times[^1])} to {first}");
                    continue;
                }
            }

            times.Add(t);
            rates.Add(r);
        }

        if (problems.Count == 0 && times.Count < 2)
        {
            problems.Add($"{name}: a trace needs at least two rows t_seconds,requests_per_second");
        }

        if (problems.Count > 0)
        {
            errors = problems;
            return null;
        }

        errors = [];
        var origin = clockStart ?? DateTimeOffset.UnixEpoch;
        return new LoadTrace(origin + TimeSpan.FromSeconds(times[0]), TimeSpan.FromSeconds(times[1] - times[0]), rates);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}

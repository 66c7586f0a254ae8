using System.Globalization;
using System.Text;

namespace Autoscaler.Load;

/// <summary>One stretch of a load profile: the arrival rate goes linearly from <see cref="StartRate"/> to
/// <see cref="EndRate"/> (requests per second) over <see cref="Duration"/>; equal rates make a constant stretch.</summary>
public sealed record LoadSegment(TimeSpan Duration, double StartRate, double EndRate);

/// <summary>How a request-rate trace (CSV <c>t_seconds,requests_per_second</c>) is replayed.</summary>
public sealed record TraceReplay
{
    /// <summary>Multiplies every rate of the trace (real traces hold small, unscaled rates).</summary>
    public double Scale { get; init; } = 1;

    /// <summary>Compresses the trace's time: 60 replays one minute of trace per second. Rates are not changed by it
    /// (only by <see cref="Scale"/>), so the shape of the trace is kept at the level the scale sets.</summary>
    public double Speedup { get; init; } = 1;

    /// <summary>Trace time to start from (e.g. just before a flash crowd).</summary>
    public TimeSpan Start { get; init; } = TimeSpan.Zero;

    /// <summary>Trace time to replay from <see cref="Start"/>; the rest of the trace when null.</summary>
    public TimeSpan? Length { get; init; }
}

/// <summary>
/// The arrival rate over time as a list of segments (constant or linear ramps). Its integral Λ(t), the expected
/// number of arrivals by t, is what the arrival schedule inverts, so ramps and traces are followed exactly.
/// </summary>
public sealed class LoadProfile
{
    private readonly LoadSegment[] _segments;
    private readonly double[] _startSeconds;
    private readonly double[] _startArrivals;

    public LoadProfile(IEnumerable<LoadSegment> segments, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(segments);
        _segments = [.. segments];
        if (_segments.Length == 0)
        {
            throw new ArgumentException("A load profile needs at least one segment.", nameof(segments));
        }

        _startSeconds = new double[_segments.Length + 1];
        _startArrivals = new double[_segments.Length + 1];
        for (var i = 0; i < _segments.Length; i++)
        {
            var s = _segments[i];
            if (s.Duration <= TimeSpan.Zero || !IsRate(s.StartRate) || !IsRate(s.EndRate))
            {
                throw new ArgumentException(
                    $"Segment {i + 1} needs a positive duration and finite rates of at least 0.", nameof(segments));
            }

            var d = s.Duration.TotalSeconds;
            _startSeconds[i + 1] = _startSeconds[i] + d;
            _startArrivals[i + 1] = _startArrivals[i] + ((s.StartRate + s.EndRate) / 2 * d);
        }

        Description = description ?? Describe(_segments);
    }

    public IReadOnlyList<LoadSegment> Segments => _segments;

    public TimeSpan Duration => TimeSpan.FromSeconds(_startSeconds[^1]);

    /// <summary>Expected arrivals over the whole profile.</summary>
    public double TotalArrivals => _startArrivals[^1];

    public double PeakRate => _segments.Max(s => Math.Max(s.StartRate, s.EndRate));

    /// <summary>The profile in the <c>--profile</c> syntax (or where it came from, for a trace).</summary>
    public string Description { get; }

    public static LoadProfile Constant(double rate, TimeSpan duration) =>
        new([new LoadSegment(duration, rate, rate)]);

    /// <summary>The rate (requests per second) at time <paramref name="at"/>; 0 outside the profile.</summary>
    public double RateAt(TimeSpan at)
    {
        var t = at.TotalSeconds;
        if (t < 0 || t >= _startSeconds[^1])
        {
            return 0;
        }

        var i = SegmentAt(t);
        var s = _segments[i];
        var f = (t - _startSeconds[i]) / s.Duration.TotalSeconds;
        return s.StartRate + ((s.EndRate - s.StartRate) * f);
    }

    /// <summary>Λ(t): the expected number of arrivals from the start to <paramref name="at"/>.</summary>
    public double ArrivalsBy(TimeSpan at)
    {
        var t = Math.Clamp(at.TotalSeconds, 0, _startSeconds[^1]);
        if (t >= _startSeconds[^1])
        {
            return _startArrivals[^1];
        }

        var i = SegmentAt(t);
        return _startArrivals[i] + SegmentArrivals(_segments[i], t - _startSeconds[i]);
    }

    /// <summary>Expected arrivals between two times (the target load of a reporting window).</summary>
    public double ArrivalsBetween(TimeSpan from, TimeSpan to) => ArrivalsBy(to) - ArrivalsBy(from);

    /// <summary>The time at which Λ reaches <paramref name="arrivals"/>, or null when the profile ends first.</summary>
    public TimeSpan? TimeOfArrival(double arrivals)
    {
        if (arrivals < 0 || arrivals >= _startArrivals[^1])
        {
            return null;
        }

        // The last segment whose cumulative arrivals at its start are <= the target holds the answer.
        var i = Array.BinarySearch(_startArrivals, 0, _segments.Length, arrivals);
        i = i >= 0 ? i : ~i - 1;
        // Zero-rate segments share their start count with the next one; skip to the segment that produces arrivals.
        while (i < _segments.Length - 1 && _startArrivals[i + 1] <= arrivals)
        {
            i++;
        }

        var s = _segments[i];
        var x = arrivals - _startArrivals[i];
        var a = s.StartRate;
        var d = s.Duration.TotalSeconds;
        var k = (s.EndRate - a) / (2 * d);
        // Root of k·τ² + a·τ = x written so it stays exact when k is 0 or tiny (no cancellation).
        var tau = x <= 0 ? 0 : 2 * x / (a + Math.Sqrt(Math.Max(0, (a * a) + (4 * k * x))));
        return TimeSpan.FromSeconds(_startSeconds[i] + Math.Min(tau, d));
    }

    /// <summary>Parses <c>60s@20,30s@20..80,60s@80</c>: comma-separated <c>DURATION@RATE</c> (constant) or
    /// <c>DURATION@FROM..TO</c> (linear ramp). Reports every problem, naming the segment.</summary>
    public static bool TryParse(string? text, out LoadProfile? profile, out IReadOnlyList<string> errors)
    {
        profile = null;
        var problems = new List<string>();
        errors = problems;
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add("profile is empty; expected segments like 60s@20,30s@20..80,60s@80");
            return false;
        }

        var segments = new List<LoadSegment>();
        var parts = text.Split(',');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i].Trim();
            var where = $"profile segment {i + 1} ('{part}')";
            var at = part.IndexOf('@', StringComparison.Ordinal);
            if (at < 0)
            {
                problems.Add($"{where}: expected DURATION@RATE or DURATION@FROM..TO, e.g. 60s@20 or 30s@20..80");
                continue;
            }

            var durationText = part[..at].Trim();
            var rateText = part[(at + 1)..].Trim();
            var ok = true;
            if (!DurationText.TryParse(durationText, out var duration) || duration <= TimeSpan.Zero)
            {
                problems.Add($"{where}: duration '{durationText}' is not a positive duration like 60s, 2m or 500ms{DurationText.Hint(durationText)}");
                ok = false;
            }

            double from, to;
            var ramp = rateText.IndexOf("..", StringComparison.Ordinal);
            if (ramp >= 0)
            {
                var fromOk = TryRate(rateText[..ramp], out from);
                var toOk = TryRate(rateText[(ramp + 2)..], out to);
                if (!fromOk || !toOk)
                {
                    problems.Add($"{where}: ramp '{rateText}' must be FROM..TO with two rates of at least 0 (requests per second), e.g. 20..80");
                    ok = false;
                }
            }
            else if (!TryRate(rateText, out from))
            {
                problems.Add($"{where}: rate '{rateText}' is not a number of at least 0 (requests per second) or a ramp like 20..80");
                ok = false;
                to = 0;
            }
            else
            {
                to = from;
            }

            if (ok)
            {
                segments.Add(new LoadSegment(duration, from, to));
            }
        }

        if (problems.Count == 0 && segments.All(s => s.StartRate == 0 && s.EndRate == 0))
        {
            problems.Add("profile sends nothing: every rate is 0");
        }

        if (problems.Count > 0)
        {
            return false;
        }

        profile = new LoadProfile(segments);
        return true;
    }

    /// <summary>Parses the <c>--profile</c> syntax or throws <see cref="FormatException"/> listing every problem.</summary>
    public static LoadProfile Parse(string text) =>
        TryParse(text, out var profile, out var errors) ? profile! : throw new FormatException(string.Join("; ", errors));

    /// <summary>Reads a request-rate trace: CSV rows <c>t_seconds,requests_per_second</c> (a header line is
    /// optional; blank lines and lines starting with # are skipped), each rate holding until the next row's time;
    /// the last row lasts as long as the one before it.</summary>
    public static bool TryReadTrace(
        TextReader reader, TraceReplay replay, string source, out LoadProfile? profile, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(replay);
        profile = null;
        var problems = new List<string>();
        errors = problems;
        if (!(replay.Scale >= 0) || !double.IsFinite(replay.Scale))
        {
            problems.Add($"scale must be a number of at least 0 (got {replay.Scale.ToString(CultureInfo.InvariantCulture)})");
        }

        if (!(replay.Speedup > 0) || !double.IsFinite(replay.Speedup))
        {
            problems.Add($"speedup must be a number greater than 0 (got {replay.Speedup.ToString(CultureInfo.InvariantCulture)})");
        }

        if (replay.Start < TimeSpan.Zero || replay.Length <= TimeSpan.Zero)
        {
            problems.Add("trace start must be at least 0 and trace length greater than 0");
        }

        if (problems.Count > 0)
        {
            return false;
        }

        var times = new List<double>();
        var rates = new List<double>();
        var lineNumber = 0;
        const int MaxReported = 10;
        var bad = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }

            var cells = trimmed.Split(',');
            var timeOk = double.TryParse(cells[0].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var t);
            if (!timeOk && times.Count == 0 && bad == 0 && lineNumber == 1)
            {
                continue; // the header
            }

            var rate = 0.0;
            var rateOk = cells.Length >= 2
                && double.TryParse(cells[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out rate)
                && IsRate(rate);
            string? problem = null;
            if (cells.Length < 2)
            {
                problem = "expected t_seconds,requests_per_second";
            }
            else if (!timeOk || !double.IsFinite(t) || t < 0)
            {
                problem = $"t_seconds '{cells[0].Trim()}' is not a number of at least 0";
            }
            else if (!rateOk)
            {
                problem = $"requests_per_second '{cells[1].Trim()}' is not a number of at least 0";
            }
            else if (times.Count > 0 && t <= times[^1])
            {
                problem = $"t_seconds {cells[0].Trim()} does not increase (previous row: {times[^1].ToString(CultureInfo.InvariantCulture)})";
            }

            if (problem is not null)
            {
                if (++bad <= MaxReported)
                {
                    problems.Add($"{source}:{lineNumber}: {problem}");
                }

                continue;
            }

            times.Add(t);
            rates.Add(rate);
        }

        if (bad > MaxReported)
        {
            problems.Add($"{source}: {bad - MaxReported} more bad lines");
        }

        if (problems.Count == 0 && times.Count < 2)
        {
            problems.Add($"{source}: needs at least two rows (the spacing of the rows is the length of each rate's bucket)");
        }

        if (problems.Count > 0)
        {
            return false;
        }

        var from = times[0] + replay.Start.TotalSeconds;
        var last = times[^1] + (times[^1] - times[^2]);
        var until = replay.Length is { } length ? Math.Min(last, from + length.TotalSeconds) : last;
        if (from >= until)
        {
            problems.Add($"{source}: the trace covers t_seconds {times[0].ToString(CultureInfo.InvariantCulture)} to "
                + $"{last.ToString(CultureInfo.InvariantCulture)}; nothing is left from trace start {DurationText.Format(replay.Start)}");
            return false;
        }

        var segments = new List<LoadSegment>();
        for (var i = 0; i < times.Count; i++)
        {
            var start = Math.Max(times[i], from);
            var end = Math.Min(i + 1 < times.Count ? times[i + 1] : last, until);
            if (end <= start)
            {
                continue;
            }

            var r = rates[i] * replay.Scale;
            var seconds = (end - start) / replay.Speedup;
            // Equal neighbouring rates become one segment: long traces stay small in memory.
            if (segments.Count > 0 && segments[^1].StartRate == r)
            {
                segments[^1] = segments[^1] with { Duration = segments[^1].Duration + TimeSpan.FromSeconds(seconds) };
            }
            else if (seconds > 0)
            {
                segments.Add(new LoadSegment(TimeSpan.FromSeconds(seconds), r, r));
            }
        }

        if (segments.Count == 0 || segments.Sum(s => s.Duration.TotalSeconds) < 1e-3)
        {
            problems.Add($"{source}: the replay would last less than a millisecond");
            return false;
        }

        if (segments.All(s => s.StartRate == 0))
        {
            problems.Add($"{source}: every rate in the replayed part is 0 (after scale {replay.Scale.ToString(CultureInfo.InvariantCulture)})");
            return false;
        }

        var description = string.Create(CultureInfo.InvariantCulture,
            $"trace {source} ×{replay.Scale} at {replay.Speedup}× speed, trace {DurationText.Format(TimeSpan.FromSeconds(from - times[0]))}..{DurationText.Format(TimeSpan.FromSeconds(until - times[0]))}");
        profile = new LoadProfile(segments, description);
        return true;
    }

    /// <summary>Reads a trace file (see <see cref="TryReadTrace"/>).</summary>
    public static bool TryLoadTrace(string path, TraceReplay replay, out LoadProfile? profile, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            profile = null;
            errors = [$"trace file '{path}' does not exist"];
            return false;
        }

        using var reader = new StreamReader(path, Encoding.UTF8);
        return TryReadTrace(reader, replay, Path.GetFileName(path), out profile, out errors);
    }

    private int SegmentAt(double t)
    {
        var i = Array.BinarySearch(_startSeconds, 0, _segments.Length, t);
        return i >= 0 ? i : ~i - 1;
    }

    private static double SegmentArrivals(LoadSegment s, double tau)
    {
        var k = (s.EndRate - s.StartRate) / (2 * s.Duration.TotalSeconds);
        return (s.StartRate * tau) + (k * tau * tau);
    }

    private static bool IsRate(double rate) => double.IsFinite(rate) && rate >= 0;

    private static bool TryRate(string text, out double rate) =>
        double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out rate) && IsRate(rate);

    private static string Describe(IEnumerable<LoadSegment> segments) =>
        string.Join(",", segments.Select(s => string.Create(CultureInfo.InvariantCulture,
            $"{DurationText.Format(s.Duration)}@{s.StartRate:0.###}{(s.EndRate == s.StartRate ? "" : string.Create(CultureInfo.InvariantCulture, $"..{s.EndRate:0.###}"))}")));
}

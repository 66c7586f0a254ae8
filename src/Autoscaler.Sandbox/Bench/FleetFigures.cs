using System.Globalization;

namespace Autoscaler.Sandbox.Bench;

/// <summary>What <c>bench --only fleet</c> found (written as JSON with <c>--json</c>).</summary>
public sealed record FleetFigures
{
    public string? Date { get; init; }

    public int Pools { get; init; }

    /// <summary>Instances each pool scaled to (and back from).</summary>
    public int Instances { get; init; }

    public double EvaluationIntervalSeconds { get; init; }

    /// <summary>Seconds from the scale requests until every pool served the new size: <c>up</c> (2 → M) and
    /// <c>down</c> (M → 2, every surplus instance deleted).</summary>
    public required FleetConvergence ConvergeSeconds { get; init; }

    /// <summary>The service's Linode calls by rate-limit bucket, over sliding windows of the whole run.</summary>
    public required IReadOnlyDictionary<string, BucketFigures> Calls { get; init; }

    /// <summary>Answers 429 the service got.</summary>
    public int Http429 { get; init; }

    public int TotalCalls { get; init; }

    public double CycleP50Ms { get; init; }

    /// <summary>99th percentile of one pool evaluation (serve's <c>autoscaler_engine_cycle_duration_seconds</c>,
    /// read as the upper bound of the bucket it falls in); NaN when serve exports no such histogram.</summary>
    public double CycleP99Ms { get; init; }

    /// <summary>serve's peak resident memory (VmHWM, or the highest VmRSS sampled).</summary>
    public long PeakRssMiB { get; init; }

    /// <summary>The emulator's resident memory and threads at the fleet's largest (lightweight instances live in
    /// it).</summary>
    public long EmulatorRssMiB { get; init; }

    public int EmulatorThreads { get; init; }
}

/// <summary>Time to converge each way.</summary>
public sealed record FleetConvergence(double Up, double Down);

/// <summary>One rate-limit bucket's use: the busiest sliding minute (and the busiest window of the bucket's own
/// length, which for creates is 15 s), the mean per minute, and Linode's limit per window.</summary>
public sealed record BucketFigures
{
    public int MaxPerMinute { get; init; }

    public double MeanPerMinute { get; init; }

    /// <summary>Linode's limit per <see cref="WindowSeconds"/>.</summary>
    public int Limit { get; init; }

    public double WindowSeconds { get; init; }

    /// <summary>The most calls in any sliding window of <see cref="WindowSeconds"/>: what the limit is about.</summary>
    public int MaxPerWindow { get; init; }

    public int Total { get; init; }
}

/// <summary>
/// Linode's published rate-limit buckets (SUBSET.md §13, docs/emulator-api.md): create 20 per 15 s, paginated GETs
/// 200 a minute, list images 20, stats 50, every other call 1,600 a minute; and which of them a recorded call
/// counts against, from its method and path as the emulator classifies it.
/// </summary>
public static class LinodeBuckets
{
    public static readonly IReadOnlyDictionary<string, (int Limit, TimeSpan Window)> Limits =
        new Dictionary<string, (int, TimeSpan)>(StringComparer.Ordinal)
        {
            ["create"] = (20, TimeSpan.FromSeconds(15)),
            ["paginated"] = (200, TimeSpan.FromMinutes(1)),
            ["images"] = (20, TimeSpan.FromMinutes(1)),
            ["stats"] = (50, TimeSpan.FromMinutes(1)),
            ["general"] = (1600, TimeSpan.FromMinutes(1)),
        };

    // GETs whose path ends in a name but answer one object (the emulator's list, the same as Linode's pages).
    private static readonly HashSet<string> SingleObjects = new(StringComparer.Ordinal)
    {
        "account", "settings", "profile", "grants", "ips", "rules",
    };

    /// <summary>The bucket of a call, e.g. <c>POST /linode/instances</c> → create; <c>GET /linode/instances</c> →
    /// paginated; <c>GET /linode/instances/7</c> → general.</summary>
    public static string Of(string method, string path)
    {
        var segments = path.Split('?', 2)[0].Split('/', StringSplitOptions.RemoveEmptyEntries)
            .SkipWhile(s => s is "v4" or "v4beta").ToArray();
        var normalized = "/" + string.Join('/', segments);
        if (method == "POST" && normalized == "/linode/instances")
        {
            return "create";
        }

        if (method != "GET")
        {
            return "general";
        }

        if (normalized == "/images")
        {
            return "images";
        }

        if (segments.Contains("stats"))
        {
            return "stats";
        }

        var last = segments.Length == 0 ? "" : segments[^1];
        var isId = last.Length > 0 && last.All(char.IsAsciiDigit);
        return segments is ["tags", _] || (last.Length > 0 && !isId && !SingleObjects.Contains(last)) ? "paginated" : "general";
    }

    /// <summary>Use of a bucket by calls at <paramref name="times"/> (seconds) during a run from
    /// <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static BucketFigures Measure(string bucket, IReadOnlyList<double> times, double from, double to)
    {
        var (limit, window) = Limits[bucket];
        var sorted = times.Order().ToArray();
        return new BucketFigures
        {
            Limit = limit,
            WindowSeconds = window.TotalSeconds,
            Total = sorted.Length,
            MaxPerMinute = MaxInWindow(sorted, 60),
            MaxPerWindow = MaxInWindow(sorted, window.TotalSeconds),
            MeanPerMinute = Math.Round(MeanPerMinute(sorted, from, to), 1),
        };
    }

    /// <summary>The mean count over the run's sliding minutes (one starting each second); a run of a minute or less
    /// is one window.</summary>
    public static double MeanPerMinute(IReadOnlyList<double> sorted, double from, double to)
    {
        var starts = (int)Math.Floor(to - from - 60);
        if (starts <= 0)
        {
            return sorted.Count(t => t >= from && t <= to);
        }

        long sum = 0;
        for (var i = 0; i <= starts; i++)
        {
            var a = from + i;
            sum += sorted.Count(t => t >= a && t < a + 60);
        }

        return sum / (double)(starts + 1);
    }

    /// <summary>The most calls in any window of <paramref name="seconds"/> (each window starts at a call).</summary>
    public static int MaxInWindow(IReadOnlyList<double> sorted, double seconds)
    {
        var best = 0;
        var end = 0;
        for (var start = 0; start < sorted.Count; start++)
        {
            while (end < sorted.Count && sorted[end] < sorted[start] + seconds)
            {
                end++;
            }

            best = Math.Max(best, end - start);
        }

        return best;
    }

    /// <summary>A quantile of a Prometheus histogram from its cumulative <c>_bucket</c> lines, interpolated inside
    /// the bucket it falls in as PromQL's <c>histogram_quantile</c> does (seconds); NaN without samples.</summary>
    public static double HistogramQuantile(string exposition, string name, double q)
    {
        var buckets = new List<(double Le, double Count)>();
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(name + "_bucket{", StringComparison.Ordinal))
            {
                continue;
            }

            var le = line.IndexOf("le=\"", StringComparison.Ordinal);
            if (le < 0)
            {
                continue;
            }

            var bound = line[(le + 4)..line.IndexOf('"', le + 4)];
            var value = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            buckets.Add((bound == "+Inf" ? double.PositiveInfinity : double.Parse(bound, CultureInfo.InvariantCulture), value));
        }

        if (buckets.Count == 0 || buckets[^1].Count <= 0)
        {
            return double.NaN;
        }

        buckets.Sort((a, b) => a.Le.CompareTo(b.Le));
        var rank = q * buckets[^1].Count;
        var index = buckets.FindIndex(b => b.Count >= rank);
        var hit = buckets[index];
        if (double.IsPositiveInfinity(hit.Le))
        {
            // Beyond the largest finite bound: that bound is the best figure there is.
            return index > 0 ? buckets[index - 1].Le : double.NaN;
        }

        var (lower, below) = index > 0 ? buckets[index - 1] : (0d, 0d);
        var inBucket = hit.Count - below;
        return inBucket <= 0 ? hit.Le : lower + ((hit.Le - lower) * (rank - below) / inBucket);
    }
}

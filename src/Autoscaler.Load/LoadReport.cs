using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Autoscaler.Load;

/// <summary>Requests that did not get a 2xx/3xx answer, by why.</summary>
/// <param name="Http4xx">Answered with a 4xx status.</param>
/// <param name="Http5xx">Answered with a 5xx status (the Workload's 503 when its queue is full).</param>
/// <param name="Timeout">No full answer within the request's timeout.</param>
/// <param name="Refused">The connection was refused (nothing listening).</param>
/// <param name="Connection">Any other transport failure (reset, closed early, unreachable).</param>
/// <param name="Dropped">Never sent: the in-flight limit was reached at its scheduled time.</param>
public sealed record LoadErrorCounts(long Http4xx, long Http5xx, long Timeout, long Refused, long Connection, long Dropped)
{
    public static LoadErrorCounts None { get; } = new(0, 0, 0, 0, 0, 0);

    public long Total => Http4xx + Http5xx + Timeout + Refused + Connection + Dropped;

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteNumber("http4xx", Http4xx);
        json.WriteNumber("http5xx", Http5xx);
        json.WriteNumber("timeout", Timeout);
        json.WriteNumber("refused", Refused);
        json.WriteNumber("connection", Connection);
        json.WriteNumber("dropped", Dropped);
        json.WriteEndObject();
    }

    /// <summary>"5xx 3, timeout 1" (only the kinds that occurred).</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        Add("4xx", Http4xx);
        Add("5xx", Http5xx);
        Add("timeout", Timeout);
        Add("refused", Refused);
        Add("conn", Connection);
        Add("dropped", Dropped);
        return string.Join(", ", parts);

        void Add(string name, long n)
        {
            if (n > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {n}"));
            }
        }
    }
}

/// <summary>
/// One reporting window (one second, the last one possibly shorter). Arrivals (sent, dropped) count in the window
/// in which they were due; outcomes (answers, errors, latencies) in the window in which they happened.
/// </summary>
public sealed record LoadSample
{
    /// <summary>Index of the window: second <c>n</c> of the run covers [n, n+1) s from the start.</summary>
    public required int Second { get; init; }

    /// <summary>Wall-clock time of the window's start (to line the run up with other series).</summary>
    public required DateTimeOffset At { get; init; }

    public required double LengthSeconds { get; init; }

    /// <summary>The profile's rate averaged over the window (requests per second).</summary>
    public required double TargetRate { get; init; }

    /// <summary>Requests sent (arrivals that found room under the in-flight limit).</summary>
    public required long Sent { get; init; }

    /// <summary>Requests that got an HTTP answer, whatever its status.</summary>
    public required long Answered { get; init; }

    /// <summary>Answers with a 2xx or 3xx status.</summary>
    public required long Ok { get; init; }

    public required LoadErrorCounts ErrorsByKind { get; init; }

    /// <summary>Every request that did not get a 2xx/3xx answer, dropped ones included.</summary>
    public long Errors => ErrorsByKind.Total;

    public long Dropped => ErrorsByKind.Dropped;

    /// <summary>Requests in flight when the window closed.</summary>
    public required int InFlight { get; init; }

    /// <summary>Latency from the scheduled send time to the end of the answer, over the answers and timeouts that
    /// completed in the window (null when none did).</summary>
    public double? P50Ms { get; init; }

    public double? P95Ms { get; init; }

    public double? P99Ms { get; init; }

    public double? MaxMs { get; init; }

    /// <summary>How late the generator itself sent (worst case in the window): near 0 unless it is overloaded.</summary>
    public double MaxLagMs { get; init; }

    public double SentRate => LengthSeconds > 0 ? Sent / LengthSeconds : 0;

    public double OkRate => LengthSeconds > 0 ? Ok / LengthSeconds : 0;

    internal void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteNumber("t", Second);
        json.WriteString("at", At);
        json.WriteNumber("lengthSeconds", Math.Round(LengthSeconds, 3));
        json.WriteNumber("targetRate", Math.Round(TargetRate, 3));
        json.WriteNumber("sent", Sent);
        json.WriteNumber("sentRate", Math.Round(SentRate, 3));
        json.WriteNumber("answered", Answered);
        json.WriteNumber("ok", Ok);
        json.WriteNumber("errors", Errors);
        json.WriteNumber("dropped", Dropped);
        json.WritePropertyName("errorsByKind");
        ErrorsByKind.Write(json);
        json.WriteNumber("inFlight", InFlight);
        LoadReport.WriteMs(json, "p50Ms", P50Ms);
        LoadReport.WriteMs(json, "p95Ms", P95Ms);
        LoadReport.WriteMs(json, "p99Ms", P99Ms);
        LoadReport.WriteMs(json, "maxMs", MaxMs);
        json.WriteNumber("maxLagMs", Math.Round(MaxLagMs, 3));
        json.WriteEndObject();
    }
}

/// <summary>A summary's view of a run: requests the profile asked for (sent + dropped), those that did not get a
/// 2xx/3xx answer, and the 95th percentile latency in milliseconds (null when nothing was answered).</summary>
public sealed record LoadRequestSummary(long Total, long Errors, double? P95Ms);

/// <summary>The whole run's counts and latency distribution.</summary>
public sealed record LoadTotals
{
    /// <summary>Arrivals the profile produced while the run lasted: sent + dropped.</summary>
    public long Scheduled => Sent + ErrorsByKind.Dropped;

    public required long Sent { get; init; }

    public required long Answered { get; init; }

    public required long Ok { get; init; }

    public required LoadErrorCounts ErrorsByKind { get; init; }

    /// <summary>Every request that did not get a 2xx/3xx answer, dropped ones included.</summary>
    public long Errors => ErrorsByKind.Total;

    /// <summary>Requests abandoned because the run was stopped (not errors of the target).</summary>
    public required long Cancelled { get; init; }

    /// <summary>Answers by HTTP status code.</summary>
    public required IReadOnlyDictionary<int, long> StatusCodes { get; init; }

    /// <summary>How long the schedule ran (the profile's duration unless stopped early).</summary>
    public required double ScheduleSeconds { get; init; }

    /// <summary>The profile's expected arrivals over <see cref="ScheduleSeconds"/>.</summary>
    public required double ExpectedArrivals { get; init; }

    public double TargetRate => ScheduleSeconds > 0 ? ExpectedArrivals / ScheduleSeconds : 0;

    /// <summary>The achieved sending rate.</summary>
    public double SentRate => ScheduleSeconds > 0 ? Sent / ScheduleSeconds : 0;

    public double? P50Ms { get; init; }

    public double? P95Ms { get; init; }

    public double? P99Ms { get; init; }

    public double? MaxMs { get; init; }

    public double? MeanMs { get; init; }

    public double MaxLagMs { get; init; }
}

/// <summary>The outcome of one run: per-second samples and totals. <see cref="WriteJson"/> writes the shape the demo
/// summary and plot read: <c>{"requests": {"total", "errors", "p95Ms"}, "totals": {...}, "seconds": [...]}</c>.</summary>
public sealed record LoadReport
{
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>From the start to the last answer (the schedule plus the drain of requests still in flight).</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>True when the run was stopped before its profile ended.</summary>
    public required bool Cancelled { get; init; }

    public required IReadOnlyList<Uri> Targets { get; init; }

    public required string Profile { get; init; }

    public required ArrivalProcess Arrivals { get; init; }

    public required int Seed { get; init; }

    public required IReadOnlyList<LoadSample> Seconds { get; init; }

    public required LoadTotals Totals { get; init; }

    /// <summary>The three numbers a summary needs: requests the profile asked for (sent + dropped), those that did
    /// not get a 2xx/3xx answer, and the 95th percentile latency.</summary>
    public LoadRequestSummary Requests => new(Totals.Scheduled, Totals.Errors, Totals.P95Ms);

    public void WriteJson(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("requests");
        json.WriteNumber("total", Totals.Scheduled);
        json.WriteNumber("errors", Totals.Errors);
        WriteMs(json, "p95Ms", Totals.P95Ms);
        json.WriteEndObject();

        json.WriteString("startedAt", StartedAt);
        json.WriteNumber("elapsedSeconds", Math.Round(Elapsed.TotalSeconds, 3));
        json.WriteBoolean("cancelled", Cancelled);
        json.WriteStartArray("targets");
        foreach (var target in Targets)
        {
            json.WriteStringValue(target.ToString());
        }

        json.WriteEndArray();
        json.WriteString("profile", Profile);
        json.WriteString("arrivals", Arrivals == ArrivalProcess.Poisson ? "poisson" : "uniform");
        json.WriteNumber("seed", Seed);

        var t = Totals;
        json.WriteStartObject("totals");
        json.WriteNumber("scheduled", t.Scheduled);
        json.WriteNumber("sent", t.Sent);
        json.WriteNumber("answered", t.Answered);
        json.WriteNumber("ok", t.Ok);
        json.WriteNumber("errors", t.Errors);
        json.WriteNumber("dropped", t.ErrorsByKind.Dropped);
        json.WritePropertyName("errorsByKind");
        t.ErrorsByKind.Write(json);
        json.WriteNumber("cancelled", t.Cancelled);
        json.WriteStartObject("statusCodes");
        foreach (var (code, count) in t.StatusCodes.OrderBy(p => p.Key))
        {
            json.WriteNumber(code.ToString(CultureInfo.InvariantCulture), count);
        }

        json.WriteEndObject();
        json.WriteNumber("scheduleSeconds", Math.Round(t.ScheduleSeconds, 3));
        json.WriteNumber("targetRate", Math.Round(t.TargetRate, 3));
        json.WriteNumber("sentRate", Math.Round(t.SentRate, 3));
        WriteMs(json, "p50Ms", t.P50Ms);
        WriteMs(json, "p95Ms", t.P95Ms);
        WriteMs(json, "p99Ms", t.P99Ms);
        WriteMs(json, "maxMs", t.MaxMs);
        WriteMs(json, "meanMs", t.MeanMs);
        json.WriteNumber("maxLagMs", Math.Round(t.MaxLagMs, 3));
        json.WriteEndObject();

        json.WriteStartArray("seconds");
        foreach (var sample in Seconds)
        {
            sample.Write(json);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        WriteJson(buffer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static void WriteMs(Utf8JsonWriter json, string name, double? ms)
    {
        if (ms is { } value)
        {
            json.WriteNumber(name, Math.Round(value, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Autoscaler.Core.Simulation;

namespace Autoscaler.Cli.Simulate;

/// <summary>The outcome of <see cref="PrometheusRangeSource.FetchAsync"/>: a trace, or why not.</summary>
/// <param name="Trace">One row per step from <c>--from</c>, null on failure.</param>
/// <param name="Error">Why there is no trace.</param>
/// <param name="MissingSteps">Steps without a value (no series, NaN), counted as 0 requests per second.</param>
public sealed record PrometheusTrace(LoadTrace? Trace, string? Error, int MissingSteps);

/// <summary>
/// Reads a request rate from Prometheus' range query API (<c>GET /api/v1/query_range</c>) as a trace: one row per
/// step, the query's value at that time (e.g. <c>sum(rate(http_requests_total[1m]))</c>). Long ranges are fetched in
/// chunks under Prometheus' 11,000-points-per-series limit. The query must give one series; steps where it has none
/// count as 0.
/// </summary>
public static class PrometheusRangeSource
{
    /// <summary>Points per request (Prometheus refuses more than 11,000).</summary>
    public const int ChunkPoints = 10_000;

    public static async Task<PrometheusTrace> FetchAsync(HttpClient http, Uri prometheus, string query, DateTimeOffset from, DateTimeOffset to,
        TimeSpan step, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(prometheus);
        ArgumentNullException.ThrowIfNull(query);
        if (step <= TimeSpan.Zero)
        {
            return new PrometheusTrace(null, "the step must be positive", 0);
        }

        if (to <= from)
        {
            return new PrometheusTrace(null, $"--to ({to:O}) must be after --from ({from:O})", 0);
        }

        var points = (int)Math.Min(int.MaxValue - 1, Math.Floor((to - from) / step)) + 1;
        if (points < 2)
        {
            return new PrometheusTrace(null, $"the range from {from:O} to {to:O} holds fewer than two steps of {step}", 0);
        }

        var values = new double[points];
        var seen = new bool[points];
        for (var first = 0; first < points; first += ChunkPoints)
        {
            var last = Math.Min(points - 1, first + ChunkPoints - 1);
            var error = await FetchChunkAsync(http, prometheus, query, from, step, first, last, values, seen, cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                return new PrometheusTrace(null, error, 0);
            }
        }

        var missing = seen.Count(s => !s);
        if (missing == points)
        {
            return new PrometheusTrace(null, $"the query returned no data between {from:O} and {to:O}", missing);
        }

        return new PrometheusTrace(new LoadTrace(from, step, values), null, missing);
    }

    private static async Task<string?> FetchChunkAsync(HttpClient http, Uri prometheus, string query, DateTimeOffset from, TimeSpan step,
        int first, int last, double[] values, bool[] seen, CancellationToken ct)
    {
        var start = from + (step * first);
        var end = from + (step * last);
        var url = new Uri(prometheus.AbsoluteUri.TrimEnd('/') + "/api/v1/query_range"
            + "?query=" + Uri.EscapeDataString(query)
            + "&start=" + Unix(start)
            + "&end=" + Unix(end)
            + "&step=" + step.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            return $"cannot reach Prometheus at {prometheus}: {ex.Message}";
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"Prometheus at {prometheus} did not answer within {http.Timeout.TotalSeconds:0} s";
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(body);
            }
            catch (JsonException)
            {
                return $"Prometheus answered {(int)response.StatusCode} {response.ReasonPhrase} without a JSON body (is {prometheus} a Prometheus server?)";
            }

            using (doc)
            {
                var root = doc.RootElement;
                var status = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("status", out var s) ? s.GetString() : null;
                if (!response.IsSuccessStatusCode || status != "success")
                {
                    var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errorType", out var t) ? t.GetString() : null;
                    var message = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) ? e.GetString() : null;
                    return $"Prometheus refused the query ({(int)response.StatusCode}{(type is null ? "" : ", " + type)}): {message ?? "no error message"}";
                }

                if (!root.TryGetProperty("data", out var data) || !data.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Array)
                {
                    return "Prometheus' answer has no data.result";
                }

                if (data.TryGetProperty("resultType", out var rt) && rt.GetString() != "matrix")
                {
                    return $"the query gives a {rt.GetString()}, not a range vector";
                }

                var series = result.GetArrayLength();
                if (series > 1)
                {
                    var labels = string.Join("; ", result.EnumerateArray().Take(3).Select(r => r.TryGetProperty("metric", out var m) ? m.GetRawText() : "{}"));
                    return $"the query gives {series} series ({labels}{(series > 3 ? "; …" : "")}); aggregate it to one, e.g. sum(rate(http_requests_total[1m]))";
                }

                if (series == 0)
                {
                    return null;
                }

                if (!result[0].TryGetProperty("values", out var points) || points.ValueKind != JsonValueKind.Array)
                {
                    return "the series has no values";
                }

                foreach (var point in points.EnumerateArray())
                {
                    if (point.ValueKind != JsonValueKind.Array || point.GetArrayLength() != 2 || point[0].ValueKind != JsonValueKind.Number)
                    {
                        return $"unexpected sample {point.GetRawText()}";
                    }

                    var at = point[0].GetDouble();
                    var offset = (at - from.ToUnixTimeMilliseconds() / 1000.0) / step.TotalSeconds;
                    var index = (int)Math.Round(offset);
                    if (index < first || index > last || Math.Abs(offset - index) > 0.01)
                    {
                        continue;
                    }

                    if (double.TryParse(point[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
                    {
                        if (v < 0)
                        {
                            return $"the query gives a negative rate ({point[1].GetString()}) at {DateTimeOffset.FromUnixTimeMilliseconds((long)(at * 1000)):O}";
                        }

                        values[index] = v;
                        seen[index] = true;
                    }
                }

                return null;
            }
        }
    }

    private static string Unix(DateTimeOffset t) => (t.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
}

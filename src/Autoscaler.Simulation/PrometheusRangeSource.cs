using System.Globalization;
using Autoscaler.PrometheusApi;

namespace Autoscaler.Simulation;

/// <summary>The outcome of <see cref="PrometheusRangeSource.FetchAsync"/>: a trace, or why not.</summary>
/// <param name="Trace">One row per step from <c>--from</c>, null on failure.</param>
/// <param name="Error">Why there is no trace.</param>
/// <param name="MissingSteps">Steps without a value (no series, NaN), counted as 0 requests per second.</param>
public sealed record PrometheusTrace(LoadTrace? Trace, string? Error, int MissingSteps);

/// <summary>
/// Reads a request rate from Prometheus' range query API (<c>GET /api/v1/query_range</c>) as a trace: one row per
/// step, the query's value at that time (e.g. <c>sum(rate(http_requests_total[1m]))</c>). Long ranges are fetched in
/// chunks under Prometheus' 11,000-points-per-series limit. The query must give one series; steps where it has none
/// count as 0. The HTTP and the answer's format are <see cref="PrometheusClient"/>'s.
/// </summary>
public static class PrometheusRangeSource
{
    /// <summary>Points per request (Prometheus refuses more than 11,000).</summary>
    public const int ChunkPoints = PrometheusClient.RangeChunkPoints;

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

        var answer = await new PrometheusClient(http).QueryRangeAsync(prometheus, query, from, from + (step * (points - 1)), step, cancellationToken)
            .ConfigureAwait(false);
        if (answer.Error is { } error)
        {
            return new PrometheusTrace(null, error.Message, 0);
        }

        var values = new double[points];
        var missing = 0;
        for (var i = 0; i < points; i++)
        {
            if (answer.Values[i] is not { } v)
            {
                missing++;
            }
            else if (v < 0)
            {
                return new PrometheusTrace(null, $"the query gives a negative rate ({v.ToString(CultureInfo.InvariantCulture)}) at {from + (step * i):O}", 0);
            }
            else
            {
                values[i] = v;
            }
        }

        if (missing == points)
        {
            return new PrometheusTrace(null, $"the query returned no data between {from:O} and {to:O}", missing);
        }

        return new PrometheusTrace(new LoadTrace(from, step, values), null, missing);
    }
}

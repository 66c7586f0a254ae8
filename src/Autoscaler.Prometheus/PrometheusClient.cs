using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Autoscaler.PrometheusApi;

/// <summary>
/// Prometheus' HTTP API, the two reads the project makes: an instant query that must give one number (a scalar or a
/// one-series instant vector), and a range query of one series read in chunks under Prometheus' 11,000-points limit.
/// Every failure is a value (<see cref="PrometheusError"/>) naming what happened; nothing is thrown except the
/// caller's own cancellation. The caller owns the <see cref="HttpClient"/>.
/// </summary>
public sealed class PrometheusClient
{
    /// <summary>Points asked for per range request (Prometheus refuses more than 11,000 per series).</summary>
    public const int RangeChunkPoints = 10_000;

    private readonly HttpClient _http;

    /// <param name="http">The client to send with (its own timeout applies where a call is given none).</param>
    public PrometheusClient(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
    }

    /// <summary>Runs <paramref name="query"/> at the current time on the server at <paramref name="server"/>.</summary>
    /// <param name="timeout">Time allowed for the answer; null leaves it to the HttpClient.</param>
    /// <exception cref="OperationCanceledException">Only when <paramref name="cancellationToken"/> is cancelled.</exception>
    public async Task<InstantQueryResult> QueryAsync(Uri server, string query, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(query);
        var url = new Uri(WithSlash(server), "api/v1/query?query=" + Uri.EscapeDataString(query));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t)
        {
            cts.CancelAfter(t);
        }

        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(cts.Token).ConfigureAwait(false);
            return InstantAnswer.Interpret(response.StatusCode, body);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            var seconds = (timeout ?? _http.Timeout).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
            return InstantQueryResult.Failed("timeout", $"Prometheus did not answer within {seconds} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return InstantQueryResult.Failed("unreachable", $"Prometheus at {server.GetLeftPart(UriPartial.Authority)} cannot be reached: {ex.Message}");
        }
    }

    /// <summary>Reads <paramref name="query"/> (which must give one series) at <paramref name="start"/> and every
    /// <paramref name="step"/> after it up to <paramref name="end"/>, in as many requests as the points need.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The step is not positive or the end is before the start.</exception>
    /// <exception cref="OperationCanceledException">Only when <paramref name="cancellationToken"/> is cancelled.</exception>
    public async Task<RangeQueryResult> QueryRangeAsync(Uri server, string query, DateTimeOffset start, DateTimeOffset end, TimeSpan step,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(step, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        var points = (int)Math.Min(int.MaxValue - 1, Math.Floor((end - start) / step)) + 1;
        var values = new double?[points];
        for (var first = 0; first < points; first += RangeChunkPoints)
        {
            var last = Math.Min(points - 1, first + RangeChunkPoints - 1);
            var error = await FetchChunkAsync(server, query, start, step, first, last, values, cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                return new RangeQueryResult([], error);
            }
        }

        return new RangeQueryResult(values, null);
    }

    private async Task<PrometheusError?> FetchChunkAsync(Uri server, string query, DateTimeOffset from, TimeSpan step, int first, int last,
        double?[] values, CancellationToken ct)
    {
        var start = from + (step * first);
        var end = from + (step * last);
        var url = new Uri(server.AbsoluteUri.TrimEnd('/') + "/api/v1/query_range"
            + "?query=" + Uri.EscapeDataString(query)
            + "&start=" + Unix(start)
            + "&end=" + Unix(end)
            + "&step=" + step.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            return new PrometheusError("unreachable", $"cannot reach Prometheus at {server}: {ex.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new PrometheusError("timeout", $"Prometheus at {server} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            return RangeAnswer.Read(server, response, body, from, step, first, last, values);
        }
    }

    private static Uri WithSlash(Uri u) => u.AbsoluteUri.EndsWith('/') ? u : new Uri(u.AbsoluteUri + "/");

    private static string Unix(DateTimeOffset t) => (t.ToUnixTimeMilliseconds() / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using Autoscaler.Core.Signals;

namespace Autoscaler.Service.Signals;

/// <summary>
/// <see cref="IMetricSource"/> over Prometheus' HTTP API (<c>GET /api/v1/query</c>, an instant query). A scalar or an
/// instant vector with exactly one sample is a value; an empty vector, several series, NaN/Inf, another result type,
/// an error status, an HTTP error, a timeout or an unreachable server is a missing reading with the reason. Nothing
/// is thrown into the engine except the caller's own cancellation.
/// </summary>
public sealed class PrometheusMetricSource : IMetricSource
{
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;
    private readonly Action<string>? _onMissing;

    /// <summary>Creates the source.</summary>
    /// <param name="http">Client to use (the caller owns it; its own timeout should be infinite or longer than <paramref name="timeout"/>).</param>
    /// <param name="timeout">Time allowed for one query. Default 10 s.</param>
    /// <param name="onMissing">Called with a short reason key (<c>http_error</c>, <c>timeout</c>, <c>empty</c>, …) on each missing reading, for metrics.</param>
    public PrometheusMetricSource(HttpClient http, TimeSpan? timeout = null, Action<string>? onMissing = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _timeout = timeout ?? TimeSpan.FromSeconds(10);
        _onMissing = onMissing;
    }

    /// <inheritdoc />
    public async ValueTask<MetricReading> ReadAsync(MetricQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var url = new Uri(WithSlash(query.Prometheus), "api/v1/query?query=" + Uri.EscapeDataString(query.Query));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_timeout);
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(cts.Token).ConfigureAwait(false);
            return Interpret(response.StatusCode, body);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return Missing("timeout", $"Prometheus did not answer within {_timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return Missing("unreachable", $"Prometheus at {query.Prometheus.GetLeftPart(UriPartial.Authority)} cannot be reached: {ex.Message}");
        }
    }

    private MetricReading Interpret(HttpStatusCode status, byte[] body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return (int)status is >= 200 and < 300
                ? Missing("bad_answer", "Prometheus answered with something that is not JSON")
                : Missing("http_error", $"Prometheus answered HTTP {(int)status}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Missing("bad_answer", "Prometheus answered with an unexpected JSON shape");
            }

            var ok = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() == "success";
            if (!ok || (int)status is < 200 or >= 300)
            {
                var errorType = root.TryGetProperty("errorType", out var et) && et.ValueKind == JsonValueKind.String ? et.GetString() : null;
                var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                return Missing("query_error", $"Prometheus answered HTTP {(int)status}{(errorType is null ? "" : " " + errorType)}{(error is null ? "" : ": " + Cut(error))}");
            }

            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
                || !data.TryGetProperty("resultType", out var rt) || rt.ValueKind != JsonValueKind.String
                || !data.TryGetProperty("result", out var result))
            {
                return Missing("bad_answer", "Prometheus' answer has no data.resultType/data.result");
            }

            switch (rt.GetString())
            {
                case "scalar":
                    return Sample(result, "scalar");
                case "vector":
                    if (result.ValueKind != JsonValueKind.Array)
                    {
                        return Missing("bad_answer", "the vector result is not an array");
                    }

                    var n = result.GetArrayLength();
                    if (n == 0)
                    {
                        return Missing("empty", "the query returned no series");
                    }

                    if (n > 1)
                    {
                        return Missing("multiple_series", $"the query returned {n} series; it must return exactly one (aggregate it, e.g. avg(...))");
                    }

                    var only = result[0];
                    return only.ValueKind == JsonValueKind.Object && only.TryGetProperty("value", out var value)
                        ? Sample(value, "vector")
                        : Missing("bad_answer", "the vector's sample has no value");
                default:
                    return Missing("unsupported_result", $"the query returned a {Cut(rt.GetString() ?? "")}; it must return a scalar or a one-series instant vector");
            }
        }
    }

    private MetricReading Sample(JsonElement pair, string what)
    {
        // A sample is [ <unix time>, "<value>" ]; the value is a string so that NaN and ±Inf survive JSON.
        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || pair[1].ValueKind != JsonValueKind.String)
        {
            return Missing("bad_answer", $"the {what} sample is not [time, \"value\"]");
        }

        var text = pair[1].GetString();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            v = text switch
            {
                "NaN" => double.NaN,
                "+Inf" or "Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                _ => double.NaN,
            };
            if (text is not ("NaN" or "+Inf" or "Inf" or "-Inf"))
            {
                return Missing("bad_answer", $"the {what} value '{Cut(text ?? "")}' is not a number");
            }
        }

        var reading = MetricReading.Of(v);
        if (reading.IsMissing)
        {
            _onMissing?.Invoke("nan");
        }

        return reading;
    }

    private MetricReading Missing(string key, string reason)
    {
        _onMissing?.Invoke(key);
        return MetricReading.Missing(reason);
    }

    private static Uri WithSlash(Uri u) => u.AbsoluteUri.EndsWith('/') ? u : new Uri(u.AbsoluteUri + "/");

    private static string Cut(string s) => s.Length <= 200 ? s : s[..200] + "…";
}

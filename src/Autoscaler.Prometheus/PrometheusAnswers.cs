using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Autoscaler.PrometheusApi;

/// <summary>Reads an instant query's answer: a scalar or an instant vector with exactly one sample is a value; an
/// empty vector, several series, another result type, an error status, an HTTP error or a body that is not
/// Prometheus' JSON is an error with its kind.</summary>
internal static class InstantAnswer
{
    public static InstantQueryResult Interpret(HttpStatusCode status, byte[] body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return (int)status is >= 200 and < 300
                ? InstantQueryResult.Failed("bad_answer", "Prometheus answered with something that is not JSON")
                : InstantQueryResult.Failed("http_error", $"Prometheus answered HTTP {(int)status}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return InstantQueryResult.Failed("bad_answer", "Prometheus answered with an unexpected JSON shape");
            }

            var ok = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() == "success";
            if (!ok || (int)status is < 200 or >= 300)
            {
                var errorType = root.TryGetProperty("errorType", out var et) && et.ValueKind == JsonValueKind.String ? et.GetString() : null;
                var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                return InstantQueryResult.Failed("query_error",
                    $"Prometheus answered HTTP {(int)status}{(errorType is null ? "" : " " + errorType)}{(error is null ? "" : ": " + Cut(error))}");
            }

            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
                || !data.TryGetProperty("resultType", out var rt) || rt.ValueKind != JsonValueKind.String
                || !data.TryGetProperty("result", out var result))
            {
                return InstantQueryResult.Failed("bad_answer", "Prometheus' answer has no data.resultType/data.result");
            }

            switch (rt.GetString())
            {
                case "scalar":
                    return Sample(result, "scalar");
                case "vector":
                    if (result.ValueKind != JsonValueKind.Array)
                    {
                        return InstantQueryResult.Failed("bad_answer", "the vector result is not an array");
                    }

                    var n = result.GetArrayLength();
                    if (n == 0)
                    {
                        return InstantQueryResult.Failed("empty", "the query returned no series");
                    }

                    if (n > 1)
                    {
                        return InstantQueryResult.Failed("multiple_series", $"the query returned {n} series; it must return exactly one (aggregate it, e.g. avg(...))");
                    }

                    var only = result[0];
                    return only.ValueKind == JsonValueKind.Object && only.TryGetProperty("value", out var value)
                        ? Sample(value, "vector")
                        : InstantQueryResult.Failed("bad_answer", "the vector's sample has no value");
                default:
                    return InstantQueryResult.Failed("unsupported_result",
                        $"the query returned a {Cut(rt.GetString() ?? "")}; it must return a scalar or a one-series instant vector");
            }
        }
    }

    private static InstantQueryResult Sample(JsonElement pair, string what)
    {
        // A sample is [ <unix time>, "<value>" ]; the value is a string so that NaN and ±Inf survive JSON.
        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || pair[1].ValueKind != JsonValueKind.String)
        {
            return InstantQueryResult.Failed("bad_answer", $"the {what} sample is not [time, \"value\"]");
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
                return InstantQueryResult.Failed("bad_answer", $"the {what} value '{Cut(text ?? "")}' is not a number");
            }
        }

        return InstantQueryResult.Of(v);
    }

    private static string Cut(string s) => s.Length <= 200 ? s : s[..200] + "…";
}

/// <summary>Reads one chunk of a range query's answer into the values of its steps.</summary>
internal static class RangeAnswer
{
    /// <summary>Fills <paramref name="values"/>[<paramref name="first"/>..<paramref name="last"/>] from the answer's
    /// one series (nothing when it has none); null, or what was wrong.</summary>
    public static PrometheusError? Read(Uri server, HttpResponseMessage response, string body, DateTimeOffset from, TimeSpan step, int first, int last,
        double?[] values)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return new PrometheusError("http_error",
                $"Prometheus answered {(int)response.StatusCode} {response.ReasonPhrase} without a JSON body (is {server} a Prometheus server?)");
        }

        using (doc)
        {
            var root = doc.RootElement;
            var status = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("status", out var s) ? s.GetString() : null;
            if (!response.IsSuccessStatusCode || status != "success")
            {
                var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errorType", out var t) ? t.GetString() : null;
                var message = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) ? e.GetString() : null;
                return new PrometheusError("query_error",
                    $"Prometheus refused the query ({(int)response.StatusCode}{(type is null ? "" : ", " + type)}): {message ?? "no error message"}");
            }

            if (!root.TryGetProperty("data", out var data) || !data.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Array)
            {
                return new PrometheusError("bad_answer", "Prometheus' answer has no data.result");
            }

            if (data.TryGetProperty("resultType", out var rt) && rt.GetString() != "matrix")
            {
                return new PrometheusError("unsupported_result", $"the query gives a {rt.GetString()}, not a range vector");
            }

            var series = result.GetArrayLength();
            if (series > 1)
            {
                var labels = string.Join("; ", result.EnumerateArray().Take(3).Select(r => r.TryGetProperty("metric", out var m) ? m.GetRawText() : "{}"));
                return new PrometheusError("multiple_series",
                    $"the query gives {series} series ({labels}{(series > 3 ? "; …" : "")}); aggregate it to one, e.g. sum(rate(http_requests_total[1m]))");
            }

            if (series == 0)
            {
                return null;
            }

            if (!result[0].TryGetProperty("values", out var points) || points.ValueKind != JsonValueKind.Array)
            {
                return new PrometheusError("bad_answer", "the series has no values");
            }

            foreach (var point in points.EnumerateArray())
            {
                if (point.ValueKind != JsonValueKind.Array || point.GetArrayLength() != 2 || point[0].ValueKind != JsonValueKind.Number)
                {
                    return new PrometheusError("bad_answer", $"unexpected sample {point.GetRawText()}");
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
                    values[index] = v;
                }
            }

            return null;
        }
    }
}

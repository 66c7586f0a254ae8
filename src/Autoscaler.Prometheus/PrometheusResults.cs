namespace Autoscaler.PrometheusApi;

/// <summary>Why a query gave no usable answer.</summary>
/// <param name="Kind">A short key for metrics and logs: <c>timeout</c>, <c>unreachable</c>, <c>http_error</c>,
/// <c>query_error</c>, <c>bad_answer</c>, <c>empty</c>, <c>multiple_series</c>, <c>unsupported_result</c>.</param>
/// <param name="Message">One line for people, naming what Prometheus answered.</param>
public sealed record PrometheusError(string Kind, string Message);

/// <summary>The answer to an instant query (<c>GET /api/v1/query</c>): one number, or why there is none.</summary>
/// <param name="Value">The scalar, or the one series' sample; NaN and ±Inf are passed on as Prometheus gave them.
/// Meaningless when <paramref name="Error"/> is set.</param>
/// <param name="Error">Null when the query gave exactly one number.</param>
public sealed record InstantQueryResult(double Value, PrometheusError? Error)
{
    /// <summary>True when the query gave exactly one number (possibly NaN or ±Inf).</summary>
    public bool HasValue => Error is null;

    /// <summary>The value when there is one and it is finite; otherwise null.</summary>
    public double? FiniteValue => Error is null && double.IsFinite(Value) ? Value : null;

    internal static InstantQueryResult Of(double value) => new(value, null);

    internal static InstantQueryResult Failed(string kind, string message) => new(double.NaN, new PrometheusError(kind, message));
}

/// <summary>The answer to a range query (<c>GET /api/v1/query_range</c>) of one series.</summary>
/// <param name="Values">One entry per step from the start: the series' finite value at that time, or null when it had
/// none there (no series, no sample, NaN or ±Inf). Empty when <paramref name="Error"/> is set.</param>
/// <param name="Error">Null when every request succeeded.</param>
public sealed record RangeQueryResult(IReadOnlyList<double?> Values, PrometheusError? Error)
{
    internal static RangeQueryResult Failed(string kind, string message) => new([], new PrometheusError(kind, message));
}

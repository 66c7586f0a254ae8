using System.Globalization;

namespace Autoscaler.Core.Signals;

/// <summary>A metric to read for a pool.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="Prometheus">Prometheus base URL from the signal's configuration.</param>
/// <param name="Query">PromQL expected to give one number.</param>
public sealed record MetricQuery(string Pool, Uri Prometheus, string Query);

/// <summary>A metric value, or why there is none.</summary>
public readonly record struct MetricReading
{
    private MetricReading(double value, string? missingReason)
    {
        Value = value;
        MissingReason = missingReason;
    }

    /// <summary>The value (meaningless when <see cref="IsMissing"/>).</summary>
    public double Value { get; }

    /// <summary>Why there is no value; null when there is one.</summary>
    public string? MissingReason { get; }

    /// <summary>True when there is no usable value.</summary>
    public bool IsMissing => MissingReason is not null;

    /// <summary>A value. NaN and infinities become missing readings.</summary>
    public static MetricReading Of(double value) =>
        double.IsFinite(value) ? new MetricReading(value, null) : new MetricReading(double.NaN, $"the query returned {value.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>No value, with the reason (Prometheus down, empty result, several series…).</summary>
    public static MetricReading Missing(string reason) => new(double.NaN, reason);

    /// <inheritdoc />
    public override string ToString() => IsMissing ? $"missing: {MissingReason}" : Value.ToString("0.###", CultureInfo.InvariantCulture);
}

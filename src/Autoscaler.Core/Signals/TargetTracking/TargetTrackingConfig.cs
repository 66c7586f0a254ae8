using System.Globalization;
using Autoscaler.Common;

namespace Autoscaler.Core.Signals.TargetTracking;

/// <summary>Keep a metric at a target: desired = ceil(serving × metric / target), like the Kubernetes HPA.</summary>
public sealed record TargetTrackingConfig : SignalConfig
{
    /// <summary>Prometheus base URL.</summary>
    public required Uri Prometheus { get; init; }

    /// <summary>PromQL giving one number for the pool (e.g. average CPU %).</summary>
    public required string Query { get; init; }

    /// <summary>Target value of the metric.</summary>
    public double Target { get; init; }

    /// <summary>No change while |metric/target − 1| is at most this. Default 0.1.</summary>
    public double Tolerance { get; init; } = 0.1;

    /// <summary>Scale-down follows the highest recommendation of this window. Default 300 s.</summary>
    public TimeSpan ScaleDownStabilization { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Scale-up follows the lowest recommendation of this window. Default 0 s.</summary>
    public TimeSpan ScaleUpStabilization { get; init; } = TimeSpan.Zero;

    /// <inheritdoc />
    public override string DisplayName => $"signals[{Index}] target_tracking";

    /// <inheritdoc />
    public override SignalMetric Metric => new(Prometheus, Query, Target);

    /// <inheritdoc />
    public override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"target_tracking: {{ prometheus: {Prometheus}, query: '{Query}', target: {Target}, tolerance: {Tolerance}, scale_down_stabilization: {Durations.Format(ScaleDownStabilization)}, scale_up_stabilization: {Durations.Format(ScaleUpStabilization)} }}");

    /// <inheritdoc />
    public override IScalingSignal CreateSignal(SignalBuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new TargetTrackingSignal(this,
            context.Metrics ?? throw new ArgumentException($"pool '{context.Pool.Name}' has target tracking but no metric source was given", nameof(context)));
    }
}

namespace Autoscaler.Core.Signals;

/// <summary>A source of advice for one pool. Evaluated once per engine cycle, in the pool's order; may keep history
/// (stabilization windows) between calls. Never calls the cloud.</summary>
public interface IScalingSignal
{
    /// <summary>Name used in reasons and the audit trail.</summary>
    string Name { get; }

    /// <summary>Gives this cycle's recommendation.</summary>
    ValueTask<Recommendation> EvaluateAsync(SignalContext context, CancellationToken cancellationToken);
}

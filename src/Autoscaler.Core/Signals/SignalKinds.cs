using Autoscaler.Core.Signals.Alerts;
using Autoscaler.Core.Signals.Forecast;
using Autoscaler.Core.Signals.Schedule;
using Autoscaler.Core.Signals.TargetTracking;

namespace Autoscaler.Core.Signals;

/// <summary>
/// The signal kinds a configuration may use, in the order messages list them. Immutable: a test or a host adds its own
/// kind in one line, <c>SignalKinds.Default.With(new MyKind())</c>, without changing what anyone else sees.
/// </summary>
public sealed class SignalKinds
{
    private readonly ISignalKind[] _kinds;

    /// <summary>The given kinds; names must be unique.</summary>
    public SignalKinds(IEnumerable<ISignalKind> kinds)
    {
        _kinds = Configuration.NamedKinds.Unique(kinds, k => k.Name, "signal kind", nameof(kinds));
    }

    /// <summary>The shipped kinds: alert, target_tracking, schedule, forecast.</summary>
    public static SignalKinds Default { get; } = new([new AlertSignalKind(), new TargetTrackingSignalKind(), new ScheduleSignalKind(), new ForecastSignalKind()]);

    /// <summary>Every kind, in registration order.</summary>
    public IReadOnlyList<ISignalKind> All => _kinds;

    /// <summary>These kinds and <paramref name="kind"/> (replacing one of the same name).</summary>
    public SignalKinds With(ISignalKind kind) => new(Configuration.NamedKinds.With(_kinds, kind, k => k.Name));

    /// <summary>The kind called <paramref name="name"/>, or null.</summary>
    public ISignalKind? Find(string name) => Array.Find(_kinds, k => string.Equals(k.Name, name, StringComparison.Ordinal));
}

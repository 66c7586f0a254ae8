namespace Autoscaler.Core.Signals;

/// <summary>A signal that can also narrow the pool's bounds at a given time (a schedule's window), so a manual resize
/// and the status respect them between evaluations.</summary>
public interface IBoundsSignal : IScalingSignal
{
    /// <summary>The floor and/or ceiling imposed at <paramref name="now"/>, or null when none is.</summary>
    (int? Min, int? Max)? BoundsAt(DateTimeOffset now);
}

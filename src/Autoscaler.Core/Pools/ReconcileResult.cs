namespace Autoscaler.Core.Pools;

/// <summary>What one reconcile pass did, for the engine's counters. Every operation event of the pass goes to the
/// decision log as it happens.</summary>
public sealed record ReconcileResult
{
    /// <summary>Instances launched (create accepted).</summary>
    public int Launched { get; init; }

    /// <summary>Members removed (node removed, instance deleted).</summary>
    public int Removed { get; init; }

    /// <summary>Orphan nodes removed.</summary>
    public int OrphansRemoved { get; init; }

    /// <summary>Provider calls that failed (launches, joins, drains, removals).</summary>
    public int Failures { get; init; }

    /// <summary>Removals wanted but impossible (protected members, min).</summary>
    public int Blocked { get; init; }

    /// <summary>Draining members taken back by a scale-up instead of launching.</summary>
    public int TakenBack { get; init; }

    /// <summary>Surplus members kept serving until their release point after this pass.</summary>
    public int Kept { get; init; }

    /// <summary>Launches wanted this pass that the cloud's create limit did not let start yet (they start on a later
    /// pass; the desired size is unchanged).</summary>
    public int LaunchesWaiting { get; init; }

    /// <summary>Why <see cref="LaunchesWaiting"/> launches wait (the provider's words), or null.</summary>
    public string? LaunchesWaitingFor { get; init; }
}

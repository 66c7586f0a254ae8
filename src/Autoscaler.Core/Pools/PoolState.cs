namespace Autoscaler.Core.Pools;

/// <summary>A serving member's age and the moment its node turned UP (the scale-up cooldown starts from the newest).</summary>
/// <param name="CreatedAt">When the instance was created.</param>
/// <param name="UpSince">Since when its node is UP.</param>
public readonly record struct ServingMember(DateTimeOffset CreatedAt, DateTimeOffset UpSince);

/// <summary>
/// What the engine's policy needs to know of a pool at the start of a cycle, handed over by the pool's
/// <see cref="Reconciler"/>: the counts of its view of the cloud and the facts of its own work in progress. A value,
/// so the policy stays pure and the engine never reaches into the reconciler.
/// </summary>
public sealed record PoolState
{
    /// <summary>Members counted as capacity (<see cref="PoolView.Live"/>).</summary>
    public int Live { get; init; }

    /// <summary>Live members serving.</summary>
    public int Serving { get; init; }

    /// <summary>Live members launched and not serving yet.</summary>
    public int Launching { get; init; }

    /// <summary>Members being drained, removed or deleted.</summary>
    public int Removing { get; init; }

    /// <summary>Live members kept serving until their release point: a scale-down they belong to is scheduled, not
    /// pending work.</summary>
    public int Kept { get; init; }

    /// <summary>Serving members whose node reports since when it is UP.</summary>
    public IReadOnlyList<ServingMember> ServingSince { get; init; } = [];

    /// <summary>The reconciler has a removal operation open.</summary>
    public bool RemovalOpen { get; init; }

    /// <summary>When the reconciler last finished removing a member.</summary>
    public DateTimeOffset? LastRemovalCompletedAt { get; init; }

    /// <summary>The last pass wanted removals that only protected members could have given: a scale-down is then as
    /// done as it gets.</summary>
    public bool RemovalsBlocked { get; init; }

    /// <summary>The state of a view alone (no operation open, nothing removed or blocked yet).</summary>
    public static PoolState Of(PoolView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var serving = new List<ServingMember>();
        foreach (var m in view.Members)
        {
            if (m.Lifecycle == MemberLifecycle.Serving && m.Member.Node?.StatusSince is { } up)
            {
                serving.Add(new ServingMember(m.Member.CreatedAt, up));
            }
        }

        return new PoolState
        {
            Live = view.Live,
            Serving = view.Serving,
            Launching = view.Launching,
            Removing = view.Removing,
            Kept = view.Kept,
            ServingSince = serving,
        };
    }
}

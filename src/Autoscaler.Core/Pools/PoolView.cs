namespace Autoscaler.Core.Pools;

/// <summary>A member as the policy sees it.</summary>
/// <param name="Member">The provider's facts.</param>
/// <param name="Lifecycle">Derived lifecycle.</param>
/// <param name="BeingRemoved">An open removal operation targets it.</param>
/// <param name="ReplaceDue">Not serving for longer than grace + replace_after: no longer counted, to be replaced.</param>
/// <param name="UnhealthySince">Since when it counts as not serving (never before the end of its grace), or null.</param>
public sealed record MemberView(PoolMember Member, MemberLifecycle Lifecycle, bool BeingRemoved, bool ReplaceDue, DateTimeOffset? UnhealthySince)
{
    /// <summary>The end of the billing period already paid (from <see cref="PoolMember.CreatedAt"/>); for a kept
    /// member the end of the period it is kept to. Null when the pool's billing terms are unknown.</summary>
    public DateTimeOffset? PaidUntil { get; init; }

    /// <summary>When a kept member is to be released (drained, removed, deleted) so that its delete lands before
    /// <see cref="PaidUntil"/>; null when the member is not kept.</summary>
    public DateTimeOffset? ReleaseAt { get; init; }

    /// <summary>The provider's word on why the member's node stays DOWN (asked once it is DOWN past grace), or null.</summary>
    public string? Diagnosis { get; init; }

    /// <summary>A surplus member kept serving until <see cref="ReleaseAt"/> (still counted as live capacity).</summary>
    public bool Kept => ReleaseAt is not null;

    /// <summary>Counted as capacity: not being removed, drained, deleted or replaced.</summary>
    public bool IsLive => !BeingRemoved && !ReplaceDue && Lifecycle is not (MemberLifecycle.Draining or MemberLifecycle.Deleting);
}

/// <summary>A snapshot interpreted: every member's lifecycle and the counts the engine decides on.</summary>
public sealed class PoolView
{
    internal PoolView(PoolSnapshot snapshot, DateTimeOffset at, IReadOnlyList<MemberView> members)
    {
        Snapshot = snapshot;
        At = at;
        Members = members;
        foreach (var m in members)
        {
            if (m.Kept)
            {
                Kept++;
            }

            if (m.IsLive)
            {
                Live++;
                if (m.Lifecycle == MemberLifecycle.Serving)
                {
                    Serving++;
                }
                else if (MemberLifecycles.IsLaunching(m.Lifecycle))
                {
                    Launching++;
                }
                else if (m.Lifecycle == MemberLifecycle.Unhealthy)
                {
                    Unhealthy++;
                }
            }
            else
            {
                if (m.ReplaceDue && !m.BeingRemoved)
                {
                    ReplaceDue++;
                }

                if (m.BeingRemoved || m.Lifecycle is MemberLifecycle.Draining or MemberLifecycle.Deleting)
                {
                    Removing++;
                }
            }
        }
    }

    /// <summary>The provider's snapshot.</summary>
    public PoolSnapshot Snapshot { get; }

    /// <summary>When it was interpreted.</summary>
    public DateTimeOffset At { get; }

    /// <summary>Every member.</summary>
    public IReadOnlyList<MemberView> Members { get; }

    /// <summary>Members counted as capacity (serving, launching, or unhealthy but not yet due for replacement).</summary>
    public int Live { get; }

    /// <summary>Live members serving.</summary>
    public int Serving { get; }

    /// <summary>Live members launched and not serving yet.</summary>
    public int Launching { get; }

    /// <summary>Live members not serving after their grace, not yet due for replacement.</summary>
    public int Unhealthy { get; }

    /// <summary>Members due for replacement and not yet being removed.</summary>
    public int ReplaceDue { get; }

    /// <summary>Members being drained, removed or deleted.</summary>
    public int Removing { get; }

    /// <summary>Surplus members kept serving until their release point (counted in <see cref="Live"/>).</summary>
    public int Kept { get; }

    /// <summary>The same snapshot with other member views (billing annotations after a pass).</summary>
    internal PoolView WithMembers(IReadOnlyList<MemberView> members) => new(Snapshot, At, members);

    /// <summary>The member with this id, or null.</summary>
    public MemberView? Find(string? memberId) => memberId is null ? null : Members.FirstOrDefault(m => m.Member.Id == memberId);
}

namespace Autoscaler.Core.Pools;

/// <summary>
/// Where a member is in its life, derived from the provider's facts and the pool's health grace.
/// <code>
///  launch ──► provisioning ──► booting ──► joining ──────────► serving ──scale-in──► draining ──drain──► removed
///  (journaled)                            (running; node       (node UP)  victim     (node mode   time    (node removed,
///                                          added, not UP)       │    ▲               drain)              instance deleted)
///                                              │ grace over     │    │ UP again                              ▲
///                                              ▼                ▼    │                                       │
///                                            unhealthy (node DOWN or instance offline) ── replace_after ──► replace due:
///                                                                                     replacement launched first,
///                                                                                     this one removed once it serves
/// </code>
/// A member still provisioning or booting when its grace ends is replace-due replace_after later as well. Every step
/// that changes the cloud is journaled before it is taken (docs/engine.md has the recovery table).
/// </summary>
public enum MemberLifecycle
{
    /// <summary>Being created.</summary>
    Provisioning,

    /// <summary>Booting.</summary>
    Booting,

    /// <summary>Running, not yet UP in the load balancer, within the health grace.</summary>
    Joining,

    /// <summary>Node UP in accept mode: capacity.</summary>
    Serving,

    /// <summary>Running (or offline) past the grace without an UP node.</summary>
    Unhealthy,

    /// <summary>Node in drain mode.</summary>
    Draining,

    /// <summary>Being deleted.</summary>
    Deleting,
}

/// <summary>Derives <see cref="MemberLifecycle"/> from a member's facts.</summary>
public static class MemberLifecycles
{
    /// <summary>The lifecycle of <paramref name="member"/> at <paramref name="now"/> given the pool's health grace.</summary>
    public static MemberLifecycle Of(PoolMember member, DateTimeOffset now, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (member.State == InstanceState.Deleting)
        {
            return MemberLifecycle.Deleting;
        }

        if (member.Node is { Mode: NodeMode.Drain or NodeMode.Reject })
        {
            return MemberLifecycle.Draining;
        }

        var inGrace = now < member.CreatedAt + grace;
        return member.State switch
        {
            InstanceState.Provisioning => MemberLifecycle.Provisioning,
            InstanceState.Booting => MemberLifecycle.Booting,
            InstanceState.Running when member.Node is { Status: NodeStatus.Up } => MemberLifecycle.Serving,
            InstanceState.Running => inGrace ? MemberLifecycle.Joining : MemberLifecycle.Unhealthy,
            _ => inGrace ? MemberLifecycle.Booting : MemberLifecycle.Unhealthy,
        };
    }

    /// <summary>True for the states of a member that was launched and does not serve yet.</summary>
    public static bool IsLaunching(MemberLifecycle lifecycle) =>
        lifecycle is MemberLifecycle.Provisioning or MemberLifecycle.Booting or MemberLifecycle.Joining;
}

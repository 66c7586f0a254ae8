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
/// A member still provisioning or booting when its grace ends is replace-due replace_after later as well. A running
/// member whose node the autoscaler has not added yet stays joining whatever its age: nothing has checked its health,
/// and a slow or failing API must not turn healthy instances into replacements (the reconciler replaces it only after
/// its join failed three times in a row). Every step that changes the cloud is journaled before it is taken
/// (docs/engine.md has the recovery table).
/// </summary>
public enum MemberLifecycle
{
    /// <summary>Being created.</summary>
    Provisioning,

    /// <summary>Booting.</summary>
    Booting,

    /// <summary>Running and not yet UP in the load balancer: its node is not added yet, or is added and the health
    /// grace is not over.</summary>
    Joining,

    /// <summary>Node UP in accept mode: capacity.</summary>
    Serving,

    /// <summary>Past the grace: running with a node that is not UP, or offline.</summary>
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
            InstanceState.Running when member.Node is null => MemberLifecycle.Joining,
            InstanceState.Running => inGrace ? MemberLifecycle.Joining : MemberLifecycle.Unhealthy,
            _ => inGrace ? MemberLifecycle.Booting : MemberLifecycle.Unhealthy,
        };
    }

    /// <summary>True for the states of a member that was launched and does not serve yet.</summary>
    public static bool IsLaunching(MemberLifecycle lifecycle) =>
        lifecycle is MemberLifecycle.Provisioning or MemberLifecycle.Booting or MemberLifecycle.Joining;
}

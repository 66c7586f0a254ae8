namespace Autoscaler.Core.Pools;

/// <summary>
/// Where a member is in its life, derived from the provider's facts and the pool's health grace.
/// <code>
///                 launch (journaled)
///                        │
///                        ▼
///   ┌────────────► provisioning ──► booting ──► joining ──────► serving ◄─────┐
///   │                    │             │        (running,      (node UP)      │ node UP again
///   │                    │             │        node added)     │    │        │
///   │                    └─────────────┴─────────┬─────────────┘    │ node DOWN / instance offline
///   │                  not serving after grace   ▼                   ▼        │
///   │                                         unhealthy ─────────────────────┘
///   │                                            │ still not serving replace_after later
///   │ replacement launched first ◄───────────────┤ (and the replacement serves)
///   │                                            ▼
///   │      scale-in victim ──► draining ──► (drain time) ──► deleting ──► gone
///   │      (serving: node     (node mode       removing:      (node removed,
///   │       set to drain)      drain)          journaled)      instance deleted)
///   │      not serving victims and replaced members skip draining ───────────┘
/// </code>
/// A removal is journaled before each step, so after a crash it resumes in the same phase; a launch whose instance
/// exists (found by label) is adopted, one whose instance does not is abandoned and launched again if still needed.
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

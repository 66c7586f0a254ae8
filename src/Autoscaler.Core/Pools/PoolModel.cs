namespace Autoscaler.Core.Pools;

/// <summary>The cloud's view of an instance's power state, as a provider reports it.</summary>
public enum InstanceState
{
    /// <summary>Being created.</summary>
    Provisioning,

    /// <summary>Created and booting.</summary>
    Booting,

    /// <summary>Booted.</summary>
    Running,

    /// <summary>Stopped, crashed or failed to boot.</summary>
    Offline,

    /// <summary>Being deleted.</summary>
    Deleting,
}

/// <summary>Health of a load-balancer node as the balancer's checks see it.</summary>
public enum NodeStatus
{
    /// <summary>Not checked yet (a balancer reports a new node as <c>Unknown</c> until its first check).</summary>
    Unknown,

    /// <summary>Passing health checks: receives traffic.</summary>
    Up,

    /// <summary>Failing health checks.</summary>
    Down,
}

/// <summary>Traffic mode of a load-balancer node.</summary>
public enum NodeMode
{
    /// <summary>Receives new connections.</summary>
    Accept,

    /// <summary>Finishes existing sessions, receives no new ones.</summary>
    Drain,

    /// <summary>Refuses traffic.</summary>
    Reject,
}

/// <summary>A member's node in the pool's load balancer.</summary>
/// <param name="Id">Provider's node id.</param>
/// <param name="Address">Backend address (ip:port).</param>
/// <param name="Status">Health.</param>
/// <param name="Mode">Traffic mode.</param>
/// <param name="StatusSince">Since when <paramref name="Status"/> holds, when the provider knows.</param>
public sealed record LoadBalancerNode(string Id, string Address, NodeStatus Status, NodeMode Mode, DateTimeOffset? StatusSince = null);

/// <summary>
/// One instance carrying the pool's tag, with the facts the policy needs. The provider reports facts; what they mean
/// (serving, unhealthy, replace) is decided in Core (<see cref="MemberLifecycles"/>).
/// </summary>
public sealed record PoolMember
{
    /// <summary>Provider's instance id.</summary>
    public required string Id { get; init; }

    /// <summary>Instance label (prefix + unique suffix when the autoscaler created it).</summary>
    public required string Label { get; init; }

    /// <summary>Creation time.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Power state.</summary>
    public InstanceState State { get; init; }

    /// <summary>Since when <see cref="State"/> holds, when known.</summary>
    public DateTimeOffset? StateSince { get; init; }

    /// <summary>Its load-balancer node, or null when it has none.</summary>
    public LoadBalancerNode? Node { get; init; }

    /// <summary>Carries the protection tag: never removed or replaced.</summary>
    public bool Protected { get; init; }

    /// <summary>Operation id the provider stored on the instance (e.g. a tag), when it does.</summary>
    public string? OperationId { get; init; }

    /// <summary>Address for display and service discovery (e.g. the public IPv4), when known.</summary>
    public string? Address { get; init; }
}

/// <summary>A node in the pool's load-balancer config that belongs to no member (its instance is gone).</summary>
/// <param name="Id">Provider's node id.</param>
/// <param name="Address">Backend address.</param>
/// <param name="Label">Node label, when any.</param>
public sealed record OrphanNode(string Id, string Address, string? Label);

/// <summary>Everything the provider can see of a pool at one moment.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="TakenAt">When it was taken.</param>
/// <param name="Members">Instances carrying the pool's tag.</param>
/// <param name="OrphanNodes">Nodes of the pool's load-balancer config whose instance does not exist.</param>
/// <param name="Billing">How the cloud bills the pool's instances, when the provider knows (paid-until, the month's
/// bill and billing-aware scale-in need it; without it scale-in is immediate).</param>
public sealed record PoolSnapshot(string Pool, DateTimeOffset TakenAt, IReadOnlyList<PoolMember> Members, IReadOnlyList<OrphanNode> OrphanNodes,
    Autoscaler.Core.Billing.BillingTerms? Billing = null);

/// <summary>What to create. The provider adds everything else from its pool configuration (region, type, image,
/// tags including the pool tag, keys, user data).</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="Label">Label to give the instance (unique; lets a restart recognise an instance created just before a crash).</param>
/// <param name="OperationId">Journal operation id, which the provider may store on the instance.</param>
/// <param name="Reason">Why, for the provider's logs.</param>
public sealed record LaunchRequest(string Pool, string Label, string OperationId, string Reason);

namespace Autoscaler.Core.Pools;

/// <summary>
/// The provider seam: one pool of instances behind one load-balancer config. Every call is idempotent and returns
/// when the provider accepted the change, not when it took effect: progress (boot, health) shows in later snapshots, so
/// the engine never blocks on a boot and a restart can pick up where it left off.
/// </summary>
public interface IInstancePool
{
    /// <summary>Pool name.</summary>
    string Name { get; }

    /// <summary>How long the load balancer may take to apply a node change after the cloud's API answered (Linode:
    /// within 60 s). A drain lasts at least this plus the pool's <c>drain</c>, so a node is never removed while it still
    /// gets new connections. Default zero (changes apply when the call returns).</summary>
    TimeSpan NodeApplyDelay => TimeSpan.Zero;

    /// <summary>Why the member's load-balancer node stays DOWN, in one line for the operator (e.g. which firewall drops
    /// the balancer's traffic), or null when the provider cannot tell. The reconciler asks once per member whose node is
    /// DOWN past its grace and keeps the answer, so this may cost API calls; a healthy pool never pays for it.</summary>
    Task<string?> DiagnoseAsync(PoolMember member, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>Lists the pool's members (instances with the pool tag, nothing else) and orphan nodes.</summary>
    Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>Creates one instance, tagged with the pool tag and labelled <see cref="LaunchRequest.Label"/>; returns
    /// it as soon as the cloud accepted it (it will show up booting).</summary>
    Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken);

    /// <summary>How many of <paramref name="wanted"/> launches the cloud's create limit lets this pool start now,
    /// without waiting; the slots granted are held for this pool's next <see cref="LaunchAsync"/> calls. The reconciler
    /// launches only those and asks again on a later pass, so a pass (and the engine's cycle) never waits for the
    /// cloud's create window. Default: all of them (a provider without a create limit, or one whose launch waits).</summary>
    LaunchAllowance AllowLaunches(int wanted) => new(wanted, null);

    /// <summary>Puts a running member into the load balancer (adds its node in accept mode). No-op if already there.</summary>
    Task JoinAsync(PoolMember member, CancellationToken cancellationToken);

    /// <summary>Sets the member's node to drain: no new connections. No-op without a node.</summary>
    Task DrainAsync(PoolMember member, CancellationToken cancellationToken);

    /// <summary>Takes a draining member back: its node returns to accept mode (a scale-up re-uses paid capacity instead
    /// of creating). No-op without a node or when the node already accepts.</summary>
    Task UndrainAsync(PoolMember member, CancellationToken cancellationToken);

    /// <summary>Removes the member's node (if any) and deletes the instance. No-op if already gone.</summary>
    Task RemoveAsync(PoolMember member, CancellationToken cancellationToken);

    /// <summary>Removes a node whose instance no longer exists. No-op if already gone.</summary>
    Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken);
}

/// <summary>What <see cref="IInstancePool.AllowLaunches"/> granted.</summary>
/// <param name="Granted">Launches that may start now (0..wanted).</param>
/// <param name="HeldBy">Why fewer than wanted may start now, for the operator (e.g. "Linode's create limit (20 per
/// 15 s, 4 pools waiting)"); null when all were granted.</param>
public readonly record struct LaunchAllowance(int Granted, string? HeldBy);

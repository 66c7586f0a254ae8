using Autoscaler.Core.Pools;
using Autoscaler.Service.Storage;

namespace Autoscaler.Service.Ha;

/// <summary>
/// The pool a replica acts on while it leads: every cloud-changing call (launch, join, drain, undrain, remove, orphan
/// removal) first asks the database whether this replica still holds the lease at its epoch with a third of the lease
/// left, and is refused with a <see cref="FencedException"/> otherwise. Reads (snapshot, diagnosis) pass through.
/// </summary>
public sealed class FencedInstancePool(IInstancePool inner, LeaderElector elector) : IInstancePool
{
    /// <inheritdoc />
    public string Name => inner.Name;

    /// <inheritdoc />
    public TimeSpan NodeApplyDelay => inner.NodeApplyDelay;

    /// <summary>The pool it guards.</summary>
    public IInstancePool Inner => inner;

    /// <inheritdoc />
    public Task<string?> DiagnoseAsync(PoolMember member, CancellationToken cancellationToken) => inner.DiagnoseAsync(member, cancellationToken);

    /// <inheritdoc />
    public Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken) => inner.SnapshotAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        await elector.EnsureLeaderAsync("launch", cancellationToken).ConfigureAwait(false);
        return await inner.LaunchAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task JoinAsync(PoolMember member, CancellationToken cancellationToken)
    {
        await elector.EnsureLeaderAsync("join", cancellationToken).ConfigureAwait(false);
        await inner.JoinAsync(member, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        await elector.EnsureLeaderAsync("drain", cancellationToken).ConfigureAwait(false);
        await inner.DrainAsync(member, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task UndrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        await elector.EnsureLeaderAsync("undrain", cancellationToken).ConfigureAwait(false);
        await inner.UndrainAsync(member, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task RemoveAsync(PoolMember member, CancellationToken cancellationToken)
    {
        await elector.EnsureLeaderAsync("remove", cancellationToken).ConfigureAwait(false);
        await inner.RemoveAsync(member, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken)
    {
        await elector.EnsureLeaderAsync("orphan node removal", cancellationToken).ConfigureAwait(false);
        await inner.RemoveOrphanNodeAsync(node, cancellationToken).ConfigureAwait(false);
    }
}

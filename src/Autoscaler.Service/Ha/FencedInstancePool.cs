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
    public Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken) =>
        FencedAsync("launch", ct => inner.LaunchAsync(request, ct), cancellationToken);

    /// <inheritdoc />
    /// <remarks>Passed through without a lease check: holding create slots changes nothing in the cloud, and without it
    /// a leader's passes would wait for the create window inside its launches again.</remarks>
    public LaunchAllowance AllowLaunches(int wanted) => inner.AllowLaunches(wanted);

    /// <inheritdoc />
    public Task JoinAsync(PoolMember member, CancellationToken cancellationToken) =>
        FencedAsync("join", ct => inner.JoinAsync(member, ct), cancellationToken);

    /// <inheritdoc />
    public Task DrainAsync(PoolMember member, CancellationToken cancellationToken) =>
        FencedAsync("drain", ct => inner.DrainAsync(member, ct), cancellationToken);

    /// <inheritdoc />
    public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken) =>
        FencedAsync("undrain", ct => inner.UndrainAsync(member, ct), cancellationToken);

    /// <inheritdoc />
    public Task RemoveAsync(PoolMember member, CancellationToken cancellationToken) =>
        FencedAsync("remove", ct => inner.RemoveAsync(member, ct), cancellationToken);

    /// <inheritdoc />
    public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken) =>
        FencedAsync("orphan node removal", ct => inner.RemoveOrphanNodeAsync(node, ct), cancellationToken);

    /// <summary>Checks the lease, then makes the cloud call (never the call when the check throws).</summary>
    private async Task<T> FencedAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        await elector.EnsureLeaderAsync(what, ct).ConfigureAwait(false);
        return await call(ct).ConfigureAwait(false);
    }

    /// <summary>The same for a call without a result.</summary>
    private async Task FencedAsync(string what, Func<CancellationToken, Task> call, CancellationToken ct) =>
        await FencedAsync(what, async c =>
        {
            await call(c).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
}

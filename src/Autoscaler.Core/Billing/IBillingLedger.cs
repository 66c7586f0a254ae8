namespace Autoscaler.Core.Billing;

/// <summary>
/// Where the lifetimes of deleted members are kept, so the month's bill so far survives a restart (the live members'
/// part comes from the cloud's <c>created</c>). The service keeps it in its SQLite journal; simulations and tests in
/// memory (<see cref="InMemoryBillingLedger"/>).
/// </summary>
public interface IBillingLedger
{
    /// <summary>Records a member deleted by the autoscaler (idempotent per pool and member id).</summary>
    ValueTask RecordAsync(EndedLifetime lifetime, CancellationToken cancellationToken);

    /// <summary>The pool's lifetimes deleted at or after <paramref name="since"/>.</summary>
    ValueTask<IReadOnlyList<EndedLifetime>> DeletedSinceAsync(string pool, DateTimeOffset since, CancellationToken cancellationToken);
}

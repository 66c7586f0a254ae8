using Autoscaler.Core.Billing;

namespace Autoscaler.Service.Storage;

/// <summary>The billing ledger in PostgreSQL, as <see cref="SqliteStore"/> keeps it (prices as invariant decimal text).</summary>
public sealed partial class PostgresStore : IBillingLedger
{
    /// <inheritdoc />
    /// <remarks>Recording the same member again keeps the first record (see <see cref="JournalRows.RecordLifetime"/>).</remarks>
    public async ValueTask RecordAsync(EndedLifetime lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        await WriteAsync(JournalRows.RecordLifetime, JournalRows.LifetimeValues(lifetime), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<EndedLifetime>> DeletedSinceAsync(string pool, DateTimeOffset since, CancellationToken cancellationToken) =>
        await QueryAsync(JournalRows.DeletedSince, JournalRows.DeletedSinceValues(pool, since), r => JournalRows.ReadLifetime(pool, r), cancellationToken).ConfigureAwait(false);
}

using Autoscaler.Core.Billing;
using Microsoft.Data.Sqlite;

namespace Autoscaler.Service.Storage;

/// <summary>The billing ledger part of the store: lifetimes of the members the autoscaler deleted, so the month's bill
/// so far survives a restart (live members' part comes from the cloud's <c>created</c>).</summary>
public sealed partial class SqliteStore : IBillingLedger
{
    private static void CreateBillingSchema(SqliteConnection c) => Execute(c, """
        CREATE TABLE IF NOT EXISTS lifetimes (
          pool TEXT NOT NULL,
          member_id TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          deleted_at INTEGER NOT NULL,
          hourly TEXT NOT NULL,
          monthly TEXT,
          period_ms INTEGER NOT NULL,
          PRIMARY KEY (pool, member_id));
        CREATE INDEX IF NOT EXISTS lifetimes_pool_deleted ON lifetimes(pool, deleted_at);
        """);

    /// <inheritdoc />
    /// <remarks>Recording the same member again keeps the first record (see <see cref="JournalRows.RecordLifetime"/>).</remarks>
    public async ValueTask RecordAsync(EndedLifetime lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        await WriteAsync(JournalRows.RecordLifetime, JournalRows.LifetimeValues(lifetime), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<EndedLifetime>> DeletedSinceAsync(string pool, DateTimeOffset since, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<EndedLifetime>>(Query(JournalRows.DeletedSince, JournalRows.DeletedSinceValues(pool, since), r => JournalRows.ReadLifetime(pool, r)));
}

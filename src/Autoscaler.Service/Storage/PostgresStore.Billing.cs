using System.Globalization;
using Autoscaler.Core.Billing;
using Npgsql;

namespace Autoscaler.Service.Storage;

/// <summary>The billing ledger in PostgreSQL, as <see cref="SqliteStore"/> keeps it (prices as invariant decimal text).</summary>
public sealed partial class PostgresStore : IBillingLedger
{
    /// <inheritdoc />
    /// <remarks>Recording the same member again keeps the first record (see <see cref="SqliteStore.RecordAsync"/>).</remarks>
    public async ValueTask RecordAsync(EndedLifetime lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        await WriteAsync(async (c, tx) =>
        {
            await using var cmd = new NpgsqlCommand("""
                INSERT INTO lifetimes (pool, member_id, created_at, deleted_at, hourly, monthly, period_ms)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT(pool, member_id) DO NOTHING
                """, c, tx);
            Add(cmd, lifetime.Pool, lifetime.MemberId, ToMs(lifetime.Created), ToMs(lifetime.Deleted),
                lifetime.Terms.Price.Hourly.ToString(CultureInfo.InvariantCulture),
                lifetime.Terms.Price.Monthly is { } m ? m.ToString(CultureInfo.InvariantCulture) : null,
                (long)lifetime.Terms.Period.TotalMilliseconds);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<EndedLifetime>> DeletedSinceAsync(string pool, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var cmd = _source.CreateCommand("""
            SELECT member_id, created_at, deleted_at, hourly, monthly, period_ms FROM lifetimes
            WHERE pool = $1 AND deleted_at >= $2 ORDER BY deleted_at, member_id
            """);
        Add(cmd, pool, ToMs(since));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<EndedLifetime>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var price = new InstancePrice(
                decimal.Parse(r.GetString(3), NumberStyles.Number, CultureInfo.InvariantCulture),
                r.IsDBNull(4) ? null : decimal.Parse(r.GetString(4), NumberStyles.Number, CultureInfo.InvariantCulture));
            list.Add(new EndedLifetime(pool, r.GetString(0), FromMs(r.GetInt64(1)), FromMs(r.GetInt64(2)),
                new BillingTerms(price, TimeSpan.FromMilliseconds(r.GetInt64(5)))));
        }

        return list;
    }
}

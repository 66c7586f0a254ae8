namespace Autoscaler.Core.Billing;

/// <summary>An <see cref="IBillingLedger"/> in memory (simulations, tests, and a service without a journal).</summary>
public sealed class InMemoryBillingLedger : IBillingLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Pool, string Member), EndedLifetime> _ended = [];

    /// <inheritdoc />
    public ValueTask RecordAsync(EndedLifetime lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        lock (_lock)
        {
            _ended[(lifetime.Pool, lifetime.MemberId)] = lifetime;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<EndedLifetime>> DeletedSinceAsync(string pool, DateTimeOffset since, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<EndedLifetime> result = _ended.Values
                .Where(l => string.Equals(l.Pool, pool, StringComparison.Ordinal) && l.Deleted >= since)
                .OrderBy(l => l.Deleted)
                .ToArray();
            return ValueTask.FromResult(result);
        }
    }
}

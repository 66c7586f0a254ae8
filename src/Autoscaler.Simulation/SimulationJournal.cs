using Autoscaler.Core.Pools;

namespace Autoscaler.Simulation;

/// <summary>An <see cref="IOperationJournal"/> for backtests: open operations and pool records only, nothing kept
/// once closed (a long backtest closes tens of thousands of operations).</summary>
internal sealed class SimulationJournal : IOperationJournal
{
    private readonly Dictionary<string, OperationRecord> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PoolRecord> _pools = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<OperationRecord>> GetOpenOperationsAsync(string pool, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<OperationRecord>>(_open.Values.Where(o => o.Pool == pool).OrderBy(o => o.CreatedAt).ToArray());

    public Task SaveOperationAsync(OperationRecord operation, CancellationToken cancellationToken)
    {
        _open[operation.Id] = operation;
        return Task.CompletedTask;
    }

    public Task CloseOperationAsync(string operationId, OperationOutcome outcome, string detail, CancellationToken cancellationToken)
    {
        _open.Remove(operationId);
        return Task.CompletedTask;
    }

    public Task<PoolRecord?> GetPoolAsync(string pool, CancellationToken cancellationToken) =>
        Task.FromResult(_pools.TryGetValue(pool, out var r) ? r : null);

    public Task SavePoolAsync(PoolRecord record, CancellationToken cancellationToken)
    {
        _pools[record.Pool] = record;
        return Task.CompletedTask;
    }
}

namespace Autoscaler.Core.Pools;

/// <summary>
/// Durable memory of intents: every cloud-changing step is recorded before it is taken and closed after, so a restart
/// finds half-done work; plus each pool's desired size and cooldown marks. Implementations must be thread-safe (launches
/// run in parallel). The service keeps it in SQLite; <see cref="InMemoryOperationJournal"/> serves tests and simulations.
/// </summary>
public interface IOperationJournal
{
    /// <summary>Operations of <paramref name="pool"/> not closed yet.</summary>
    Task<IReadOnlyList<OperationRecord>> GetOpenOperationsAsync(string pool, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces (by id) an open operation.</summary>
    Task SaveOperationAsync(OperationRecord operation, CancellationToken cancellationToken);

    /// <summary>Closes an operation.</summary>
    Task CloseOperationAsync(string operationId, OperationOutcome outcome, string detail, CancellationToken cancellationToken);

    /// <summary>The pool's record, or null the first time.</summary>
    Task<PoolRecord?> GetPoolAsync(string pool, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces the pool's record.</summary>
    Task SavePoolAsync(PoolRecord record, CancellationToken cancellationToken);
}

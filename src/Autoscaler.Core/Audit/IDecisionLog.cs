namespace Autoscaler.Core.Audit;

/// <summary>Sink of the audit trail. The service persists it in SQLite and serves it on /api/v1/events;
/// <see cref="InMemoryDecisionLog"/> serves tests and simulations. Must be thread-safe.</summary>
public interface IDecisionLog
{
    /// <summary>Records one decision.</summary>
    ValueTask RecordDecisionAsync(Decision decision, CancellationToken cancellationToken);

    /// <summary>Records one operation step.</summary>
    ValueTask RecordOperationAsync(OperationEvent operationEvent, CancellationToken cancellationToken);
}

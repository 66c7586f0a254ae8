using Autoscaler.Core.Audit;
using Autoscaler.Service.Metrics;
using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Storage;

/// <summary>The engine's <see cref="IDecisionLog"/>: counts every decision and operation event in /metrics and keeps
/// them in the store (SQLite or PostgreSQL). A failing write is logged and counted, never thrown into the engine: the audit trail must not stop
/// the scaling it records.</summary>
internal sealed partial class AuditTrail(IAutoscalerStore store, ServiceMetrics metrics, ILogger<AuditTrail> logger) : IDecisionLog
{
    public async ValueTask RecordDecisionAsync(Decision decision, CancellationToken cancellationToken)
    {
        metrics.Decision(decision);
        try
        {
            await store.RecordDecisionAsync(decision, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            LogWriteFailed(logger, decision.Pool, "decision", ex.Message);
        }
    }

    public async ValueTask RecordOperationAsync(OperationEvent operationEvent, CancellationToken cancellationToken)
    {
        metrics.Operation(operationEvent);
        try
        {
            await store.RecordOperationAsync(operationEvent, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            LogWriteFailed(logger, operationEvent.Pool, "operation event", ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "pool {Pool}: cannot store a {What} in the audit trail: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, string pool, string what, string error);
}

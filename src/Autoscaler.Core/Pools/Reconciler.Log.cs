using Autoscaler.Core.Audit;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Core.Pools;

public sealed partial class Reconciler
{
    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: {Kind} {OperationId} {Type} {Label}: {Detail}")]
    private partial void LogOperation(string pool, string operationId, OperationKind kind, OperationEventType type, string label, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: {Kind} {OperationId} failed {Label}: {Detail}")]
    private partial void LogOperationFailed(string pool, string operationId, OperationKind kind, string label, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: joining {Label} to the load balancer failed: {Detail}")]
    private partial void LogJoinFailed(string pool, string label, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: {Count} removal(s) wanted but every remaining candidate is protected")]
    private partial void LogRemovalBlocked(string pool, int count);
}

using Autoscaler.Common;
using Autoscaler.Core.Audit;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Core.Pools;

public sealed partial class Reconciler
{
    // "pool web: launch web-3f2a started: … (operation 0c1d…)": words, the member first, the operation id last (it
    // matters only to find the same operation in the journal or the audit trail).
    private void LogOperation(string pool, string operationId, OperationKind kind, OperationEventType type, string label, string detail) =>
        LogOperationWords(pool, LogWords.Of(kind), Member(label), LogWords.Of(type), detail, operationId);

    private void LogOperationFailed(string pool, string operationId, OperationKind kind, string label, string detail) =>
        LogOperationFailedWords(pool, LogWords.Of(kind), Member(label), detail, operationId);

    private static string Member(string label) => label.Length > 0 ? label : "(no instance yet)";

    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: {Kind} {Label} {Type}: {Detail} (operation {OperationId})")]
    private partial void LogOperationWords(string pool, string kind, string label, string type, string detail, string operationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: {Kind} {Label} failed: {Detail} (operation {OperationId})")]
    private partial void LogOperationFailedWords(string pool, string kind, string label, string detail, string operationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: joining {Label} to the load balancer failed: {Detail}")]
    private partial void LogJoinFailed(string pool, string label, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pool {Pool}: {Count} removal(s) wanted but every remaining candidate is protected")]
    private partial void LogRemovalBlocked(string pool, int count);
}

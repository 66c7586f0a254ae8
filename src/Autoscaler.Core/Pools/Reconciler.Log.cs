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

    // Once when launches start waiting for the cloud's create limit, once when none waits any more: a fleet scaling
    // up waits for many passes, and a line per pass would bury everything else (status shows the count each pass).
    private void NoteLaunchesWaiting(int waiting, string? reason)
    {
        if ((waiting > 0) == (_launchesWaitingLogged > 0))
        {
            return;
        }

        if (waiting > 0)
        {
            LogLaunchesWaiting(_config.Name, waiting, reason ?? "the cloud's create limit");
        }
        else
        {
            LogLaunchesNoLongerWaiting(_config.Name);
        }

        _launchesWaitingLogged = waiting;
    }

    private int _launchesWaitingLogged;

    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: {Count} launch(es) wanted wait for {Reason}; they start on a later pass")]
    private partial void LogLaunchesWaiting(string pool, int count, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: no launch waits for the create limit any more")]
    private partial void LogLaunchesNoLongerWaiting(string pool);
}

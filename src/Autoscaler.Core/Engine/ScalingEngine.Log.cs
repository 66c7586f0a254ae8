using Autoscaler.Common;
using Autoscaler.Core.Audit;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Core.Engine;

public sealed partial class ScalingEngine
{
    // Words, not enum names: "scale up", "dry run", "at max". A dry run's reason already starts with "dry run: " (the
    // audit trail shows it so); the line names the action once.
    private void LogChange(string pool, DecisionAction action, int from, int to, string reason) =>
        LogChangeWords(pool, LogWords.Of(action), from, to,
            action == DecisionAction.DryRun && reason.StartsWith(DryRunPrefix, StringComparison.Ordinal) ? reason[DryRunPrefix.Length..] : reason);

    private void LogHold(string pool, SkipReason skip, string reason) => LogHoldWords(pool, LogWords.Of(skip), reason);

    private const string DryRunPrefix = "dry run: ";

    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: {Action} {From} → {To}: {Reason}")]
    private partial void LogChangeWords(string pool, string action, int from, int to, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "pool {Pool}: hold ({Skip}): {Reason}")]
    private partial void LogHoldWords(string pool, string skip, string reason);
}

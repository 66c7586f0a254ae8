using Autoscaler.Core.Audit;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Core.Engine;

public sealed partial class ScalingEngine
{
    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: {Action} {From} → {To}: {Reason}")]
    private partial void LogChange(string pool, DecisionAction action, int from, int to, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "pool {Pool}: hold ({Skip}): {Reason}")]
    private partial void LogHold(string pool, SkipReason skip, string reason);
}

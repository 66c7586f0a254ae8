using Microsoft.Extensions.Logging;

namespace Autoscaler.Core.Engine;

// Where each pool's desired size came from at start: an operator reading the log after a restart sees it at once.
public sealed partial class ScalingEngine
{
    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: restored desired {Desired} from the journal")]
    private partial void LogRestored(string pool, int desired);

    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: no desired size in the journal: starting at {Desired} ({Live} live members, min {Min}, max {Max})")]
    private partial void LogInitial(string pool, int desired, int live, int min, int max);
}

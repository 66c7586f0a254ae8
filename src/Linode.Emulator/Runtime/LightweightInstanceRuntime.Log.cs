using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Runtime;

public sealed partial class LightweightInstanceRuntime
{
    [LoggerMessage(Level = LogLevel.Information, Message = "instance {LinodeId} ({Label}) serving in process on {Address}")]
    private static partial void LogStarted(ILogger logger, long linodeId, string label, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "instance {LinodeId} ({Label}) stopped")]
    private static partial void LogStopped(ILogger logger, long linodeId, string label);

    [LoggerMessage(Level = LogLevel.Warning, Message = "instance {LinodeId} was killed (fault injection)")]
    private static partial void LogKilled(ILogger logger, long linodeId);

    [LoggerMessage(Level = LogLevel.Error, Message = "a ProcessExited handler failed for instance {LinodeId}")]
    private static partial void LogSubscriberFailed(ILogger logger, long linodeId, Exception exception);
}

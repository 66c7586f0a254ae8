using Microsoft.Extensions.Logging;

namespace Linode.Emulator.State;

internal sealed partial class InstanceLifecycle
{
    [LoggerMessage(2, LogLevel.Information, "Instance {LinodeId} ({Label}) {Status}")]
    private static partial void LogInstanceStatus(ILogger logger, long linodeId, string label, string status);

    [LoggerMessage(3, LogLevel.Warning, "Instance {LinodeId} failed to boot: {Reason}")]
    private static partial void LogBootFailed(ILogger logger, long linodeId, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Instance {LinodeId}'s process exited unexpectedly; the instance is offline")]
    private static partial void LogProcessExited(ILogger logger, long linodeId);

    [LoggerMessage(5, LogLevel.Error, "Instance {LinodeId}: the {Job} job failed")]
    private static partial void LogJobFailed(ILogger logger, Exception exception, long linodeId, string job);

    [LoggerMessage(6, LogLevel.Error, "Stopping the process of instance {LinodeId} failed")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, long linodeId);
}

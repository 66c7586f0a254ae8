using Microsoft.Extensions.Logging;

namespace Linode.Emulator;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Linode API v4 emulator listening on {BaseAddress}")]
    public static partial void Listening(ILogger logger, Uri baseAddress);

    [LoggerMessage(2, LogLevel.Information, "Instance {LinodeId} ({Label}) {Status}")]
    public static partial void InstanceStatus(ILogger logger, long linodeId, string label, string status);

    [LoggerMessage(3, LogLevel.Warning, "Instance {LinodeId} failed to boot: {Reason}")]
    public static partial void BootFailed(ILogger logger, long linodeId, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Instance {LinodeId}'s process exited unexpectedly; the instance is offline")]
    public static partial void ProcessExited(ILogger logger, long linodeId);

    [LoggerMessage(5, LogLevel.Error, "Instance {LinodeId}: the {Job} job failed")]
    public static partial void JobFailed(ILogger logger, Exception exception, long linodeId, string job);

    [LoggerMessage(6, LogLevel.Error, "Stopping the process of instance {LinodeId} failed")]
    public static partial void StopFailed(ILogger logger, Exception exception, long linodeId);

    [LoggerMessage(7, LogLevel.Error, "Applying NodeBalancer config {ConfigId} to the load balancer failed")]
    public static partial void ApplyFailed(ILogger logger, Exception exception, long configId);

    [LoggerMessage(8, LogLevel.Error, "Removing NodeBalancer config {ConfigId} from the load balancer failed")]
    public static partial void RemoveFailed(ILogger logger, Exception exception, long configId);

    [LoggerMessage(9, LogLevel.Error, "Unhandled error in {Method} {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(10, LogLevel.Debug, "{Method} {Path} -> {Status}")]
    public static partial void Request(ILogger logger, string method, string path, int status);

    [LoggerMessage(11, LogLevel.Information, "Fault settings changed: {Faults}")]
    public static partial void FaultsChanged(ILogger logger, string faults);

    [LoggerMessage(12, LogLevel.Information, "Killed the process of instance {LinodeId} (fault injection)")]
    public static partial void Killed(ILogger logger, long linodeId);

    [LoggerMessage(13, LogLevel.Error, "Disposing a runtime failed")]
    public static partial void DisposeFailed(ILogger logger, Exception exception);
}

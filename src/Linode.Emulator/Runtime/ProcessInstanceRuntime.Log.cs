using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Runtime;

public sealed partial class ProcessInstanceRuntime
{
    [LoggerMessage(Level = LogLevel.Information,
        Message = "instance {LinodeId} ({Label}) started as pid {Pid} on {Address}: {Program}")]
    private static partial void LogStarted(ILogger logger, long linodeId, string label, int pid, string address, string program);

    [LoggerMessage(Level = LogLevel.Information, Message = "instance {LinodeId} ({Label}) stopped")]
    private static partial void LogStopped(ILogger logger, long linodeId, string label);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "instance {LinodeId} ({Label}) exited unexpectedly with code {ExitCode}; last output: {Output}")]
    private static partial void LogExitedUnexpectedly(ILogger logger, long linodeId, string label, int? exitCode, string output);

    [LoggerMessage(Level = LogLevel.Error, Message = "a ProcessExited handler failed for instance {LinodeId}")]
    private static partial void LogSubscriberFailed(ILogger logger, long linodeId, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "instance {LinodeId} ({Label}): {Line}")]
    private static partial void LogOutput(ILogger logger, long linodeId, string label, string line);
}

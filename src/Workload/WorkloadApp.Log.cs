using Microsoft.Extensions.Logging;

namespace Workload;

public sealed partial class WorkloadApp
{
    [LoggerMessage(Level = LogLevel.Information,
        Message = "workload listening on {App} (metrics {Metrics}), {Vcpus} vCPUs ({Mode}), {WorkMs} ms per request, queue {Queue}")]
    private static partial void LogListening(ILogger logger, Uri app, Uri metrics, int vcpus, string mode, int workMs, int queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "parent process {Pid} is gone; stopping")]
    private static partial void LogParentGone(ILogger logger, int pid);
}

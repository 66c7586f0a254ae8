using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Runtime;

internal sealed partial class BalancerListener
{
    [LoggerMessage(Level = LogLevel.Information,
        Message = "NodeBalancer {NodeBalancerId} config {ConfigId} (port {Port}): node {NodeId} ({Backend}) is {Status}: {Reason}")]
    private static partial void LogNodeStatus(ILogger logger, long nodeBalancerId, long configId, int port,
        long nodeId, string backend, string status, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "NodeBalancer {NodeBalancerId} config {ConfigId}: check_body is not a valid regular expression; http_body checks fail")]
    private static partial void LogBadCheckBody(ILogger logger, long nodeBalancerId, long configId);
}

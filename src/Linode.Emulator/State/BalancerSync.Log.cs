using Microsoft.Extensions.Logging;

namespace Linode.Emulator.State;

internal sealed partial class BalancerSync
{
    [LoggerMessage(7, LogLevel.Error, "Applying NodeBalancer config {ConfigId} to the load balancer failed")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, long configId);

    [LoggerMessage(8, LogLevel.Error, "Removing NodeBalancer config {ConfigId} from the load balancer failed")]
    private static partial void LogRemoveFailed(ILogger logger, Exception exception, long configId);
}

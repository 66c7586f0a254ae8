using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Api;

internal static partial class AdminRoutes
{
    [LoggerMessage(11, LogLevel.Information, "Fault settings changed: {Faults}")]
    private static partial void LogFaultsChanged(ILogger logger, string faults);

    [LoggerMessage(12, LogLevel.Information, "Killed the process of instance {LinodeId} (fault injection)")]
    private static partial void LogKilled(ILogger logger, long linodeId);
}

using Microsoft.Extensions.Logging;

namespace Linode.Emulator;

public sealed partial class EmulatorHost
{
    [LoggerMessage(1, LogLevel.Information, "Linode API v4 emulator listening on {BaseAddress}")]
    private static partial void LogListening(ILogger logger, Uri baseAddress);

    [LoggerMessage(13, LogLevel.Error, "Disposing a runtime failed")]
    private static partial void LogDisposeFailed(ILogger logger, Exception exception);
}

using Microsoft.Extensions.Logging;

namespace Linode.Emulator.Api;

internal static partial class ApiPipeline
{
    [LoggerMessage(9, LogLevel.Error, "Unhandled error in {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(10, LogLevel.Debug, "{Method} {Path} -> {Status}")]
    private static partial void LogRequest(ILogger logger, string method, string path, int status);
}

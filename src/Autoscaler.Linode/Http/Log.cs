using System.Net;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Http;

// Only methods, paths, statuses and timings are logged: never headers (Authorization) nor bodies (root_pass, ssl_key).
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug,
        Message = "Linode API {Method} {Path} -> {StatusCode} in {ElapsedMs:0.0} ms (attempt {Attempt})")]
    public static partial void Response(ILogger logger, string method, string path, int statusCode, double elapsedMs,
        int attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug,
        Message = "Linode API {Method} {Path} failed after {ElapsedMs:0.0} ms (attempt {Attempt}): {Error}")]
    public static partial void Failure(ILogger logger, string method, string path, double elapsedMs, int attempt,
        string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information,
        Message = "Linode API {Method} {Path}: retry {Retry} in {DelayMs:0} ms after {Outcome}")]
    public static partial void Retrying(ILogger logger, string method, string path, int retry, double delayMs,
        string outcome);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information,
        Message = "Linode API rate limit exhausted: waiting {DelayMs:0} ms before {Method} {Path}")]
    public static partial void RateLimitWait(ILogger logger, double delayMs, string method, string path);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug,
        Message = "Linode API budget: {Method} {Path} waited {DelayMs:0} ms for its bucket")]
    public static partial void BudgetWait(ILogger logger, double delayMs, string method, string path);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning,
        Message = "Linode API {Method} {Path} -> {StatusCode}; not retried because the request is not safe to repeat")]
    public static partial void NotRetriedUnsafe(ILogger logger, string method, string path, HttpStatusCode statusCode);
}

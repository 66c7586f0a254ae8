using System.Net;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary>What went wrong, for callers that prefer a switch over catch clauses.</summary>
public enum LinodeErrorKind
{
    /// <summary>A status with no more specific kind (409, 422, …).</summary>
    Other = 0,

    /// <summary>400: the request was invalid; see <see cref="LinodeApiException.Errors"/> for each field.</summary>
    Validation,

    /// <summary>400 "Linode busy.": another job runs on the instance; the API did not act.</summary>
    Busy,

    /// <summary>401: the token is missing, invalid or expired.</summary>
    Unauthorized,

    /// <summary>403: the token lacks the scope, or the user the grant.</summary>
    Forbidden,

    /// <summary>404.</summary>
    NotFound,

    /// <summary>429.</summary>
    RateLimited,

    /// <summary>5xx.</summary>
    ServerError,

    /// <summary>No answer in time (per attempt or in total).</summary>
    Timeout,

    /// <summary>The connection failed (DNS, refused, reset, TLS).</summary>
    Transport,

    /// <summary>A success status with a body that could not be read.</summary>
    InvalidResponse,
}

/// <summary>Base of every error the client throws (caller cancellation stays an <see cref="OperationCanceledException"/>).
/// Messages name the method and path, never the token.</summary>
public abstract class LinodeException : Exception
{
    protected LinodeException(string message, string method, string path, LinodeErrorKind kind, Exception? innerException = null)
        : base(message, innerException)
    {
        Method = method;
        Path = path;
        Kind = kind;
    }

    /// <summary>HTTP method of the request.</summary>
    public string Method { get; }

    /// <summary>Path of the request, without the query string (e.g. <c>/v4/linode/instances/123</c>).</summary>
    public string Path { get; }

    public LinodeErrorKind Kind { get; }
}

/// <summary>The API answered with an error status.</summary>
public class LinodeApiException : LinodeException
{
    internal LinodeApiException(LinodeErrorKind kind, HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, RateLimitInfo rateLimit, int attempts)
        : base(FormatMessage(statusCode, method, path, errors, attempts), method, path, kind)
    {
        StatusCode = statusCode;
        Errors = errors;
        RateLimit = rateLimit;
        Attempts = attempts;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>Every <c>{reason, field}</c> of the body (one synthesized entry when the body had none).</summary>
    public IReadOnlyList<LinodeApiError> Errors { get; }

    /// <summary>Rate-limit headers of the failing response.</summary>
    public RateLimitInfo RateLimit { get; }

    /// <summary>How many times the request was sent (1 when it was not retried).</summary>
    public int Attempts { get; }

    /// <summary>The reasons given for <paramref name="field"/>.</summary>
    public IEnumerable<string> ReasonsFor(string field) =>
        Errors.Where(e => string.Equals(e.Field, field, StringComparison.Ordinal)).Select(e => e.Reason);

    private static string FormatMessage(HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, int attempts)
    {
        var reasons = errors.Count == 0 ? "no details" : string.Join("; ", errors);
        var tries = attempts > 1 ? $" after {attempts} attempts" : "";
        return $"Linode API {method} {path} failed with {(int)statusCode} {statusCode}{tries}: {reasons}";
    }
}

/// <summary>400: the request was invalid.</summary>
public sealed class LinodeValidationException : LinodeApiException
{
    internal LinodeValidationException(HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, RateLimitInfo rateLimit, int attempts)
        : base(LinodeErrorKind.Validation, statusCode, method, path, errors, rateLimit, attempts)
    {
    }
}

/// <summary>400 "Linode busy.": a conflicting job runs; safe to try again later (the API did not act).</summary>
public sealed class LinodeBusyException : LinodeApiException
{
    internal LinodeBusyException(HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, RateLimitInfo rateLimit, int attempts)
        : base(LinodeErrorKind.Busy, statusCode, method, path, errors, rateLimit, attempts)
    {
    }
}

/// <summary>401: the token is missing, invalid or expired.</summary>
public sealed class LinodeUnauthorizedException : LinodeApiException
{
    internal LinodeUnauthorizedException(HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, RateLimitInfo rateLimit, int attempts)
        : base(LinodeErrorKind.Unauthorized, statusCode, method, path, errors, rateLimit, attempts)
    {
    }
}

/// <summary>403: the token lacks the scope, or the user the grant.</summary>
public sealed class LinodeForbiddenException : LinodeApiException
{
    internal LinodeForbiddenException(HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, RateLimitInfo rateLimit, int attempts)
        : base(LinodeErrorKind.Forbidden, statusCode, method, path, errors, rateLimit, attempts)
    {
    }
}

/// <summary>404: the object does not exist (or is not visible to this token).</summary>
public sealed class LinodeNotFoundException : LinodeApiException
{
    internal LinodeNotFoundException(HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, RateLimitInfo rateLimit, int attempts)
        : base(LinodeErrorKind.NotFound, statusCode, method, path, errors, rateLimit, attempts)
    {
    }
}

/// <summary>429 after every allowed retry.</summary>
public sealed class LinodeRateLimitedException : LinodeApiException
{
    internal LinodeRateLimitedException(HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, RateLimitInfo rateLimit, int attempts)
        : base(LinodeErrorKind.RateLimited, statusCode, method, path, errors, rateLimit, attempts)
    {
    }

    /// <summary>The server's <c>Retry-After</c>, when it sent one.</summary>
    public TimeSpan? RetryAfter => RateLimit.RetryAfter;
}

/// <summary>5xx after every allowed retry (or at once for a request that is not safe to repeat).</summary>
public sealed class LinodeServerException : LinodeApiException
{
    internal LinodeServerException(HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, RateLimitInfo rateLimit, int attempts, bool maintenance)
        : base(LinodeErrorKind.ServerError, statusCode, method, path, errors, rateLimit, attempts)
    {
        IsMaintenance = maintenance;
    }

    /// <summary>True for a 503 with <c>X-Maintenance-Mode</c>: the API is down for maintenance.</summary>
    public bool IsMaintenance { get; }
}

/// <summary>The request did not complete within the per-attempt or the total timeout.</summary>
public sealed class LinodeTimeoutException : LinodeException
{
    internal LinodeTimeoutException(string method, string path, TimeSpan timeout, int attempts, Exception innerException)
        : base($"Linode API {method} {path} timed out after {timeout.TotalSeconds:0.###} s (attempts: {attempts})",
            method, path, LinodeErrorKind.Timeout, innerException)
    {
        Timeout = timeout;
        Attempts = attempts;
    }

    /// <summary>The timeout that fired.</summary>
    public TimeSpan Timeout { get; }

    public int Attempts { get; }
}

/// <summary>The connection to the API failed.</summary>
public sealed class LinodeTransportException : LinodeException
{
    internal LinodeTransportException(string method, string path, int attempts, Exception innerException)
        : base($"Linode API {method} {path} could not be reached (attempts: {attempts}): {innerException.Message}",
            method, path, LinodeErrorKind.Transport, innerException)
    {
        Attempts = attempts;
    }

    public int Attempts { get; }
}

/// <summary>The API answered with success but a body this client cannot read.</summary>
public sealed class LinodeInvalidResponseException : LinodeException
{
    internal LinodeInvalidResponseException(string method, string path, string problem, Exception? innerException)
        : base($"Linode API {method} {path} returned an unreadable response: {problem}", method, path,
            LinodeErrorKind.InvalidResponse, innerException)
    {
    }
}

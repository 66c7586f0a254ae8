using System.Net;
using System.Text;
using System.Text.Json;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode;

/// <summary>Reads <c>{"errors":[{"reason","field"}]}</c> bodies and turns failed responses into typed exceptions.</summary>
internal static class LinodeErrorBody
{
    /// <summary>The reason the API gives when a conflicting job runs (linodego retries on exactly this).</summary>
    public const string BusyReason = "Linode busy.";

    /// <summary>Put first in the errors of a 503 with <c>X-Maintenance-Mode</c>, so every message says why.</summary>
    public const string MaintenanceReason =
        "Linode API maintenance (503 with X-Maintenance-Mode): not retried; the autoscaler holds until it ends";

    private const int MaxSnippet = 200;

    /// <summary>Every error in the body; for a body that is not the API's error JSON, one entry describing it.</summary>
    public static IReadOnlyList<LinodeApiError> Parse(string? body, HttpStatusCode statusCode, string? mediaType)
    {
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object &&
                    document.RootElement.TryGetProperty("errors", out var errors) &&
                    errors.ValueKind == JsonValueKind.Array)
                {
                    var list = new List<LinodeApiError>();
                    foreach (var error in errors.EnumerateArray())
                    {
                        if (error.ValueKind != JsonValueKind.Object)
                        {
                            continue;
                        }

                        var reason = ReadString(error, "reason");
                        var field = ReadString(error, "field");
                        list.Add(new LinodeApiError(
                            string.IsNullOrEmpty(reason) ? DescribeStatus(statusCode) : reason,
                            string.IsNullOrEmpty(field) ? null : field));
                    }

                    if (list.Count > 0)
                    {
                        return list;
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON (an HTML page from a proxy, a plain-text 502): described below instead.
            }

            return [new LinodeApiError($"{DescribeStatus(statusCode)} ({mediaType ?? "no content type"}): {Snippet(body)}")];
        }

        return [new LinodeApiError(DescribeStatus(statusCode))];
    }

    public static bool IsBusy(IReadOnlyList<LinodeApiError> errors) =>
        errors.Any(e => string.Equals(e.Reason.Trim(), BusyReason, StringComparison.OrdinalIgnoreCase));

    /// <summary>The typed exception for a failed response.</summary>
    public static LinodeApiException ToException(HttpStatusCode statusCode, string method, string path,
        IReadOnlyList<LinodeApiError> errors, RateLimitInfo rateLimit, int attempts, bool maintenance)
    {
        var code = (int)statusCode;
        return code switch
        {
            400 when IsBusy(errors) => new LinodeBusyException(statusCode, method, path, errors, rateLimit, attempts),
            400 => new LinodeValidationException(statusCode, method, path, errors, rateLimit, attempts),
            401 => new LinodeUnauthorizedException(statusCode, method, path, errors, rateLimit, attempts),
            403 => new LinodeForbiddenException(statusCode, method, path, errors, rateLimit, attempts),
            404 => new LinodeNotFoundException(statusCode, method, path, errors, rateLimit, attempts),
            429 => new LinodeRateLimitedException(statusCode, method, path, errors, rateLimit, attempts),
            >= 500 and < 600 => new LinodeServerException(statusCode, method, path, errors, rateLimit, attempts, maintenance),
            _ => new LinodeApiException(LinodeErrorKind.Other, statusCode, method, path, errors, rateLimit, attempts),
        };
    }

    /// <summary>Replaces every occurrence of the secret, so nothing the server echoes can leak it.</summary>
    public static IReadOnlyList<LinodeApiError> Redact(IReadOnlyList<LinodeApiError> errors, string? secret)
    {
        if (string.IsNullOrEmpty(secret) || !errors.Any(e => Contains(e.Reason, secret) || Contains(e.Field, secret)))
        {
            return errors;
        }

        return errors
            .Select(e => new LinodeApiError(
                e.Reason.Replace(secret, "***", StringComparison.Ordinal),
                e.Field?.Replace(secret, "***", StringComparison.Ordinal)))
            .ToList();
    }

    private static bool Contains(string? text, string secret) =>
        text is not null && text.Contains(secret, StringComparison.Ordinal);

    private static string? ReadString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => value.GetRawText(),
            }
            : null;

    private static string DescribeStatus(HttpStatusCode statusCode) =>
        $"HTTP {(int)statusCode} {statusCode}";

    private static string Snippet(string body)
    {
        var builder = new StringBuilder(Math.Min(body.Length, MaxSnippet) + 1);
        foreach (var c in body.AsSpan(0, Math.Min(body.Length, MaxSnippet)))
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        if (body.Length > MaxSnippet)
        {
            builder.Append('…');
        }

        return builder.ToString().Trim();
    }
}

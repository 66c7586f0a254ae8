using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Http;

/// <summary>Innermost handler (below the resilience pipeline, so it sees every attempt): counts attempts, reads the
/// whole body, logs one debug line per attempt, records metrics.</summary>
internal sealed class LinodeRequestHandler(ILogger logger, LinodeClientMetrics metrics, TimeProvider timeProvider)
    : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request,
        CancellationToken cancellationToken)
    {
        var context = LinodeRequestContext.Of(request);
        var attempt = context?.NextAttempt() ?? 1;
        var endpoint = context?.Endpoint ?? "unknown";
        var method = request.Method.Method;
        var path = request.RequestUri?.AbsolutePath ?? "";
        var started = timeProvider.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            try
            {
                // Reading the body here puts it under the attempt timeout and the retry policy; read later, a server
                // that sends headers and then stalls would hang the call with no timeout at all.
                await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                response.Dispose();
                throw;
            }

            var elapsed = timeProvider.GetElapsedTime(started);
            var status = (int)response.StatusCode;
            metrics.RecordAttempt(endpoint, status.ToString(CultureInfo.InvariantCulture), elapsed);
            Log.Response(logger, method, path, status, elapsed.TotalMilliseconds, attempt);
            return response;
        }
        catch (Exception ex)
        {
            var elapsed = timeProvider.GetElapsedTime(started);
            var status = ex switch
            {
                OperationCanceledException => "canceled",
                HttpRequestException => "transport",
                _ => "error",
            };
            metrics.RecordAttempt(endpoint, status, elapsed);
            Log.Failure(logger, method, path, elapsed.TotalMilliseconds, attempt, $"{ex.GetType().Name}: {ex.Message}");
            throw;
        }
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Autoscaler.Linode.Json;
using Autoscaler.Linode.Models;
using Polly.Timeout;

namespace Autoscaler.Linode.Http;

/// <summary>Builds requests (auth, headers, X-Filter, JSON body), sends them through the handler chain and turns
/// responses into models or typed exceptions. Pagination lives here too.</summary>
internal sealed class LinodeTransport
{
    private static readonly MediaTypeWithQualityHeaderValue JsonMediaType = new("application/json");

    private readonly HttpClient _http;
    private readonly Uri _baseUri;
    private readonly string _token;
    private readonly string _userAgent;
    private readonly int _pageSize;
    private readonly TimeProvider _timeProvider;

    public LinodeTransport(HttpClient http, LinodeClientOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        _http = http;
        _baseUri = options.GetApiBaseUri();
        _token = options.Token;
        _userAgent = options.UserAgent;
        _pageSize = options.PageSize;
        _timeProvider = timeProvider;
    }

    public Uri BaseUri => _baseUri;

    /// <summary>Sends one request and reads a <typeparamref name="T"/>.</summary>
    /// <param name="endpoint">Template for logs and metrics, e.g. <c>GET /linode/instances/{linodeId}</c>.</param>
    /// <param name="relativePath">Escaped path below the API root, with an optional query.</param>
    public Task<T> SendAsync<T>(HttpMethod method, string endpoint, string relativePath, object? body,
        bool idempotent, Filter? filter, CancellationToken cancellationToken) =>
        SendCoreAsync<T>(method, endpoint, relativePath, body, idempotent, filter, null, cancellationToken);

    /// <summary>GETs <paramref name="relativePath"/> for one response header (the body is not read); null when the
    /// answer has no such header.</summary>
    public async Task<string?> GetHeaderAsync(string endpoint, string relativePath, string header,
        CancellationToken cancellationToken)
    {
        string? value = null;
        await SendCoreAsync<EmptyResponse>(HttpMethod.Get, endpoint, relativePath, null, idempotent: true, null,
            headers => value = headers.TryGetValues(header, out var values) ? string.Join(' ', values) : null,
            cancellationToken).ConfigureAwait(false);
        return value;
    }

    private async Task<T> SendCoreAsync<T>(HttpMethod method, string endpoint, string relativePath, object? body,
        bool idempotent, Filter? filter, Action<HttpResponseHeaders>? onHeaders, CancellationToken cancellationToken)
    {
        var context = new LinodeRequestContext(endpoint, idempotent,
            paginated: typeof(T).IsGenericType && typeof(T).GetGenericTypeDefinition() == typeof(Page<>));
        using var request = BuildRequest(method, relativePath, body, filter, context);
        var path = request.RequestUri!.AbsolutePath;

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException ex)
        {
            throw new LinodeTimeoutException(method.Method, path, ex.Timeout, context.Attempts, ex);
        }
        catch (OperationCanceledException ex)
        {
            // HttpClient.Timeout (when a caller's HttpClient keeps one) surfaces as a cancellation nobody asked for.
            throw new LinodeTimeoutException(method.Method, path, _http.Timeout, context.Attempts, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new LinodeTransportException(method.Method, path, Math.Max(1, context.Attempts), ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                // The retry strategy hands back the last failed answer when the caller cancels between attempts (during
                // a Retry-After wait, say): the caller asked to stop, so that is what it hears, not the 429.
                cancellationToken.ThrowIfCancellationRequested();
                throw await ToExceptionAsync(response, method.Method, path, Math.Max(1, context.Attempts),
                    cancellationToken).ConfigureAwait(false);
            }

            onHeaders?.Invoke(response.Headers);
            if (typeof(T) == typeof(EmptyResponse))
            {
                return default!;
            }

            try
            {
                var result = await response.Content.ReadFromJsonAsync(LinodeJson.Info<T>(), cancellationToken)
                    .ConfigureAwait(false);
                return result ?? throw new LinodeInvalidResponseException(method.Method, path,
                    $"the body was empty or null where {typeof(T).Name} was expected", null);
            }
            catch (JsonException ex)
            {
                throw new LinodeInvalidResponseException(method.Method, path,
                    $"the body is not a valid {typeof(T).Name}: {ex.Message}", ex);
            }
        }
    }

    public Task SendAsync(HttpMethod method, string endpoint, string relativePath, object? body, bool idempotent,
        CancellationToken cancellationToken) =>
        SendAsync<EmptyResponse>(method, endpoint, relativePath, body, idempotent, null, cancellationToken);

    /// <summary>Every item of a collection, page by page (lazily: stopping early fetches no further page).</summary>
    public async IAsyncEnumerable<T> ListAsync<T>(string endpoint, string relativePath, Filter? filter,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var separator = relativePath.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        for (var page = 1; ; page++)
        {
            var pagePath = string.Create(CultureInfo.InvariantCulture,
                $"{relativePath}{separator}page={page}&page_size={_pageSize}");
            var result = await SendAsync<Page<T>>(HttpMethod.Get, endpoint, pagePath, null, idempotent: true, filter,
                cancellationToken).ConfigureAwait(false);
            foreach (var item in result.Data)
            {
                yield return item;
            }

            // An empty page ends the walk too: a collection that shrank while being listed must not loop.
            if (page >= result.Pages || result.Data.Count == 0)
            {
                yield break;
            }
        }
    }

    private HttpRequestMessage BuildRequest(HttpMethod method, string relativePath, object? body, Filter? filter,
        LinodeRequestContext context)
    {
        var request = new HttpRequestMessage(method, new Uri(_baseUri, relativePath));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        request.Headers.Accept.Add(JsonMediaType);
        request.Headers.TryAddWithoutValidation("User-Agent", _userAgent);
        if (filter is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Filter", filter.ToJson());
        }

        if (body is not null)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(body, LinodeJson.Options.GetTypeInfo(body.GetType()));
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        request.Options.Set(LinodeRequestContext.Key, context);
        return request;
    }

    private async Task<LinodeApiException> ToExceptionAsync(HttpResponseMessage response, string method, string path,
        int attempts, CancellationToken cancellationToken)
    {
        string? body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            body = null;
        }

        var errors = LinodeErrorBody.Redact(
            LinodeErrorBody.Parse(body, response.StatusCode, response.Content.Headers.ContentType?.MediaType), _token);
        var rateLimit = RateLimitInfo.From(response.Headers, _timeProvider.GetUtcNow());
        var maintenance = response.StatusCode == HttpStatusCode.ServiceUnavailable &&
                          response.Headers.Contains("X-Maintenance-Mode");
        if (maintenance)
        {
            errors = [new LinodeApiError(LinodeErrorBody.MaintenanceReason), .. errors];
        }
        else if ((int)response.StatusCode is >= 300 and < 400)
        {
            // Only the redirect's scheme and host are named: its path or query could carry anything.
            var target = response.Headers.Location is { IsAbsoluteUri: true } location
                ? location.GetLeftPart(UriPartial.Authority)
                : "(same host)";
            errors = [new LinodeApiError($"redirect to {target} not followed: the client never re-sends a request " +
                                         "or its token elsewhere; set linode.url to the API's real address")];
        }
        return LinodeErrorBody.ToException(response.StatusCode, method, path, errors, rateLimit, attempts, maintenance);
    }

    /// <summary>Path segment escaping: <c>linode/debian12</c> → <c>linode%2Fdebian12</c>.</summary>
    public static string Segment(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        return Uri.EscapeDataString(value);
    }

    public static string Segment(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Placeholder for endpoints that answer <c>{}</c>.</summary>
    internal sealed record EmptyResponse;
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Autoscaler.Service.Api;

/// <summary>The service's API answered with an error.</summary>
public sealed class AutoscalerApiException : Exception
{
    public AutoscalerApiException()
    {
    }

    public AutoscalerApiException(string message)
        : base(message)
    {
    }

    public AutoscalerApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from an answer.</summary>
    public AutoscalerApiException(HttpStatusCode status, ErrorResponse? error, string fallback)
        : base(error?.Error ?? fallback)
    {
        Status = status;
        Error = error;
    }

    /// <summary>HTTP status.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The error body, when there was one.</summary>
    public ErrorResponse? Error { get; }
}

/// <summary>A client of a running service's HTTP API (what <c>status</c> and <c>scale</c> use).</summary>
public sealed class AutoscalerApiClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>Talks to <paramref name="baseUrl"/> (e.g. <c>http://127.0.0.1:9099</c>), sending
    /// <paramref name="authorization"/> (a full header value like <c>Bearer …</c>) with write calls when given.</summary>
    public AutoscalerApiClient(Uri baseUrl, string? authorization = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
#pragma warning disable CA2000 // The HttpClient owns the handler.
        _http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: handler is null)
#pragma warning restore CA2000
        {
            BaseAddress = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (authorization is not null)
        {
            _http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }
    }

    /// <summary>The <c>Authorization</c> value for a bearer token.</summary>
    public static string Bearer(string token) => "Bearer " + token;

    /// <summary>The <c>Authorization</c> value for basic auth.</summary>
    public static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    /// <summary>Every pool.</summary>
    public async Task<IReadOnlyList<PoolDto>> GetPoolsAsync(CancellationToken cancellationToken = default) =>
        (await GetAsync<PoolsResponse>("api/v1/pools", cancellationToken).ConfigureAwait(false)).Pools;

    /// <summary>Every pool with the Linode API budget.</summary>
    public Task<PoolsResponse> GetStatusAsync(CancellationToken cancellationToken = default) =>
        GetAsync<PoolsResponse>("api/v1/pools", cancellationToken);

    /// <summary>One pool.</summary>
    public Task<PoolDto> GetPoolAsync(string pool, CancellationToken cancellationToken = default) =>
        GetAsync<PoolDto>("api/v1/pools/" + Uri.EscapeDataString(pool), cancellationToken);

    /// <summary>The audit trail, newest first.</summary>
    public async Task<IReadOnlyList<EventDto>> GetEventsAsync(string? pool, int limit, CancellationToken cancellationToken = default)
    {
        var q = "api/v1/events?limit=" + limit.ToString(System.Globalization.CultureInfo.InvariantCulture) + (pool is null ? "" : "&pool=" + Uri.EscapeDataString(pool));
        return (await GetAsync<EventsResponse>(q, cancellationToken).ConfigureAwait(false)).Events;
    }

    /// <summary>Sets a pool's desired size.</summary>
    public async Task<ScaleResponse> ScaleAsync(string pool, int desired, CancellationToken cancellationToken = default)
    {
        using var content = JsonContent.Create(new ScaleRequest(desired), ApiJson.Info<ScaleRequest>());
        using var response = await _http.PostAsync("api/v1/pools/" + Uri.EscapeDataString(pool) + "/scale", content, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<ScaleResponse>(response, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<T> GetAsync<T>(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, ct).ConfigureAwait(false);
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            ErrorResponse? error = null;
            try
            {
                error = JsonSerializer.Deserialize(body, ApiJson.Info<ErrorResponse>());
            }
            catch (JsonException)
            {
            }

            throw new AutoscalerApiException(response.StatusCode, error, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        try
        {
            return JsonSerializer.Deserialize(body, ApiJson.Info<T>()) ?? throw new AutoscalerApiException("the service answered an empty body");
        }
        catch (JsonException ex)
        {
            throw new AutoscalerApiException("the service answered something that is not its API: " + ex.Message, ex);
        }
    }
}

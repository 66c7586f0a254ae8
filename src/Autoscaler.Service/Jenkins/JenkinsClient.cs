using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Jenkins;

/// <summary>Where and how to trigger a Jenkins job.</summary>
public sealed record JenkinsTarget
{
    /// <summary>Jenkins' root URL, e.g. <c>https://ci.example.com/</c>.</summary>
    public required Uri Url { get; init; }

    /// <summary>The user the API token belongs to.</summary>
    public required string User { get; init; }

    /// <summary>The user's API token (never logged).</summary>
    public required string ApiToken { get; init; }

    /// <summary>The job; <c>folder/job</c> for a job inside folders.</summary>
    public required string Job { get; init; }

    /// <summary>Between queue and build polls. Default 2 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts of one request answered 5xx or unreachable. Default 5.</summary>
    public int Attempts { get; init; } = 5;

    /// <summary>First retry delay, doubled each time. Default 1 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>How a triggered build ended.</summary>
/// <param name="Result">Jenkins' result (<c>SUCCESS</c>, <c>FAILURE</c>, <c>UNSTABLE</c>, <c>ABORTED</c>), or
/// <c>CANCELLED</c> when the queue item was cancelled before it started.</param>
/// <param name="BuildUrl">The build's URL; null when it never started.</param>
public sealed record JenkinsBuildResult(string Result, Uri? BuildUrl)
{
    /// <summary>True for <c>SUCCESS</c>.</summary>
    public bool Succeeded => string.Equals(Result, "SUCCESS", StringComparison.Ordinal);
}

/// <summary>A Jenkins answer the client cannot go on from (4xx, 5xx after every retry, no queue Location).</summary>
public sealed class JenkinsException(string message) : Exception(message);

/// <summary>
/// Triggers a parameterized Jenkins job through its remote access API and follows it to its result:
/// <c>POST /job/NAME/buildWithParameters</c> with HTTP basic auth (user and API token) and, when
/// <c>/crumbIssuer/api/json</c> answers 200, the crumb in the header it names; then the <c>Location</c> queue item
/// (<c>/queue/item/N/api/json</c>) until <c>executable.url</c>, then <c>BUILD/api/json</c> until <c>result</c>. 5xx
/// answers and connection failures are retried with exponential backoff. The token is never logged nor put in an error,
/// and goes only to the configured scheme, host and port: a queue item or build Jenkins names elsewhere (a misconfigured
/// "Jenkins URL", or a hostile answer) ends the run with a <see cref="JenkinsException"/> instead of being followed.
/// Answers of an unexpected shape end it the same way.
/// </summary>
public sealed partial class JenkinsClient(HttpClient http, TimeProvider time, ILogger<JenkinsClient> logger)
{
    /// <summary>Triggers <paramref name="target"/>'s job with <paramref name="parameters"/> and waits for its result.</summary>
    public async Task<JenkinsBuildResult> RunAsync(JenkinsTarget target, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(parameters);
        var root = target.Url.AbsoluteUri.EndsWith('/') ? target.Url : new Uri(target.Url.AbsoluteUri + "/");
        var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(target.User + ":" + target.ApiToken)));

        (string Field, string Value)? crumb = null;
        using (var response = await SendAsync(target, () => Request(HttpMethod.Get, new Uri(root, "crumbIssuer/api/json"), auth), cancellationToken).ConfigureAwait(false))
        {
            // 404: CSRF protection is off (or the crumb issuer is not exposed); the trigger goes without a crumb.
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var doc = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
                if (doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("crumbRequestField", out var f) && doc.RootElement.TryGetProperty("crumb", out var c)
                    && f.ValueKind == JsonValueKind.String && c.ValueKind == JsonValueKind.String
                    && f.GetString() is { Length: > 0 } field && c.GetString() is { } value)
                {
                    crumb = (field, value);
                }
            }
        }

        var jobPath = string.Join("/", target.Job.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(p => "job/" + Uri.EscapeDataString(p)));
        var trigger = new Uri(root, jobPath + "/buildWithParameters");
        Uri queueItem;
        using (var response = await SendAsync(target, () =>
        {
            var r = Request(HttpMethod.Post, trigger, auth);
            r.Content = new FormUrlEncodedContent(parameters);
            if (crumb is { } cr)
            {
                r.Headers.TryAddWithoutValidation(cr.Field, cr.Value);
            }

            return r;
        }, cancellationToken).ConfigureAwait(false))
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new JenkinsException($"Jenkins answered {(int)response.StatusCode} to {trigger.AbsolutePath}");
            }

            queueItem = response.Headers.Location is { } location
                ? (location.IsAbsoluteUri ? location : new Uri(root, location))
                : throw new JenkinsException($"Jenkins accepted {trigger.AbsolutePath} but sent no queue item Location");
            SameOrigin(root, queueItem, "queue item");
        }

        LogQueued(logger, target.Job, queueItem);
        var itemApi = new Uri(queueItem.AbsoluteUri.TrimEnd('/') + "/api/json");
        Uri? build = null;
        while (build is null)
        {
            using var doc = await GetJsonAsync(target, itemApi, auth, cancellationToken).ConfigureAwait(false);
            var item = doc.RootElement;
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new JenkinsException($"Jenkins sent a {item.ValueKind} for the queue item {itemApi.AbsolutePath}, not an object");
            }

            if (item.TryGetProperty("cancelled", out var cancelled) && cancelled.ValueKind == JsonValueKind.True)
            {
                return new JenkinsBuildResult("CANCELLED", null);
            }

            if (item.TryGetProperty("executable", out var named) && named.ValueKind == JsonValueKind.Object
                && named.TryGetProperty("url", out var namedUrl) && namedUrl.ValueKind != JsonValueKind.String)
            {
                throw new JenkinsException($"Jenkins sent a build url of an unexpected shape ({namedUrl.ValueKind}) for {itemApi.AbsolutePath}");
            }

            if (item.TryGetProperty("executable", out var executable) && executable.ValueKind == JsonValueKind.Object
                && executable.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String && url.GetString() is { Length: > 0 } u)
            {
                build = Uri.TryCreate(root, u, out var b) && b.IsAbsoluteUri
                    ? b
                    : throw new JenkinsException($"Jenkins named a build URL that is not a URL for {itemApi.AbsolutePath}");
                SameOrigin(root, build, "build");
                break;
            }

            if (item.TryGetProperty("executable", out var odd) && odd.ValueKind is not (JsonValueKind.Null or JsonValueKind.Object))
            {
                throw new JenkinsException($"Jenkins sent an executable of an unexpected shape ({odd.ValueKind}) for {itemApi.AbsolutePath}");
            }

            await Task.Delay(target.PollInterval, time, cancellationToken).ConfigureAwait(false);
        }

        LogStarted(logger, target.Job, build);
        var buildApi = new Uri(build.AbsoluteUri.TrimEnd('/') + "/api/json");
        while (true)
        {
            using var doc = await GetJsonAsync(target, buildApi, auth, cancellationToken).ConfigureAwait(false);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new JenkinsException($"Jenkins sent a {doc.RootElement.ValueKind} for the build {buildApi.AbsolutePath}, not an object");
            }

            if (doc.RootElement.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.String && result.GetString() is { Length: > 0 } r)
            {
                LogFinished(logger, target.Job, build, r);
                return new JenkinsBuildResult(r, build);
            }

            await Task.Delay(target.PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Refuses a URL Jenkins named on another scheme, host or port than the configured one: the credentials
    /// would go there with the next request.</summary>
    private static void SameOrigin(Uri root, Uri named, string what)
    {
        if (!string.Equals(root.Scheme, named.Scheme, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(root.IdnHost, named.IdnHost, StringComparison.OrdinalIgnoreCase)
            || root.Port != named.Port)
        {
            throw new JenkinsException($"Jenkins named its {what} at {named.GetLeftPart(UriPartial.Authority)}, not at the configured "
                + $"{root.GetLeftPart(UriPartial.Authority)}; not followed, so the credentials stay there (check Jenkins' \"Jenkins URL\" setting)");
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, Uri uri, AuthenticationHeaderValue auth)
    {
        var r = new HttpRequestMessage(method, uri);
        r.Headers.Authorization = auth;
        return r;
    }

    private async Task<JsonDocument> GetJsonAsync(JenkinsTarget target, Uri uri, AuthenticationHeaderValue auth, CancellationToken ct)
    {
        using var response = await SendAsync(target, () => Request(HttpMethod.Get, uri, auth), ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new JenkinsException($"Jenkins answered {(int)response.StatusCode} to {uri.AbsolutePath}");
        }

        return await ReadJsonAsync(response, ct).ConfigureAwait(false);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                return await JsonDocument.ParseAsync(stream, default, ct).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                throw new JenkinsException($"Jenkins sent something other than JSON for {response.RequestMessage?.RequestUri?.AbsolutePath}");
            }
        }
    }

    /// <summary>Sends, retrying 5xx answers and connection failures with exponential backoff.</summary>
    private async Task<HttpResponseMessage> SendAsync(JenkinsTarget target, Func<HttpRequestMessage> make, CancellationToken ct)
    {
        var delay = target.RetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            using var request = make();
            HttpResponseMessage? response = null;
            string outcome;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                if ((int)response.StatusCode < 500)
                {
                    return response;
                }

                outcome = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (attempt >= target.Attempts)
                {
                    return response;
                }

                response.Dispose();
            }
            catch (HttpRequestException ex) when (attempt < target.Attempts)
            {
                response?.Dispose();
                outcome = ex.HttpRequestError.ToString();
            }

            LogRetry(logger, request.Method.Method, request.RequestUri!.AbsolutePath, outcome, attempt, delay.TotalSeconds);
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
            delay += delay;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "jenkins: {Job} queued as {QueueItem}")]
    private static partial void LogQueued(ILogger logger, string job, Uri queueItem);

    [LoggerMessage(Level = LogLevel.Information, Message = "jenkins: {Job} started: {Build}")]
    private static partial void LogStarted(ILogger logger, string job, Uri build);

    [LoggerMessage(Level = LogLevel.Information, Message = "jenkins: {Job} finished {Build}: {Result}")]
    private static partial void LogFinished(ILogger logger, string job, Uri build, string result);

    [LoggerMessage(Level = LogLevel.Warning, Message = "jenkins: {Method} {Path} got {Outcome} (attempt {Attempt}); retrying in {Seconds}s")]
    private static partial void LogRetry(ILogger logger, string method, string path, string outcome, int attempt, double seconds);
}

using System.Net.Http.Headers;
using System.Text;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Tests.Support;

/// <summary>A temporary folder removed on dispose (journals of a test live there).</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autoscaler-service-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Wait
{
    /// <summary>Polls until the condition holds (never a fixed sleep), failing after a generous deadline.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }
        }
    }
}

internal static class TestConfig
{
    public const string WebhookToken = "hook-secret-4b1d9e";
    public const string ApiToken = "api-secret-77c2aa";
    public const string LinodeToken = "linode-secret-0f9e8d";

    /// <summary>A pool section; <paramref name="extra"/> is appended inside the pool (indent 4).</summary>
    public static string Pool(string name = "web", int min = 2, int max = 6, string extra = "", string signals = DefaultSignals) => $$"""
          {{name}}:
            region: us-east
            type: g6-standard-1
            image: linode/debian12
            min: {{min}}
            max: {{max}}
            nodebalancer: { label: {{name}}-nb, port: 80, node_port: 8080, create_if_missing: true }
            health: { grace: 60s, replace_after: 60s }
        {{extra}}
            signals:
        {{signals}}
        """;

    public const string DefaultSignals = """
              - { alert: PoolCpuHigh, action: up }
              - { alert: PoolCpuLow, action: down }
        """;

    public static AutoscalerConfig Parse(string yaml)
    {
        var result = ServiceSchema.Parse(yaml, new Dictionary<string, string>());
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Config;
    }

    /// <summary>A whole configuration listening on a free loopback port with its journal in <paramref name="dir"/>.
    /// <paramref name="minEvaluationInterval"/> is webhook.min_evaluation_interval: 0s by default, so a test's alerts are
    /// each evaluated at once (the flood tests set the default, 2s, themselves).</summary>
    public static AutoscalerConfig Build(TempDir dir, string pools, string linodeUrl = "http://127.0.0.1:1/v4", string? webhookAuth = null,
        string? apiAuth = null, string interval = "1h", string extraTop = "", string minEvaluationInterval = "0s",
        string? snapshotFreshness = null)
    {
        var freshness = snapshotFreshness is null ? "" : ", snapshot_freshness: " + snapshotFreshness;
        webhookAuth ??= "{ bearer_token: " + WebhookToken + " }";
        var limits = $"max_body_bytes: 65536, min_evaluation_interval: {minEvaluationInterval}";
        var webhook = webhookAuth.Length == 0 ? "{ " + limits + " }" : "{ auth: " + webhookAuth + ", " + limits + " }";
        var api = apiAuth is null ? "" : "api: { auth: " + apiAuth + " }";
        return Parse($$"""
            linode: { url: {{linodeUrl}}, token: {{LinodeToken}}{{freshness}} }
            listen: 127.0.0.1:0
            webhook: {{webhook}}
            {{api}}
            engine: { evaluation_interval: {{interval}} }
            journal: { path: {{dir.File("autoscaler.db")}} }
            {{extraTop}}
            pools:
            {{pools}}
            """);
    }

    public static string Fixture(string name) => System.IO.File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    /// <summary>An Alertmanager notification with one alert.</summary>
    public static string Notification(string alertname, string status = "firing", string pool = "web", string? fingerprint = null,
        DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null)
    {
        var start = (startsAt ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        var end = endsAt is { } e ? e.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z";
        fingerprint ??= (alertname + pool).GetHashCode(StringComparison.Ordinal).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        return $$"""
            {"receiver":"as","status":"{{status}}","alerts":[{"status":"{{status}}","labels":{"alertname":"{{alertname}}","pool":"{{pool}}"},
             "annotations":{},"startsAt":"{{start}}","endsAt":"{{end}}","generatorURL":"http://127.0.0.1:9090/graph","fingerprint":"{{fingerprint}}"}],
             "groupLabels":{"pool":"{{pool}}"},"commonLabels":{"alertname":"{{alertname}}","pool":"{{pool}}"},"commonAnnotations":{},
             "externalURL":"http://127.0.0.1:9093","version":"4","groupKey":"{}:{pool=\"{{pool}}\"}","truncatedAlerts":0}
            """;
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static AuthenticationHeaderValue BearerHeader(string token) => new("Bearer", token);

    public static AuthenticationHeaderValue BasicHeader(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
}

using System.Net;
using System.Text.Json;
using Autoscaler.Service.Dashboard;
using Dashboard.Tests.Support;

namespace Dashboard.Tests;

/// <summary>The dashboard's files and API over HTTP, without a browser.</summary>
public sealed class ApiTests
{
    private static async Task<JsonElement> JsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Page_Served_IsSelfContainedWithAStrictPolicy()
    {
        await using var service = await DashboardService.StartAsync();

        using var page = await service.Http.GetAsync("/");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var csp = string.Join(" ", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", csp, StringComparison.Ordinal);
        // No CDN: every file the page loads is one of the service's own.
        foreach (var asset in DashboardEndpoints.Assets.Where(a => a.Key.EndsWith(".html", StringComparison.Ordinal) || a.Key.EndsWith(".css", StringComparison.Ordinal)))
        {
            var text = System.Text.Encoding.UTF8.GetString(asset.Value.Content);
            Assert.DoesNotContain("src=\"http", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("href=\"http", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("url(http", text, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var file in new[] { "dashboard/app.js", "dashboard/app.css", "dashboard/uPlot.iife.min.js", "dashboard/uPlot.min.css", "dashboard/icon.svg" })
        {
            Assert.Contains(file, html, StringComparison.Ordinal);
            using var response = await service.Http.GetAsync(file);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100, file);
        }
    }

    [Fact]
    public async Task Assets_Revalidated_AnswerNotModifiedForTheSameETagAndNotFoundForOthers()
    {
        await using var service = await DashboardService.StartAsync();
        using var first = await service.Http.GetAsync("dashboard/uPlot.iife.min.js");
        var etag = first.Headers.ETag!;

        using var again = new HttpRequestMessage(HttpMethod.Get, "dashboard/uPlot.iife.min.js");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await service.Http.SendAsync(again);
        using var missing = await service.Http.GetAsync("dashboard/secrets.json");

        Assert.Equal("text/javascript", first.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Info_Described_ListsPoolsChartsAndTheAuthScheme()
    {
        await using var service = await DashboardService.StartAsync(dashboard: "{ prometheus: http://127.0.0.1:1, cpu: 'x' }");

        var info = await JsonAsync(service.Http, "api/v1/dashboard");

        Assert.Equal("bearer", info.GetProperty("auth").GetString());
        Assert.Equal(250, info.GetProperty("sample_interval_ms").GetInt64());
        Assert.Equal(500, info.GetProperty("poll_ms").GetInt64());
        var pool = Assert.Single(info.GetProperty("pools").EnumerateArray());
        Assert.Equal(("web", 2, 6), (pool.GetProperty("pool").GetString(), pool.GetProperty("min").GetInt32(), pool.GetProperty("max").GetInt32()));
        Assert.Equal((false, true, false), (pool.GetProperty("requests").GetBoolean(), pool.GetProperty("cpu").GetBoolean(), pool.GetProperty("latency_p95").GetBoolean()));
    }

    [Fact]
    public async Task Series_AfterSamples_GivesAlignedColumnsAndOnlyNewerSamplesSince()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();
        JsonElement series = default;
        await Wait.UntilAsync(async () =>
        {
            series = await JsonAsync(service.Http, "api/v1/dashboard/pools/web/series");
            return series.GetProperty("t").GetArrayLength() >= 3 && series.GetProperty("serving").EnumerateArray().Last().GetInt32() == 2;
        }, "three samples, the last with 2 serving");

        var t = series.GetProperty("t").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        foreach (var column in new[] { "requests", "cpu", "latency_p95_ms", "serving", "booting", "draining", "unhealthy", "desired", "min", "max" })
        {
            Assert.Equal(t.Length, series.GetProperty(column).GetArrayLength());
        }

        Assert.Equal(42.5, series.GetProperty("requests").EnumerateArray().Last().GetDouble());
        Assert.Equal(63.25, series.GetProperty("cpu").EnumerateArray().Last().GetDouble());
        Assert.Equal(125, series.GetProperty("latency_p95_ms").EnumerateArray().Last().GetDouble());
        Assert.Equal((2, 6), (series.GetProperty("min").EnumerateArray().Last().GetInt32(), series.GetProperty("max").EnumerateArray().Last().GetInt32()));
        Assert.True(t.Zip(t.Skip(1)).All(p => p.First < p.Second), "times increase");

        var last = (long)Math.Round(t[^1] * 1000);
        var newer = await JsonAsync(service.Http, $"api/v1/dashboard/pools/web/series?since={last}");
        Assert.All(newer.GetProperty("t").EnumerateArray(), x => Assert.True(x.GetDouble() * 1000 > last));

        using var unknown = await service.Http.GetAsync("api/v1/dashboard/pools/nope/series");
        using var bad = await service.Http.GetAsync("api/v1/dashboard/pools/web/series?since=yesterday");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Series_PrometheusUnreachable_HasNoValueAndSaysWhy()
    {
        await using var service = await DashboardService.StartAsync(dashboard: "{ prometheus: http://127.0.0.1:1, cpu: 'pool:cpu_busy:percent' }");
        await service.WaitServingAsync();
        JsonElement series = default;
        await Wait.UntilAsync(async () =>
        {
            series = await JsonAsync(service.Http, "api/v1/dashboard/pools/web/series");
            return series.GetProperty("t").GetArrayLength() >= 1;
        }, "a sample");

        Assert.All(series.GetProperty("cpu").EnumerateArray(), v => Assert.Equal(JsonValueKind.Null, v.ValueKind));
        Assert.All(series.GetProperty("requests").EnumerateArray(), v => Assert.Equal(JsonValueKind.Null, v.ValueKind));
        Assert.Contains("cannot be reached", series.GetProperty("missing").GetProperty("cpu").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DryRun_WithoutOrWithWrongCredentials_IsRefusedAndUnchanged()
    {
        await using var service = await DashboardService.StartAsync();

        using var none = await service.Http.SendAsync(Http.Post("api/v1/pools/web/dry_run", """{"dry_run": true}"""));
        using var wrong = await service.Http.SendAsync(Http.Post("api/v1/pools/web/dry_run", """{"dry_run": true}""", bearer: "not-the-token"));
        using var webhookToken = await service.Http.SendAsync(Http.Post("api/v1/dry_run", """{"dry_run": true}""", bearer: DashboardService.WebhookToken));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains("authentication required", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("invalid credentials", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, webhookToken.StatusCode);
        Assert.DoesNotContain(DashboardService.ApiToken, await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(service.Host.Engine.IsDryRun("web"));
    }

    [Fact]
    public async Task DryRun_Switched_ShowsInThePoolAndValidatesTheBody()
    {
        await using var service = await DashboardService.StartAsync();

        using var on = await service.Http.SendAsync(Http.Post("api/v1/pools/web/dry_run", """{"dry_run": true}""", DashboardService.ApiToken));
        var pool = await JsonAsync(service.Http, "api/v1/pools/web");
        using var badBody = await service.Http.SendAsync(Http.Post("api/v1/pools/web/dry_run", """{"dry_run": "yes"}""", DashboardService.ApiToken));
        using var noBody = await service.Http.SendAsync(Http.Post("api/v1/pools/web/dry_run", "{}", DashboardService.ApiToken));
        using var unknown = await service.Http.SendAsync(Http.Post("api/v1/pools/nope/dry_run", """{"dry_run": true}""", DashboardService.ApiToken));

        Assert.Equal(HttpStatusCode.OK, on.StatusCode);
        Assert.True(service.Host.Engine.IsDryRun("web"));
        Assert.True(pool.GetProperty("dry_run").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, badBody.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noBody.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        using var allOff = await service.Http.SendAsync(Http.Post("api/v1/dry_run", """{"dry_run": false}""", DashboardService.ApiToken));
        var answer = JsonDocument.Parse(await allOff.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, allOff.StatusCode);
        Assert.False(answer.GetProperty("pools")[0].GetProperty("dry_run").GetBoolean());
        Assert.False(service.Host.Engine.IsDryRun("web"));
    }

    [Fact]
    public async Task Alerts_AfterFiringThenResolved_ListsOnlyWhatFires()
    {
        await using var service = await DashboardService.StartAsync();

        await service.PostAlertAsync(DashboardService.Example("firing-high.json"));
        var firing = await JsonAsync(service.Http, "api/v1/alerts?pool=web");
        await service.PostAlertAsync(DashboardService.Example("resolved-high.json"));
        var resolved = await JsonAsync(service.Http, "api/v1/alerts");

        var alert = Assert.Single(firing.GetProperty("alerts").EnumerateArray());
        Assert.Equal(("PoolCpuHigh", "web", "505e845896f2651e"),
            (alert.GetProperty("alertname").GetString(), alert.GetProperty("pool").GetString(), alert.GetProperty("fingerprint").GetString()));
        Assert.Equal("page", alert.GetProperty("labels").GetProperty("severity").GetString());
        Assert.Empty(resolved.GetProperty("alerts").EnumerateArray());
    }

    [Fact]
    public async Task Series_ForecastOnlySignal_OverlaysItsForecastOnTheRequestRate()
    {
        await using var service = await DashboardService.StartAsync(signals:
            "      - forecast: { prometheus: '{prometheus}', query: 'sum(rate(http_requests_total[1m]))', per_instance: 10, lead: 1s, mode: forecast_only }");

        JsonElement series = default;
        await Wait.UntilAsync(async () =>
        {
            series = await JsonAsync(service.Http, "api/v1/dashboard/pools/web/series");
            return series.GetProperty("forecast").EnumerateArray().Any(v => v.ValueKind == JsonValueKind.Number);
        }, "a forecast in the dashboard's series");

        // Forecast only: the history was read, the forecast drawn beside the actual rate, and the pool left alone.
        Assert.Contains(service.Prometheus.Queries, q => q.StartsWith("range: sum(rate(http_requests_total[1m]))", StringComparison.Ordinal));
        Assert.Equal(series.GetProperty("t").GetArrayLength(), series.GetProperty("forecast").GetArrayLength());
        Assert.InRange(series.GetProperty("forecast").EnumerateArray().Last(v => v.ValueKind == JsonValueKind.Number).GetDouble(), 15, 65);
        Assert.Equal(2, service.Desired);
    }
}

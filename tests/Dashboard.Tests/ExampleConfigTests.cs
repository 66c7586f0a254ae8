using System.Text.RegularExpressions;
using Dashboard.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests;

/// <summary>The page as a newcomer sees it with the shipped example configuration (examples/autoscaler.emulator.yaml):
/// its dashboard queries, answered by a Prometheus that has the sample Workload's series, fill all four charts; times
/// read one way (24 h, the date when not today), alerts with the start Alertmanager gave them.</summary>
[Collection(BrowserGroup.Name)]
public sealed partial class ExampleConfigTests(BrowserFixture fixture) : IAsyncLifetime
{
    private const float Timeout = 30_000;
    private IBrowserContext? _context;

    public Task InitializeAsync()
    {
        SetDefaultExpectTimeout(Timeout);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.CloseAsync();
        }
    }

    [Fact]
    public async Task ExampleConfig_DashboardQueries_AllFourChartsShowData()
    {
        var (requests, cpu, latency) = ExampleQueries();
        await using var service = await DashboardService.StartAsync(dashboard: uri =>
            $"{{ prometheus: {uri}, requests: '{requests}', cpu: '{cpu}', latency_p95: '{latency}' }}");
        // What the Workload's series and the recording rule give while the pool is busy.
        service.Prometheus.Values.Clear();
        service.Prometheus.Values["workload_http_requests_total"] = 18.5;
        service.Prometheus.Values["pool:node_cpu_busy:percent"] = 71.5;
        service.Prometheus.Values["workload_http_request_duration_seconds_bucket"] = 0.25;
        await service.WaitServingAsync();

        var page = await OpenAsync(service);
        var pool = page.Locator("section.pool[data-pool='web']");
        foreach (var chart in new[] { "requests", "cpu", "instances", "latency" })
        {
            await page.WaitForFunctionAsync(
                "c => Number(document.querySelector(`section.pool[data-pool='web'] figure[data-chart='${c}']`).dataset.points) >= 3", chart);
            await Expect(pool.Locator($"figure[data-chart='{chart}']")).Not.ToHaveClassAsync(UnknownClass());
            await Expect(pool.Locator($"figure[data-chart='{chart}'] .note")).Not.ToContainTextAsync("not known");
        }

        await Expect(pool.Locator("figure[data-chart='requests'] .note")).ToHaveTextAsync("now 18.5 req/s");
        await Expect(pool.Locator("figure[data-chart='cpu'] .note")).ToHaveTextAsync("now 71.5 %");
        await Expect(pool.Locator("figure[data-chart='latency'] .note")).ToHaveTextAsync("now 250 ms");
        Assert.Contains(service.Prometheus.Queries, q => q == requests);
        Assert.Contains(service.Prometheus.Queries, q => q == cpu);
        Assert.Contains(service.Prometheus.Queries, q => q == latency);
    }

    [Fact]
    public async Task Times_AxesAndAlerts_TwentyFourHourWithTheDateWhenNotToday()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();
        var page = await OpenAsync(service);
        var pool = page.Locator("section.pool[data-pool='web']");

        // firing-high.json started on 2026-11-28 05:13:36.255Z: shown with its date, not as if it started today.
        await service.PostAlertAsync(DashboardService.Example("firing-high.json"));
        await Expect(pool.Locator(".alerts li .alert-meta")).ToContainTextAsync("since 2026-11-28 05:13:36");

        await page.WaitForFunctionAsync("() => Number(document.querySelector(`section.pool[data-pool='web'] figure[data-chart='instances']`).dataset.points) >= 3");
        // The axes are drawn on the canvas with the same formatter as the legend's time, which the DOM shows.
        var legendTime = pool.Locator("figure[data-chart='instances'] .u-legend .u-series").First.Locator(".u-value");
        await Expect(legendTime).ToHaveTextAsync(Clock());
        Assert.DoesNotMatch(AmPm(), await legendTime.InnerTextAsync());
        await Expect(pool.Locator(".timeline li time").First).ToHaveTextAsync(Clock());
        await Expect(page.Locator("#connection")).ToHaveTextAsync(LiveClock());
    }

    /// <summary>The pool's dashboard queries in examples/autoscaler.emulator.yaml, as written there.</summary>
    private static (string Requests, string Cpu, string Latency) ExampleQueries()
    {
        var yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "autoscaler.emulator.yaml"));
        string Query(string key)
        {
            var m = Regex.Match(yaml, $@"^\s+{key}:\s*'([^']+)'\s*$", RegexOptions.Multiline);
            Assert.True(m.Success, $"examples/autoscaler.emulator.yaml has no dashboard {key} query");
            return m.Groups[1].Value;
        }

        Assert.Contains("prometheus: http://127.0.0.1:9090", yaml, StringComparison.Ordinal);
        return (Query("requests"), Query("cpu"), Query("latency_p95"));
    }

    private async Task<IPage> OpenAsync(DashboardService service)
    {
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = service.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 1100 },
            // The alert's start is asserted as a wall-clock time: pin the zone it is shown in.
            TimezoneId = "UTC",
        });
        _context.SetDefaultTimeout(Timeout);
        var page = await _context.NewPageAsync();
        await page.GotoAsync("/");
        await page.WaitForFunctionAsync("n => Number(document.body.dataset.polls || 0) >= n", 1);
        return page;
    }

    [GeneratedRegex(@"^unknown$|\bunknown\b")]
    private static partial Regex UnknownClass();

    [GeneratedRegex(@"(^|\s|\d{4}-\d\d-\d\d )([01]\d|2[0-3]):[0-5]\d")]
    private static partial Regex Clock();

    [GeneratedRegex(@"\d\s?(am|pm)\b", RegexOptions.IgnoreCase)]
    private static partial Regex AmPm();

    [GeneratedRegex(@"live · updated ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$")]
    private static partial Regex LiveClock();
}

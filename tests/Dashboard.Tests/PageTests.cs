using System.Collections.Concurrent;
using Dashboard.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Dashboard.Tests;

/// <summary>The page in headless chromium against the running service: what a user sees and does.</summary>
[Collection(BrowserGroup.Name)]
public sealed class PageTests(BrowserFixture fixture) : IAsyncLifetime
{
    // Generous: a loaded 2-core CI machine runs other test projects beside this one.
    private const float Timeout = 30_000;

    private readonly ConcurrentQueue<string> _consoleErrors = new();
    private readonly ConcurrentQueue<string> _foreignRequests = new();
    private readonly ConcurrentQueue<string> _posts = new();
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

    /// <summary>A fresh context on the dashboard: console errors, uncaught exceptions and POSTs are recorded, and any
    /// request to anything but the service is refused and recorded (the page must work offline).</summary>
    private async Task<IPage> OpenAsync(DashboardService service)
    {
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = service.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 1100 },
        });
        _context.SetDefaultTimeout(Timeout);
        var origin = service.BaseAddress.GetLeftPart(UriPartial.Authority);
        await _context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(origin + "/", StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                _foreignRequests.Enqueue(route.Request.Url);
                await route.AbortAsync();
            }
        });
        var page = await _context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _consoleErrors.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => _consoleErrors.Enqueue("uncaught: " + error);
        page.Request += (_, request) =>
        {
            if (request.Method == "POST")
            {
                _posts.Enqueue(new Uri(request.Url).AbsolutePath);
            }
        };
        await page.GotoAsync("/");
        await WaitPollsAsync(page, 1);
        return page;
    }

    private static async Task WaitPollsAsync(IPage page, int polls) =>
        await page.WaitForFunctionAsync("n => Number(document.body.dataset.polls || 0) >= n", polls);

    private static ILocator Pool(IPage page) => page.Locator("section.pool[data-pool='web']");

    [Fact]
    public async Task Page_Loaded_HasNoConsoleErrorsAndRequestsNothingElsewhere()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();

        var page = await OpenAsync(service);
        await WaitPollsAsync(page, 4);

        await Expect(page).ToHaveTitleAsync("linode-autoscaler");
        await Expect(Pool(page).Locator(".pool-name")).ToHaveTextAsync("web");
        await Expect(page.Locator("#connection")).ToContainTextAsync("live");
        await Expect(page.Locator("#credentials")).ToBeVisibleAsync();
        Assert.Empty(_consoleErrors);
        Assert.Empty(_foreignRequests);
    }

    [Fact]
    public async Task Charts_WithSamples_DrawTheirDataPoints()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();

        var page = await OpenAsync(service);
        foreach (var chart in new[] { "requests", "cpu", "instances", "latency" })
        {
            var figure = Pool(page).Locator($"figure[data-chart='{chart}']");
            await page.WaitForFunctionAsync(
                "c => Number(document.querySelector(`section.pool[data-pool='web'] figure[data-chart='${c}']`).dataset.points) >= 3", chart);
            await Expect(figure.Locator("canvas")).ToHaveCountAsync(1);
        }

        var pool = Pool(page);
        await Expect(pool.Locator("figure[data-chart='requests'] .note")).ToHaveTextAsync("now 42.5 req/s");
        await Expect(pool.Locator("figure[data-chart='cpu'] .note")).ToHaveTextAsync("now 63.3 %");
        await Expect(pool.Locator("figure[data-chart='latency'] .note")).ToHaveTextAsync("now 125 ms");
        await Expect(pool.Locator("figure[data-chart='instances'] .note")).ToContainTextAsync("now 2 serving, 0 booting, 0 draining; desired 2 (min 2, max 6)");

        // uPlot itself holds the points: hovering the plot shows the value under the cursor in its legend.
        var plot = pool.Locator("figure[data-chart='cpu'] .u-over");
        var box = (await plot.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width - 5, box.Y + box.Height / 2);
        await Expect(pool.Locator("figure[data-chart='cpu'] .u-legend .u-series").Nth(1).Locator(".u-value")).ToHaveTextAsync("63.25");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task Alert_Posted_ShowsAsFiringAndItsDecisionInTheTimeline()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();
        var page = await OpenAsync(service);
        await Expect(Pool(page).Locator(".alerts-empty")).ToBeVisibleAsync();

        await service.PostAlertAsync(DashboardService.Example("firing-high.json"));

        var pool = Pool(page);
        await Expect(pool.Locator(".alerts li")).ToContainTextAsync("PoolCpuHigh");
        await Expect(pool.Locator(".alerts li")).ToContainTextAsync("severity=page");
        var decision = pool.Locator(".timeline li[data-action='scale_up']").First;
        await Expect(decision).ToContainTextAsync("▲ scale up");
        await Expect(decision).ToContainTextAsync("2 → 4");
        await Expect(decision).ToContainTextAsync("PoolCpuHigh");
        await Expect(pool.Locator("[data-stat='desired']")).ToHaveTextAsync("4");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task SetSize_WithCredentials_SetsTheDesiredSize()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();
        var page = await OpenAsync(service);
        var pool = Pool(page);

        await page.FillAsync("#cred-token", DashboardService.ApiToken);
        await pool.Locator(".desired-input").FillAsync("5");
        await pool.GetByRole(AriaRole.Button, new() { Name = "Set size" }).ClickAsync();

        await Expect(pool.Locator(".message")).ToHaveTextAsync("Desired size set to 5 (was 2).");
        await Expect(pool.Locator(".message")).ToHaveClassAsync("message ok");
        Assert.Equal(5, service.Desired);
        await Expect(pool.Locator("[data-stat='desired']")).ToHaveTextAsync("5");
        await Expect(pool.Locator(".timeline li[data-action='scale_up']").First).ToContainTextAsync("manual: desired set to 5");
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task SetSize_OutOfBoundsOrNotAWholeNumber_IsRejectedAndNothingIsSent()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();
        var page = await OpenAsync(service);
        var pool = Pool(page);
        await Expect(pool.Locator("[data-stat='bounds']")).ToHaveTextAsync("2..6");
        await page.FillAsync("#cred-token", DashboardService.ApiToken);
        var set = pool.GetByRole(AriaRole.Button, new() { Name = "Set size" });

        await pool.Locator(".desired-input").FillAsync("9");
        await set.ClickAsync();
        await Expect(pool.Locator(".message")).ToHaveTextAsync("Desired must be between 2 and 6 (min..max of pool web); got 9.");

        await pool.Locator(".desired-input").FillAsync("1");
        await set.ClickAsync();
        await Expect(pool.Locator(".message")).ToHaveTextAsync("Desired must be between 2 and 6 (min..max of pool web); got 1.");

        await pool.Locator(".desired-input").FillAsync("-3");
        await set.ClickAsync();
        await Expect(pool.Locator(".message")).ToHaveTextAsync("Enter a whole number of instances.");

        await pool.Locator(".desired-input").FillAsync("");
        await set.ClickAsync();
        await Expect(pool.Locator(".message")).ToHaveTextAsync("Enter a whole number of instances.");
        await Expect(pool.Locator(".message")).ToHaveClassAsync("message error");

        Assert.Empty(_posts);
        Assert.Equal(2, service.Desired);
    }

    [Fact]
    public async Task SetSize_WithoutOrWithWrongCredentials_ShowsTheServersRefusal()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();
        var page = await OpenAsync(service);
        var pool = Pool(page);
        var set = pool.GetByRole(AriaRole.Button, new() { Name = "Set size" });

        await pool.Locator(".desired-input").FillAsync("3");
        await set.ClickAsync();
        await Expect(pool.Locator(".message")).ToHaveTextAsync("Not allowed: authentication required. Enter the API credentials at the top of the page.");

        await page.FillAsync("#cred-token", "not-the-token");
        await set.ClickAsync();
        await Expect(pool.Locator(".message")).ToHaveTextAsync("Not allowed: invalid credentials. Enter the API credentials at the top of the page.");

        // The webhook's token is not the API's.
        await page.FillAsync("#cred-token", DashboardService.WebhookToken);
        await set.ClickAsync();
        await Expect(pool.Locator(".message")).ToHaveTextAsync("Not allowed: invalid credentials. Enter the API credentials at the top of the page.");

        Assert.Equal(3, _posts.Count);
        Assert.Equal(2, service.Desired);
    }

    [Fact]
    public async Task DryRunSwitch_On_DecisionsAreOnlyRecordedUntilItIsOff()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();
        var page = await OpenAsync(service);
        var pool = Pool(page);
        var toggle = pool.GetByRole(AriaRole.Checkbox, new() { Name = "Dry run" });
        await page.FillAsync("#cred-token", DashboardService.ApiToken);

        await toggle.CheckAsync();
        await Expect(pool.Locator(".dry-run-badge")).ToBeVisibleAsync();
        await Expect(pool.Locator(".message")).ToHaveTextAsync("Dry run on: decisions are recorded, not acted on.");
        Assert.True(service.Host.Engine.IsDryRun("web"));

        await service.PostAlertAsync(DashboardService.Example("firing-high.json"));
        var dry = pool.Locator(".timeline li[data-action='dry_run']").First;
        await Expect(dry).ToContainTextAsync("◇ dry run");
        await Expect(dry).ToContainTextAsync("dry run: ");
        Assert.Equal(2, service.Desired);
        Assert.Equal(2, service.Pools["web"].Launches);

        await toggle.UncheckAsync();
        await Expect(pool.Locator(".dry-run-badge")).ToBeHiddenAsync();
        Assert.False(service.Host.Engine.IsDryRun("web"));
        // The alert still fires: out of dry run, the engine acts on it.
        await Expect(pool.Locator(".timeline li[data-action='scale_up']").First).ToContainTextAsync("2 → 4");
        Assert.Equal(4, service.Desired);
        Assert.Empty(_consoleErrors);
    }

    [Fact]
    public async Task DryRunSwitch_WithoutCredentials_SnapsBackWithTheRefusal()
    {
        await using var service = await DashboardService.StartAsync();
        await service.WaitServingAsync();
        var page = await OpenAsync(service);
        var pool = Pool(page);

        await pool.GetByRole(AriaRole.Checkbox, new() { Name = "Dry run" }).ClickAsync();

        await Expect(pool.Locator(".message")).ToHaveTextAsync("Not allowed: authentication required. Enter the API credentials at the top of the page.");
        await Expect(pool.GetByRole(AriaRole.Checkbox, new() { Name = "Dry run" })).Not.ToBeCheckedAsync();
        await Expect(pool.Locator(".dry-run-badge")).ToBeHiddenAsync();
        Assert.False(service.Host.Engine.IsDryRun("web"));
    }
}

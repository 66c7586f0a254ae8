using Microsoft.Playwright;

namespace Dashboard.Tests.Support;

/// <summary>One headless chromium for every browser test (each test gets its own context: cookies, storage and
/// pages are never shared).</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var executable = Chromium.Find();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // Containers give /dev/shm a few megabytes; chromium then crashes tabs under load.
            Args = ["--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
            Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserGroup : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

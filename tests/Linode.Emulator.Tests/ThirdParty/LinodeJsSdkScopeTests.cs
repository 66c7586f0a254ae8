using Xunit.Abstractions;

namespace Linode.Emulator.Tests.ThirdParty;

/// <summary>
/// Linode's own JavaScript SDK runs tests/third-party-client/scopes-and-disks.mjs against the emulator with rate
/// limits on (the default): disks and configs as Terraform reads them, the profile, grants and users linode-cli's
/// configure reads, a NodeBalancer's stats and VPCs, and a token limited to <c>linodes:read_only</c> getting the real
/// 401 on a create.
/// </summary>
public sealed class LinodeJsSdkScopeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string FullToken = "sdk-full-token";
    private const string ReadOnlyToken = "sdk-linodes-read-only-token";

    private static readonly string[] ExpectedSteps =
        ["profile", "linode_create", "disks", "configs", "nodebalancer_extras", "scope_read_only", "cleanup", "network", "done"];

    private EmulatorHost _host = null!;

    public async Task InitializeAsync()
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0" };
        options.Tokens.Add(FullToken);
        options.ScopedTokens.Add(new EmulatorToken { Token = ReadOnlyToken, Scopes = "linodes:read_only" });
        _host = await EmulatorHost.StartAsync(options);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ScopesAndDisks_LinodeJsSdkAgainstEmulator_EveryStepPasses()
    {
        var clientDirectory = Path.Combine(LinodeJsSdkTests.RepositoryRoot(), "tests", "third-party-client");
        var node = LinodeJsSdkTests.FindOnPath("node");
        Assert.True(node is not null, "Node.js ('node') is not on PATH; install Node.js 20+, then run `make test`.");
        Assert.True(Directory.Exists(Path.Combine(clientDirectory, "node_modules", "@linode", "api-v4")),
            $"{clientDirectory}/node_modules/@linode/api-v4 is missing: run `npm ci --prefix tests/third-party-client`.");

        var apiRoot = new Uri(_host.BaseAddress, "v4").ToString();
        var (exitCode, stdout, stderr) = await LinodeJsSdkTests.RunAsync(node!, clientDirectory,
            ["scopes-and-disks.mjs", apiRoot, FullToken, ReadOnlyToken]);
        output.WriteLine(stdout);
        Assert.True(exitCode == 0, $"scopes-and-disks.mjs exited {exitCode}{Environment.NewLine}{stdout}{Environment.NewLine}{stderr}");

        var steps = LinodeJsSdkTests.ParseSteps(stdout);
        foreach (var expected in ExpectedSteps)
        {
            Assert.True(steps.TryGetValue(expected, out var line) && line["ok"]?.GetValue<bool>() == true,
                $"step '{expected}' did not report ok{Environment.NewLine}{stdout}");
        }
        Assert.Equal("linodes:read_only", steps["scope_read_only"]["scopes"]!.GetValue<string>());
        Assert.Equal(401, steps["scope_read_only"]["status"]!.GetValue<int>());
        Assert.All(steps["network"]["contacted"]!.AsArray(), c => Assert.StartsWith("127.", c!.GetValue<string>(), StringComparison.Ordinal));
    }
}

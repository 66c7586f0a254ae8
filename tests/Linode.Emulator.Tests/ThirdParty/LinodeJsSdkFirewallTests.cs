using Xunit.Abstractions;

namespace Linode.Emulator.Tests.ThirdParty;

/// <summary>
/// Linode's own JavaScript SDK runs tests/third-party-client/firewalls.mjs against the emulator with rate limits on (the
/// default): a Cloud Firewall created, its rules set, a Linode and a NodeBalancer attached and read back from every side
/// (the firewall's devices, <c>GET /linode/instances/{id}/firewalls</c>, <c>GET /nodebalancers/{id}/firewalls</c>),
/// detached and deleted, each with the SDK's own function.
/// </summary>
public sealed class LinodeJsSdkFirewallTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Token = "sdk-firewall-token";

    private static readonly string[] ExpectedSteps =
        ["firewall_create", "firewall_rules", "firewall_devices", "firewall_delete", "network", "done"];

    private EmulatorHost _host = null!;

    public async Task InitializeAsync()
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0" };
        options.Tokens.Add(Token);
        _host = await EmulatorHost.StartAsync(options);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Firewalls_LinodeJsSdkAgainstEmulator_EveryStepPasses()
    {
        var clientDirectory = Path.Combine(LinodeJsSdkTests.RepositoryRoot(), "tests", "third-party-client");
        var node = LinodeJsSdkTests.FindOnPath("node");
        Assert.True(node is not null, "Node.js ('node') is not on PATH; install Node.js 20+, then run `make test`.");
        Assert.True(Directory.Exists(Path.Combine(clientDirectory, "node_modules", "@linode", "api-v4")),
            $"{clientDirectory}/node_modules/@linode/api-v4 is missing: run `npm ci --prefix tests/third-party-client`.");

        var apiRoot = new Uri(_host.BaseAddress, "v4").ToString();
        var (exitCode, stdout, stderr) = await LinodeJsSdkTests.RunAsync(node!, clientDirectory, ["firewalls.mjs", apiRoot, Token]);
        output.WriteLine(stdout);
        Assert.True(exitCode == 0, $"firewalls.mjs exited {exitCode}{Environment.NewLine}{stdout}{Environment.NewLine}{stderr}");

        var steps = LinodeJsSdkTests.ParseSteps(stdout);
        foreach (var expected in ExpectedSteps)
        {
            Assert.True(steps.TryGetValue(expected, out var line) && line["ok"]?.GetValue<bool>() == true,
                $"step '{expected}' did not report ok{Environment.NewLine}{stdout}");
        }
        Assert.Equal("DROP", steps["firewall_rules"]["policy"]!.GetValue<string>());
        Assert.Equal(2, steps["firewall_devices"]["devices"]!.GetValue<int>());
        Assert.Equal(1, steps["firewall_devices"]["nodebalancerFirewalls"]!.GetValue<int>());
        Assert.Equal(0, steps["firewall_delete"]["remaining"]!.GetValue<int>());
        Assert.All(steps["network"]["contacted"]!.AsArray(), c => Assert.StartsWith("127.", c!.GetValue<string>(), StringComparison.Ordinal));
    }
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Linode.Emulator.Tests.ThirdParty;

/// <summary>
/// A client that none of us wrote: Linode's own JavaScript SDK (<c>@linode/api-v4</c>, pinned in
/// tests/third-party-client/package.json) runs tests/third-party-client/scenario.mjs against the emulator, with
/// real Workload processes and a real load balancer. The script mirrors our plain-HTTP end-to-end test, checks the
/// API's error shapes as the SDK surfaces them, and refuses any connection outside 127.0.0.0/8.
/// </summary>
public sealed class LinodeJsSdkTests : IAsyncLifetime
{
    private const string Token = "sdk-scenario-token";

    // The script times out each poll by itself (90 s); this bounds the whole run on a loaded machine.
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromMinutes(10);

    private static readonly string[] ExpectedSteps =
    [
        "setup", "regions", "types", "image",
        "linode_create", "linode_find_by_tag", "linode_running", "linode_ips", "events",
        "nodebalancer_create", "config_create", "node_create", "node_up", "traffic",
        "node_drain", "node_delete", "linode_delete", "nodebalancer_delete", "linode_gone",
        "error_validation", "error_not_found", "error_bad_token", "network", "done",
    ];

    // Environment variables through which axios or Node could be sent to a proxy; the child gets none of them.
    private static readonly string[] ProxyVariables =
        ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "NODE_USE_ENV_PROXY", "NODE_OPTIONS"];

    private readonly ITestOutputHelper _output;
    private EmulatorHost _host = null!;

    public LinodeJsSdkTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync()
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0" };
        // With a token list, any other token is refused, which the scenario's "Invalid Token" step needs.
        options.Tokens.Add(Token);
        _host = await EmulatorHost.StartAsync(options);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Scenario_LinodeJsSdkAgainstEmulator_EveryStepPassesAndOnlyLoopbackIsContacted()
    {
        var clientDirectory = Path.Combine(RepositoryRoot(), "tests", "third-party-client");
        var node = FindOnPath("node");
        Assert.True(node is not null,
            "Node.js ('node') is not on PATH; it is needed to run Linode's JavaScript SDK. Install Node.js 20+, then run `make test`.");
        Assert.True(Directory.Exists(Path.Combine(clientDirectory, "node_modules", "@linode", "api-v4")),
            $"{clientDirectory}/node_modules/@linode/api-v4 is missing. Run `make test` (it runs " +
            "`npm ci --prefix tests/third-party-client` first) or that npm ci command yourself.");

        var apiRoot = new Uri(_host.BaseAddress, "v4").ToString();
        var (exitCode, stdout, stderr) = await RunAsync(node!, clientDirectory, ["scenario.mjs", apiRoot, Token]);
        _output.WriteLine(stdout);
        if (stderr.Length > 0)
        {
            _output.WriteLine("stderr:" + Environment.NewLine + stderr);
        }

        Assert.True(exitCode == 0, $"scenario.mjs exited {exitCode}{Environment.NewLine}{stdout}{Environment.NewLine}{stderr}");
        var steps = ParseSteps(stdout);
        foreach (var expected in ExpectedSteps)
        {
            Assert.True(steps.TryGetValue(expected, out var line) && line["ok"]?.GetValue<bool>() == true,
                $"step '{expected}' did not report ok{Environment.NewLine}{stdout}");
        }

        // The Workload behind the NodeBalancer answered as the Linode the SDK created.
        Assert.Equal("sdk-web-1", steps["traffic"]["instance"]!.GetValue<string>());
        Assert.Equal("running", steps["linode_running"]["statuses"]!.AsArray().Last()!.GetValue<string>());
        var fields = steps["error_validation"]["errors"]!.AsArray().Select(e => e!["field"]?.GetValue<string>()).ToList();
        Assert.Contains("region", fields);
        Assert.Contains("root_pass", fields);

        // Checked here too, not only by the script: every destination the SDK process reached is loopback.
        var contacted = steps["network"]["contacted"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Contains($"{_host.BaseAddress.Host}:{_host.BaseAddress.Port}", contacted);
        Assert.All(contacted, c => Assert.StartsWith("127.", c, StringComparison.Ordinal));
    }

    internal static Dictionary<string, JsonObject> ParseSteps(string stdout)
    {
        var steps = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            JsonObject? parsed;
            try
            {
                parsed = JsonNode.Parse(line) as JsonObject;
            }
            catch (JsonException)
            {
                continue;
            }
            if (parsed?["step"]?.GetValue<string>() is { } step)
            {
                steps[step] = parsed;
            }
        }
        return steps;
    }

    internal static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, string directory, string[] arguments)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var name in ProxyVariables)
        {
            startInfo.Environment.Remove(name);
            startInfo.Environment.Remove(name.ToLowerInvariant());
        }

        using var process = new Process { StartInfo = startInfo };
        process.Start();
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(ScenarioTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"scenario.mjs did not finish within {ScenarioTimeout.TotalMinutes} minutes and was killed" +
                $"{Environment.NewLine}{await stdout}{Environment.NewLine}{await stderr}");
        }
        finally
        {
            if (!process.HasExited)
            {
                // Whatever failed above, the SDK process does not outlive the test.
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    internal static string? FindOnPath(string program)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator,
                     StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "linode-autoscaler.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"no linode-autoscaler.slnx above {AppContext.BaseDirectory}");
    }
}

using System.CommandLine;
using Autoscaler.Cli.Commands;
using Linode.Emulator;

namespace Autoscaler.Cli.Tests;

/// <summary>Issue 14: `serve` against the emulator with a limited token refuses to start, naming every missing scope in
/// one line (read from GET /profile's X-OAuth-Scopes), and starts with a token that has them.</summary>
public sealed class ServeScopeTests
{
    private const string ReadOnlyToken = "read-only-token-0a1b2c3d4e5f";
    private const string NeededToken = "least-privilege-token-6a7b8c9d";

    [Fact]
    public async Task Serve_ReadOnlyScopedToken_RefusesToStartExit1OneLineNamingTheScopes()
    {
        await using var emulator = await StartEmulatorAsync();
        using var dir = new TempDir();
        var config = await WriteConfigAsync(dir, emulator, ReadOnlyToken);

        var (code, _, error) = await RunAsync(TimeSpan.FromMinutes(2), "serve", config);

        Assert.True(code == 1, $"exit {code}\n{error}");
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("serve: the Linode token lacks scopes linodes:read_write, nodebalancers:read_write, firewall:read_write (it has \"linodes:read_only nodebalancers:read_only\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain(ReadOnlyToken, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_TokenWithTheNeededScopes_Starts()
    {
        await using var emulator = await StartEmulatorAsync();
        using var dir = new TempDir();
        var config = await WriteConfigAsync(dir, emulator, NeededToken);
        using var cts = new CancellationTokenSource();
        var output = new SignalWriter("serving on", cts);

        var (code, _, error) = await RunAsync(TimeSpan.FromMinutes(2), ["serve", config], output, cts);

        Assert.True(output.Seen, $"exit {code}\n{output}\n{error}");
        Assert.DoesNotContain("scope", error, StringComparison.Ordinal);
    }

    private static Task<EmulatorHost> StartEmulatorAsync()
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        var net = Random.Shared.Next(1, 250);
        options.InstanceAddressPool = $"127.{Random.Shared.Next(100, 150)}.{net}.0/24";
        options.NodeBalancerAddressPool = $"127.{Random.Shared.Next(150, 200)}.{net}.0/24";
        options.PrivateLoopbackPool = $"127.{Random.Shared.Next(200, 250)}.{net}.0/24";
        options.ScopedTokens.Add(new EmulatorToken { Token = ReadOnlyToken, Scopes = "linodes:read_only nodebalancers:read_only" });
        options.ScopedTokens.Add(new EmulatorToken { Token = NeededToken, Scopes = "linodes:read_write nodebalancers:read_write firewall:read_write" });
        return EmulatorHost.StartAsync(options, new EmulatorServices());
    }

    private static async Task<string> WriteConfigAsync(TempDir dir, EmulatorHost emulator, string token)
    {
        // The pool names a firewall, so firewall:read_write is needed too; min 0: nothing is launched.
        using (var http = new HttpClient { BaseAddress = new Uri(emulator.BaseAddress, "v4/") })
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin-token-any");
            using var content = new StringContent("""{"label":"app-fw","rules":{"inbound_policy":"ACCEPT","outbound_policy":"ACCEPT","inbound":[]}}""",
                System.Text.Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri("networking/firewalls", UriKind.Relative), content);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        var path = Path.Combine(dir.Path, "autoscaler.yaml");
        await File.WriteAllTextAsync(path, $$"""
            linode: { url: "{{new Uri(emulator.BaseAddress, "v4")}}", token: "{{token}}", apply_delay: 0s }
            listen: 127.0.0.1:0
            journal: { path: {{Path.Combine(dir.Path, "autoscaler.db")}} }
            pools:
              web:
                region: us-east
                type: g6-standard-1
                image: linode/debian12
                min: 0
                max: 3
                firewall_label: app-fw
                nodebalancer: { label: web-nb, port: 80, node_port: 8080, create_if_missing: true }
                signals:
                  - { alert: PoolCpuHigh, action: up }
                  - { alert: PoolCpuLow, action: down }
            """);
        return path;
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(TimeSpan limit, params string[] args)
    {
        using var output = new StringWriter();
        return RunAsync(limit, args, output, null);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(TimeSpan limit, string[] args, TextWriter output, CancellationTokenSource? stop)
    {
        var root = Cli.Commands.Cli.Root(ServeCommand.Create());
        using var error = new StringWriter();
        using var deadline = new CancellationTokenSource(limit);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stop?.Token ?? CancellationToken.None);
        var code = await Cli.Commands.Cli.RunAsync(root, args,
            new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null }, linked.Token);
        return (code, output.ToString()!, error.ToString());
    }

    /// <summary>Output that cancels the run once a line contains <paramref name="text"/> (serve runs until stopped).</summary>
    private sealed class SignalWriter(string text, CancellationTokenSource stop) : StringWriter
    {
        public bool Seen { get; private set; }

        public override Task WriteLineAsync(string? value)
        {
            if (value is not null && value.Contains(text, StringComparison.Ordinal))
            {
                Seen = true;
                stop.Cancel();
            }

            return base.WriteLineAsync(value);
        }
    }
}

using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Autoscaler.Cli.Commands;

namespace Autoscaler.Cli.Tests;

/// <summary>
/// One convention for every command: 0 ok, 1 runtime failure, 2 usage or configuration error (a missing file said so),
/// every argument error in words; every --help with Examples and the exit codes.
/// </summary>
public sealed class ExitCodeTests
{
    public static TheoryData<string> Commands() => ["emulator", "tour", "demo", "serve", "status", "scale", "validate", "loadgen", "simulate", "bench"];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_EveryCommand_ShowsExamplesAndExitCodesAndExits0(string command)
    {
        var (code, output, _) = await RunAsync(command, "--help");

        Assert.Equal(0, code);
        var examples = output[output.IndexOf("Examples:\n", StringComparison.Ordinal)..];
        Assert.Contains("\n  linode-autoscaler " + command + " ", examples, StringComparison.Ordinal);
        Assert.Contains("Exit codes: 0 ok; 1 runtime failure", output, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("emulator", "--listen", "nowhere")]
    [InlineData("emulator", "--config", "/nonexistent/emulator.yaml")]
    [InlineData("tour", "--instances", "1")]
    [InlineData("demo", "--duration", "soon")]
    [InlineData("serve", "/nonexistent/autoscaler.yaml")]
    [InlineData("serve")]
    [InlineData("status", "--url", "ftp://x")]
    [InlineData("status", "--events", "many")]
    [InlineData("scale", "web", "--to", "abc")]
    [InlineData("scale", "web")]
    [InlineData("validate", "/nonexistent/autoscaler.yaml")]
    [InlineData("validate")]
    [InlineData("loadgen")]
    [InlineData("loadgen", "http://127.0.0.1:1/", "--rate", "fast")]
    [InlineData("simulate")]
    [InlineData("bench", "--only", "everything")]
    [InlineData("nonsense")]
    public async Task UsageError_EveryCommand_Exits2InWords(params string[] args)
    {
        var (code, output, error) = await RunAsync(args);

        Assert.True(code == 2, $"exit {code}\n{output}\n{error}");
        Assert.NotEqual("", error.Trim());
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Int32", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scale_ToNotANumber_SaysSoInWords()
    {
        var (code, _, error) = await RunAsync("scale", "web", "--to", "abc");

        Assert.Equal(2, code);
        Assert.StartsWith("linode-autoscaler scale: --to must be a whole number, got 'abc'\n", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_MissingAndInvalidFile_AreToldApart()
    {
        using var dir = new TempDir();
        var bad = Path.Combine(dir.Path, "bad.yaml");
        await File.WriteAllTextAsync(bad, "linode: { token: t }\npools:\n  web: { region: us-east, type: g6-nanode-1, image: linode/debian12, mins: 1, max: two, nodebalancer: { label: nb, port: 80 } }\n");

        var missing = await RunAsync("validate", Path.Combine(dir.Path, "missing.yaml"));
        var invalid = await RunAsync("validate", "--config", bad);

        Assert.Equal((2, 2), (missing.Code, invalid.Code));
        Assert.Contains("configuration file not found", missing.Error, StringComparison.Ordinal);
        Assert.StartsWith($"invalid configuration {bad}: ", invalid.Error, StringComparison.Ordinal);
        Assert.Contains($"{bad}:3:", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("unknown key 'mins' (did you mean min?)", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("max must be an integer, got 'two'", invalid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scale_Help_NeverShowsTheTokenFromTheEnvironment()
    {
        const string secret = "s3cret-from-the-environment";
        Environment.SetEnvironmentVariable(ScaleCommand.TokenVariable, secret);
        try
        {
            var (code, output, _) = await RunAsync("scale", "--help");

            Assert.Equal(0, code);
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
            Assert.Contains("$AUTOSCALER_API_TOKEN", output, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ScaleCommand.TokenVariable, null);
        }
    }

    [Theory]
    [InlineData("status")]
    [InlineData("scale", "web", "--to", "3")]
    public async Task ServiceUnreachable_StatusAndScale_Exit1NamingTheUrl(params string[] args)
    {
        var url = RefusingUrl();

        var (code, _, error) = await RunAsync([.. args, "--url", url]);

        Assert.Equal(1, code);
        Assert.Contains($"cannot reach the service at {url}/", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Emulator_PortTaken_OneLineNamingTheAddressAndTheFlag()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var listen = $"127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var (code, _, error) = await RunAsync("emulator", "--listen", listen);

        Assert.Equal(1, code);
        Assert.Equal($"emulator: cannot listen on {listen}: the address is in use (another emulator?); change --listen\n", error);
    }

    [Fact]
    public async Task Serve_PortTaken_OneLineNamingTheAddressAndTheSetting()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var listen = $"127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";
        using var dir = new TempDir();
        var config = ServeConfig(dir, listen, "http://127.0.0.1:1/v4");

        var (code, _, error) = await RunAsync("serve", config);

        Assert.Equal(1, code);
        Assert.Equal($"serve: cannot listen on {listen}: the address is in use (another serve?); change 'listen' in {config}\n", error);
    }

    [Fact]
    public async Task Serve_LinodeUrlUnreachable_FailsAtOnceNamingTheUrlAndTheSetting()
    {
        using var dir = new TempDir();
        var linode = RefusingUrl() + "/v4";
        var config = ServeConfig(dir, "127.0.0.1:0", linode);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var (code, _, error) = await RunAsync("serve", "--config", config);

        Assert.Equal(1, code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal($"serve: cannot reach the Linode API at {linode} (connection refused); start it (linode-autoscaler emulator) or change linode.url in {config}\n", error);
    }

    private static string ServeConfig(TempDir dir, string listen, string linodeUrl)
    {
        var path = Path.Combine(dir.Path, "autoscaler.yaml");
        File.WriteAllText(path, $"""
            linode: {"{"} url: {linodeUrl}, token: t {"}"}
            listen: {listen}
            pools:
              web:
                region: us-east
                type: g6-nanode-1
                image: linode/debian12
                min: 1
                max: 2
                nodebalancer: {"{ label: web-nb, port: 80 }"}
                signals:
                  - {"{ alert: PoolCpuHigh, action: up }"}
            """);
        return path;
    }

    /// <summary>http://127.0.0.1:PORT where nothing listens.</summary>
    private static string RefusingUrl()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return $"http://127.0.0.1:{port}";
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = Cli.Commands.Cli.Root(
            EmulatorCommand.Create(), EmulatorTourCommand.Create(), DemoCommand.Create(), ServeCommand.Create(), StatusCommand.Create(),
            ScaleCommand.Create(), ValidateCommand.Create(), LoadgenCommand.Create(), SimulateCommand.Create(), BenchCommand.Create());
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Cli.Commands.Cli.RunAsync(root, args,
            new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return (code, output.ToString(), error.ToString());
    }
}

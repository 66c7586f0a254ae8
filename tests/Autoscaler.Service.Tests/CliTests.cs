using System.Diagnostics;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests;

/// <summary>The real <c>linode-autoscaler</c> program (validate, status, scale) as a user runs it.</summary>
public sealed class CliTests
{
    private static readonly string Examples = FindExamples();

    public static TheoryData<string> InvalidExamples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(Examples, "invalid"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidExamples))]
    public async Task Validate_InvalidExample_PrintsExactlyItsGoldenMessagesAndFails(string name)
    {
        var yaml = Path.Combine(Examples, "invalid", name);
        var expected = await File.ReadAllTextAsync(Path.ChangeExtension(yaml, ".expected"));

        // From the repository's root, as a user runs it: the messages name the file as given.
        var (code, stdout, stderr) = await RunInAsync(Path.GetDirectoryName(Examples)!, "validate", "examples/invalid/" + name);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal(expected, stderr);
    }

    [Fact]
    public async Task Validate_EmulatorExample_OkWithPoolCount()
    {
        var (code, stdout, stderr) = await RunAsync("validate", Path.Combine(Examples, "autoscaler.emulator.yaml"));
        Assert.Equal(0, code);
        Assert.Equal("ok: 1 pool (web)\n", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public async Task Validate_MissingFile_FailsNamingIt()
    {
        var (code, _, stderr) = await RunAsync("validate", "/nonexistent/autoscaler.yaml");
        Assert.Equal(2, code);
        Assert.Equal("validate: configuration file not found: /nonexistent/autoscaler.yaml\n", stderr);
    }

    [Fact]
    public async Task Serve_InvalidAmExecutorConfig_FailsNamingEveryProblemBeforeStarting()
    {
        var dir = Directory.CreateTempSubdirectory("amx-");
        try
        {
            var am = Path.Combine(dir.FullName, "am-executor.yaml");
            await File.WriteAllTextAsync(am, "listen_address: :8080\ncommands:\n  - args: [x]\n    maxx: 1\n");

            var (code, stdout, stderr) = await RunAsync("serve", "--config", Path.Combine(Examples, "autoscaler.emulator.yaml"),
                "--am-executor-config", am);

            Assert.Equal(2, code);
            Assert.DoesNotContain("serving", stdout, StringComparison.Ordinal);
            Assert.Contains("invalid am-executor configuration", stderr, StringComparison.Ordinal);
            Assert.Contains("cmd", stderr, StringComparison.Ordinal);
            Assert.Contains("maxx", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Status_PoolWithBillingTerms_ShowsPaidUntilAndTheMonthsBill()
    {
        var terms = new Autoscaler.Core.Billing.BillingTerms(new Autoscaler.Core.Billing.InstancePrice(0.015m, 10m), TimeSpan.FromHours(1));
        var now = TimeProvider.System.GetUtcNow();
        var created = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddMinutes(-90);
        using var dir = new TempDir();
        await using var host = await AutoscalerHost.StartAsync(TestConfig.Build(dir, TestConfig.Pool("web", min: 1, max: 1)), new AutoscalerServices
        {
            InstancePools = _ => new BilledPool("web", TimeProvider.System, terms, ("1", created)),
        });
        await Wait.UntilAsync(() => host.Engine.GetStatus("web").View is not null, "the pool observed");

        var (code, stdout, stderr) = await RunAsync("status", "web", "--url", host.BaseAddress.ToString());

        Assert.True(code == 0, stderr);
        Assert.Contains("paid until", stdout, StringComparison.Ordinal);
        var paid = created.AddHours(2);
        Assert.Contains($"{paid.ToString(paid.Second == 0 ? "HH:mm" : "HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} (in 30 min)", stdout, StringComparison.Ordinal);
        var billed = terms.Model.MonthToDate([new Autoscaler.Core.Billing.Lifetime(created)], TimeProvider.System.GetUtcNow());
        Assert.Contains("$" + billed.ToString("0.00##", System.Globalization.CultureInfo.InvariantCulture), stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusAndScale_AgainstARunningService_ShowDecisionsAndChangeTheSize()
    {
        await using var s = await FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(min: 2, max: 6),
            apiAuth: "{ bearer_token: " + TestConfig.ApiToken + " }"));
        await Wait.UntilAsync(() =>
        {
            s.Host.Nudger.Nudge("web", "test");
            return s.Host.Engine.GetStatus("web").View?.Serving == 2;
        }, "two serving");
        var url = s.Host.BaseAddress.ToString();

        var (code, stdout, stderr) = await RunAsync("scale", "web", "--to", "4", "--url", url, "--token", TestConfig.ApiToken);
        Assert.True(code == 0, stderr);
        Assert.Equal("pool web: desired 2 → 4 (manual: desired set to 4)\n", stdout);

        (code, _, stderr) = await RunAsync("scale", "web", "--to", "9", "--url", url, "--token", TestConfig.ApiToken);
        Assert.Equal(1, code);
        Assert.Equal("scale: desired 9 is outside min..max (2..6) of pool 'web' (min 2, max 6)\n", stderr);

        (code, _, stderr) = await RunAsync("scale", "web", "--to", "3", "--url", url, "--token", "wrong");
        Assert.Equal(1, code);
        Assert.StartsWith("scale: invalid credentials: the credentials given were refused; pass the token of api.auth", stderr, StringComparison.Ordinal);

        (code, stdout, stderr) = await RunAsync("status", "web", "--url", url);
        Assert.True(code == 0, stderr);
        Assert.Contains("pool web", stdout, StringComparison.Ordinal);
        Assert.Contains("manual: desired set to 4", stdout, StringComparison.Ordinal);
        Assert.Contains("scale_up", stdout, StringComparison.Ordinal);

        (code, _, stderr) = await RunAsync("status", "nope", "--url", url);
        Assert.Equal(1, code);
        Assert.Equal("status: unknown pool 'nope'\n", stderr);
    }

    [Fact]
    public async Task Status_NoService_FailsSayingWhere()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var (code, _, stderr) = await RunAsync("status", "--url", $"http://127.0.0.1:{port}");
        Assert.Equal(1, code);
        Assert.StartsWith($"status: cannot reach the service at http://127.0.0.1:{port}/", stderr, StringComparison.Ordinal);
    }

    /// <summary>Runs the program (other tests use it to check what a user sees).</summary>
    internal static Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args) => RunInAsync(null, args);

    private static async Task<(int Code, string Stdout, string Stderr)> RunInAsync(string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "linode-autoscaler.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static string FindExamples()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples");
            if (File.Exists(Path.Combine(candidate, "autoscaler.emulator.yaml")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("examples/ not found above " + AppContext.BaseDirectory);
    }
}

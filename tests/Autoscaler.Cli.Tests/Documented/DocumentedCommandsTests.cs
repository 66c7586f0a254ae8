using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Workload;

namespace Autoscaler.Cli.Tests.Documented;

/// <summary>
/// Every shell command README.md and the comments of examples/ show, run exactly as written with bash in a fresh copy
/// of the repository's files (bin/linode-autoscaler is the program these tests built; the emulator stands in for
/// Linode, as the documents say), each checked to succeed as documented. A new documented command that is not
/// classified below fails <see cref="Documents_EveryCommand_IsRunOrListedWithAReason"/>.
/// </summary>
[Collection(DocumentedPorts.Name)]
public sealed class DocumentedCommandsTests
{
    /// <summary>Commands that run until stopped: started, checked healthy, used by the commands after them, then stopped
    /// with SIGINT (Ctrl-C) at the end of their block — and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> StartedAndStopped = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["bin/linode-autoscaler emulator"] = "serves the Linode API until stopped; ready when it prints its address; must exit 0 on Ctrl-C",
        ["bin/linode-autoscaler serve"] = "serves until stopped; ready when every pool has a desired size; must exit 0 on Ctrl-C",
        ["bin/linode-autoscaler loadgen"] = "its profiles last 3.5 min and, from the trace at 60x, 23 h: run against a Workload on the documented "
            + "address for 3 s, then Ctrl-C; must exit 130 (cut short) with nothing on stderr",
    };

    /// <summary>Documented commands this test does not run, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotRun = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["make test"] = "runs every test, this one included",
        ["make demo"] = "installs Debian packages and runs 3 minutes; the demo itself is run whole by tests/EndToEnd/DemoPipelineTests",
        ["make soak"] = "the 15-minute long forms of tests/Reliability.Tests",
        ["make bench"] = "measures this machine for BENCHMARKS.md (minutes; figures never asserted)",
    };

    /// <summary>Commands run to completion; they must exit 0 (and pass the check of <see cref="CheckOutput"/>).</summary>
    public static readonly IReadOnlySet<string> RunToCompletion = new HashSet<string>(StringComparer.Ordinal)
    {
        "bin/linode-autoscaler validate", "bin/linode-autoscaler status", "bin/linode-autoscaler scale",
        "bin/linode-autoscaler simulate", "curl", "export",
    };

    // From the harness's own file, one folder up from this one.
    private static readonly string RepoRoot = Path.GetDirectoryName(Path.GetDirectoryName(SimulateHarness.ExampleConfig))!;

    public static TheoryData<string> Sequences()
    {
        var data = new TheoryData<string>();
        foreach (var sequence in DocumentedCommands.All(RepoRoot)
            .Where(c => !NotRun.ContainsKey(c.Verb)).Select(c => c.Sequence).Distinct(StringComparer.Ordinal))
        {
            data.Add(sequence);
        }

        return data;
    }

    [Fact]
    public void Documents_EveryCommand_IsRunOrListedWithAReason()
    {
        var commands = DocumentedCommands.All(RepoRoot);

        Assert.Contains(commands, c => c.Text.StartsWith("bin/linode-autoscaler scale web --to 4", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Text.Contains("--data @examples/alerts/firing-high.json", StringComparison.Ordinal));
        var unclassified = commands.Where(c => !RunToCompletion.Contains(c.Verb) && !StartedAndStopped.ContainsKey(c.Verb) && !NotRun.ContainsKey(c.Verb)).ToArray();
        Assert.True(unclassified.Length == 0, "documented commands neither run nor listed with a reason: " + string.Join("; ", unclassified.Select(c => c.ToString())));
    }

    [Theory]
    [MemberData(nameof(Sequences))]
    public async Task DocumentedSequence_RunAsWritten_EveryCommandSucceedsAsDocumented(string sequence)
    {
        var commands = DocumentedCommands.All(RepoRoot).Where(c => c.Sequence == sequence && !NotRun.ContainsKey(c.Verb)).ToArray();
        using var dir = new TempDir();
        var checkout = Checkout(dir.Path);
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["DOTNET_NOLOGO"] = "1", ["NO_COLOR"] = "1" };
        var running = new List<(DocumentedCommand Command, ShellProcess Process)>();
        WorkloadApp? target = null;
        try
        {
            if (commands.Any(c => c.Verb == "bin/linode-autoscaler loadgen"))
            {
                target = await StartLoadTargetAsync();
            }

            foreach (var command in commands)
            {
                if (command.Verb == "export")
                {
                    var m = System.Text.RegularExpressions.Regex.Match(command.Text, @"^export (\w+)=(\S+)");
                    Assert.True(m.Success, $"{command}: not an export this test understands");
                    env[m.Groups[1].Value] = m.Groups[2].Value;
                }

                if (StartedAndStopped.ContainsKey(command.Verb))
                {
                    var process = ShellProcess.Start(command.Foreground, checkout, env);
                    running.Add((command, process));
                    await WaitReadyAsync(command, process);
                    if (command.Verb == "bin/linode-autoscaler loadgen")
                    {
                        running.Remove((command, process));
                        var code = await process.StopAsync();
                        Assert.True(code == 130, $"{command}: exit {code} after Ctrl-C, expected 130\n{process.Output}\n{process.Errors}");
                        Assert.True(process.Errors.Trim().Length == 0, $"{command}: wrote to stderr:\n{process.Errors}");
                        process.Dispose();
                    }

                    continue;
                }

                using var done = ShellProcess.Start(command.Text, checkout, env);
                var exit = await done.WaitAsync(TimeSpan.FromMinutes(15));
                Assert.True(exit == 0, $"{command}: exit {exit}\nstdout:\n{done.Output}\nstderr:\n{done.Errors}");
                CheckOutput(command, done.Output, checkout);
            }

            // Stopped as a user stops them: Ctrl-C, the last started first.
            for (var i = running.Count - 1; i >= 0; i--)
            {
                var (command, process) = running[i];
                var code = await process.StopAsync();
                Assert.True(code == 0, $"{command}: exit {code} after Ctrl-C, expected 0\nstdout:\n{process.Output}\nstderr:\n{process.Errors}");
            }
        }
        finally
        {
            foreach (var (_, process) in running)
            {
                process.Dispose();
            }

            if (target is not null)
            {
                await target.DisposeAsync();
            }
        }
    }

    /// <summary>What "succeeds as documented" means beyond exit code 0.</summary>
    private static void CheckOutput(DocumentedCommand command, string output, string checkout)
    {
        var text = command.Text;
        switch (command.Verb)
        {
            case "curl" when text.Contains("/hook", StringComparison.Ordinal):
                Assert.True(output.Contains("\"status\":\"ok\"", StringComparison.Ordinal), $"{command}: the webhook did not accept it: {output}");
                break;
            case "curl":
                // The emulator answers errors as {"errors": [...]}; curl exits 0 on any HTTP status.
                Assert.False(output.Contains("\"errors\"", StringComparison.Ordinal), $"{command}: {output}");
                Assert.StartsWith("{", output.TrimStart(), StringComparison.Ordinal);
                break;
            case "bin/linode-autoscaler validate":
                Assert.StartsWith("ok: ", output, StringComparison.Ordinal);
                break;
            case "bin/linode-autoscaler status" when text.Contains("--json", StringComparison.Ordinal):
                using (var doc = JsonDocument.Parse(output))
                {
                    Assert.True(doc.RootElement.GetProperty("pools").GetArrayLength() > 0, output);
                }

                break;
            case "bin/linode-autoscaler status":
                Assert.Contains("pool web", output, StringComparison.Ordinal);
                break;
            case "bin/linode-autoscaler scale":
                Assert.Matches(@"^pool web: desired \d+ → 4 ", output);
                break;
            case "bin/linode-autoscaler simulate":
                var report = System.Text.RegularExpressions.Regex.Match(text, @"--report (\S+)").Groups[1].Value;
                Assert.True(File.Exists(Path.Combine(checkout, report, "report.json")), $"{command}: no report.json in {report}\n{output}");
                break;
        }
    }

    private static async Task WaitReadyAsync(DocumentedCommand command, ShellProcess process)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (process.HasExited)
            {
                Assert.Fail($"{command}: exited ({process.ExitCode}) before it was ready\nstdout:\n{process.Output}\nstderr:\n{process.Errors}");
            }

            var ready = command.Verb switch
            {
                "bin/linode-autoscaler emulator" => process.Output.Contains("emulator listening on", StringComparison.Ordinal),
                "bin/linode-autoscaler serve" => process.Output.Contains("serving on", StringComparison.Ordinal) && await EveryPoolHasADesiredSizeAsync(http),
                _ => process.Elapsed > TimeSpan.FromSeconds(3),
            };
            if (ready)
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{command}: not ready within 3 minutes\nstdout:\n{process.Output}\nstderr:\n{process.Errors}");
    }

    private static async Task<bool> EveryPoolHasADesiredSizeAsync(HttpClient http)
    {
        try
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("http://127.0.0.1:9099/api/v1/pools")));
            var pools = doc.RootElement.GetProperty("pools");
            return pools.GetArrayLength() > 0 && pools.EnumerateArray().All(p => p.GetProperty("desired").ValueKind == JsonValueKind.Number);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return false;
        }
    }

    /// <summary>The loadgen examples' target, http://127.20.0.1:8088/: the sample Workload (the demo's NodeBalancer address).</summary>
    private static async Task<WorkloadApp> StartLoadTargetAsync()
    {
        var app = WorkloadApp.Build(
            new WorkloadOptions { Address = IPAddress.Parse("127.20.0.1"), Port = 8088, MetricsPort = 0, Vcpus = 64, WorkMs = 1, Queue = 10000, Mode = CpuMode.Virtual },
            TimeProvider.System,
            logging => logging.ClearProviders());
        await app.StartAsync();
        return app;
    }

    /// <summary>A fresh copy of what the documents use, as a clone has it after <c>make build</c>: bin/linode-autoscaler
    /// (the program built for these tests), examples/ (copied: serve writes its journal beside the config) and the traces
    /// at ../shared/traces (the shared NASA trace when present, else the July weeks kept in this test project).</summary>
    private static string Checkout(string root)
    {
        var checkout = Path.Combine(root, "checkout");
        var bin = Directory.CreateDirectory(Path.Combine(checkout, "bin")).FullName;
        var program = Path.Combine(bin, "linode-autoscaler");
        File.WriteAllText(program, $"#!/bin/sh\nexec dotnet \"{Path.Combine(AppContext.BaseDirectory, "linode-autoscaler.dll")}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        CopyDirectory(Path.Combine(RepoRoot, "examples"), Path.Combine(checkout, "examples"));

        var traces = Directory.CreateDirectory(Path.Combine(root, "shared", "traces")).FullName;
        var shared = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "traces", "nasa_http_1995_1min.csv"));
        var trace = Path.Combine(traces, "nasa_http_1995_1min.csv");
        if (File.Exists(shared))
        {
            File.CreateSymbolicLink(trace, shared);
        }
        else
        {
            using var gz = new GZipStream(File.OpenRead(SimulateHarness.NasaJuly), CompressionMode.Decompress);
            using var file = File.Create(trace);
            gz.CopyTo(file);
        }

        return checkout;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var sub in Directory.GetDirectories(from))
        {
            CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
        }
    }
}

/// <summary>The documented commands use fixed ports (8081, 9099, 127.20.0.1:8088): one test of them at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DocumentedPorts
{
    public const string Name = "documented ports";
}

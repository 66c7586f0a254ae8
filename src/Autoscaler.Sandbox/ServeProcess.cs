using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Reliability.Tests.Support;

/// <summary>
/// <c>linode-autoscaler serve --config FILE</c> as a separate OS process, run from this test project's output (the
/// Cli project reference puts linode-autoscaler.dll there). Its stdout and stderr go to a log file. <see cref="KillAsync"/>
/// sends SIGKILL to the serve process itself: no shutdown code of ours runs, exactly as with <c>kill -9</c>.
/// </summary>
/// <remarks>The process runs under coreutils' <c>timeout --signal=KILL</c>, so that even if the test host itself dies
/// without disposing, no autoscaler outlives the cap.</remarks>
internal sealed partial class ServeProcess : IAsyncDisposable
{
    private static readonly TimeSpan LifetimeCap = TimeSpan.FromMinutes(40);
    private readonly Process _wrapper;
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pumps;

    private ServeProcess(Process wrapper, string logPath)
    {
        _wrapper = wrapper;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        _pumps = Task.WhenAll(PumpAsync(wrapper.StandardOutput, "out"), PumpAsync(wrapper.StandardError, "err"));
    }

    /// <summary>The program the tests run.</summary>
    public static string Program { get; } = Path.Combine(AppContext.BaseDirectory, "linode-autoscaler.dll");

    /// <summary>The autoscaler's own pid (not the wrapper's).</summary>
    public int Pid { get; private set; }

    /// <summary>The service's address, as it printed it.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public string LogPath { get; }

    public bool HasExited
    {
        get
        {
            try
            {
                using var p = Process.GetProcessById(Pid);
                return p.HasExited;
            }
            catch (ArgumentException)
            {
                return true;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>Starts serve and waits (generously) until it listens.</summary>
    public static async Task<ServeProcess> StartAsync(string configPath, string logPath, TimeSpan? timeout = null)
    {
        Assert.True(File.Exists(Program), $"{Program} is missing: the Cli project reference should have copied it");
        var start = new ProcessStartInfo("timeout")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(configPath)!,
        };
        foreach (var arg in new[] { "--signal=KILL", ((int)LifetimeCap.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
                     "dotnet", Program, "serve", "--config", configPath })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var wrapper = Process.Start(start) ?? throw new InvalidOperationException("could not start timeout(1)");
        var serve = new ServeProcess(wrapper, logPath);
        try
        {
            serve.Pid = await FindChildAsync(wrapper.Id);
            var limit = timeout ?? TimeSpan.FromSeconds(90);
            var listening = await Task.WhenAny(serve._listening.Task, wrapper.WaitForExitAsync(), Task.Delay(limit));
            if (listening != serve._listening.Task)
            {
                Assert.Fail($"serve did not start listening within {limit.TotalSeconds:0} s (exited: {wrapper.HasExited}); log tail:\n{serve.Tail(40)}");
            }

            serve.BaseAddress = await serve._listening.Task;
            return serve;
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL to the autoscaler, then waits until it is gone.</summary>
    public async Task KillAsync()
    {
        try
        {
            using var p = Process.GetProcessById(Pid);
            p.Kill(entireProcessTree: false);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _wrapper.WaitForExitAsync(cts.Token);
        await _pumps.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Kills from inside a callback that must not wait (the proxy's request path).</summary>
    public void KillNow()
    {
        try
        {
            using var p = Process.GetProcessById(Pid);
            p.Kill(entireProcessTree: false);
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    public string Tail(int lines)
    {
        lock (_logGate)
        {
            _log.Flush();
        }

        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return "(log unreadable: " + e.Message + ")";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_wrapper.HasExited)
        {
            KillNow();
            try
            {
                _wrapper.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _wrapper.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        try
        {
            await _pumps.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        lock (_logGate)
        {
            _log.Dispose();
        }

        _wrapper.Dispose();
    }

    private async Task PumpAsync(StreamReader reader, string stream)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (stream == "out" && ServingLine().Match(line) is { Success: true } m)
            {
                _listening.TrySetResult(new Uri(m.Groups[1].Value));
            }

            lock (_logGate)
            {
                _log.WriteLine($"{Clock.Now,9:0.000} {stream} {line}");
            }
        }
    }

    /// <summary>The pid of the wrapper's child (dotnet running serve).</summary>
    private static async Task<int> FindChildAsync(int parent)
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var children = ChildrenOf(parent);
            if (children.Count > 0)
            {
                return children[0];
            }

            await Task.Delay(10);
        }

        throw new InvalidOperationException($"timeout(1) (pid {parent}) started no child");
    }

    private static List<int> ChildrenOf(int parent)
    {
        var found = new List<int>();
        try
        {
            var text = File.ReadAllText($"/proc/{parent}/task/{parent}/children");
            found.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)));
            return found;
        }
        catch (IOException)
        {
        }

        // Kernels without the children file: scan every process's parent.
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == parent)
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return found;
    }

    [GeneratedRegex(@"linode-autoscaler serving on (\S+)")]
    private static partial Regex ServingLine();
}

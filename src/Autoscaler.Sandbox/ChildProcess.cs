using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Autoscaler.Sandbox;

/// <summary>How a <see cref="ChildProcess"/> runs, beyond its program and arguments.</summary>
public sealed record ChildProcessOptions
{
    /// <summary>Variables added to (or replacing) the inherited environment.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Prefix each log line with <see cref="SandboxClock"/> seconds and its stream (<c>out</c>/<c>err</c>),
    /// for programs whose own lines carry no time (the autoscaler's console log).</summary>
    public bool StampLines { get; init; }

    /// <summary>Called with each line of standard output, before it is logged (on a reader thread: keep it quick).</summary>
    public Action<string>? OnOutputLine { get; init; }
}

/// <summary>
/// An external program the sandbox runs (Prometheus, Alertmanager, <c>linode-autoscaler serve</c>), with its output in
/// a log file. Three safety nets keep it from outliving its parent: <see cref="DisposeAsync"/> (SIGTERM, then
/// SIGKILL), a kill on <see cref="AppDomain.ProcessExit"/>, and — when util-linux's <c>setpriv</c> is there — a
/// parent-death signal, so even a SIGKILLed parent takes its children with it. With <c>setpriv</c> the program is
/// exec'd in place, so <see cref="Id"/> is the program's own process id.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<ChildProcess, byte> Live = new();
    private static int _exitHookInstalled;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;
    private bool _logClosed;

    private ChildProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    /// <summary>What messages call it ("prometheus").</summary>
    public string Name { get; }

    /// <summary>The OS process id.</summary>
    public int Id { get; private set; }

    /// <summary>Where its standard output and error go.</summary>
    public string LogPath { get; }

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Completes when the process exits.</summary>
    public Task Exited => _exited.Task;

    /// <summary>The last lines it wrote (for an error message when it does not start).</summary>
    public string Tail(int lines = 15)
    {
        lock (_logLock)
        {
            if (!_logClosed)
            {
                _log.Flush();
            }
        }

        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join(Environment.NewLine, all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Finds <paramref name="names"/> (the first that exists) in PATH; null when none does.</summary>
    public static string? FindInPath(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var name in names)
        {
            if (name.Contains('/', StringComparison.Ordinal))
            {
                if (File.Exists(name))
                {
                    return name;
                }

                continue;
            }

            foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/usr/bin"))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>,
    /// output appended to <paramref name="logPath"/>.</summary>
    public static ChildProcess Start(string name, string program, IReadOnlyList<string> arguments, string workingDirectory, string logPath,
        ChildProcessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        options ??= new ChildProcessOptions();
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory,
        };

        // setpriv execs the program with PR_SET_PDEATHSIG: the kernel sends SIGTERM when the thread that forked it
        // ends. That is why the fork happens on a thread of its own that lives exactly as long as the child.
        var setpriv = OperatingSystem.IsLinux() ? FindInPath("/usr/bin/setpriv", "/bin/setpriv") : null;
        if (setpriv is not null)
        {
            startInfo.FileName = setpriv;
            foreach (var a in new[] { "--pdeathsig", "TERM", "--", program })
            {
                startInfo.ArgumentList.Add(a);
            }
        }
        else
        {
            startInfo.FileName = program;
        }

        foreach (var a in arguments)
        {
            startInfo.ArgumentList.Add(a);
        }

        foreach (var (key, value) in options.Environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = false };
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                options.OnOutputLine?.Invoke(e.Data);
            }

            child.Write(options.StampLines ? Stamp("out", e.Data) : e.Data);
        };
        process.ErrorDataReceived += (_, e) => child.Write(options.StampLines ? Stamp("err", e.Data) : e.Data);

        var started = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                process.Start();
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
            {
                started.SetResult(e);
                return;
            }

            started.SetResult(null);
            try
            {
                process.WaitForExit();
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception)
            {
                // Disposed while waiting: the process was already signalled and given up on.
            }

            child.OnExited();
        })
        {
            IsBackground = true,
            Name = "child: " + name,
        };
        thread.Start();
        if (started.Task.GetAwaiter().GetResult() is { } failure)
        {
            log.Dispose();
            process.Dispose();
            throw new SandboxSetupException($"{name}: cannot start '{program}': {failure.Message}", failure);
        }

        child.Id = process.Id;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Live[child] = 0;
        InstallExitHook();
        return child;
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; waits for the exit.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!HasExited)
        {
            Signal(SigTerm);
            if (await Task.WhenAny(_exited.Task, Task.Delay(grace)) != _exited.Task)
            {
                Signal(SigKill);
                await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromSeconds(5)));
            }
        }
    }

    /// <summary>SIGKILL now, without waiting (as <c>kill -9</c>: none of the program's shutdown code runs).</summary>
    public void Kill() => Signal(SigKill);

    /// <summary>SIGKILL, then waits (up to <paramref name="timeout"/>, default 30 s) until the process has exited and
    /// its last output is logged.</summary>
    public async Task KillAsync(TimeSpan? timeout = null)
    {
        Kill();
        await Task.WhenAny(_exited.Task, Task.Delay(timeout ?? TimeSpan.FromSeconds(30)));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopAsync(TimeSpan.FromSeconds(5));
        Live.TryRemove(this, out _);
        lock (_logLock)
        {
            _logClosed = true;
            _log.Dispose();
        }

        _process.Dispose();
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
                _log.Flush();
            }
        }
    }

    private static string? Stamp(string stream, string? line) =>
        line is null ? null : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{SandboxClock.Now,9:0.000} {stream} {line}");

    private void OnExited()
    {
        Live.TryRemove(this, out _);
        _exited.TrySetResult();
    }

    private void Signal(int signal)
    {
        if (!HasExited && Id > 0)
        {
            _ = NativeMethods.kill(Id, signal);
        }
    }

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) == 0)
        {
            // The last net for a parent that exits without disposing (an unhandled exception, Environment.Exit).
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                foreach (var child in Live.Keys)
                {
                    child.Signal(SigKill);
                }
            };
        }
    }

    private const int SigTerm = 15;
    private const int SigKill = 9;

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // a two-int call into libc: no marshalling for the generator to improve
        internal static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054, CA5392
    }
}

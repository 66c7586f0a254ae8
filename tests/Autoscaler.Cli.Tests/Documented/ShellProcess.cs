using System.Diagnostics;
using System.Text;

namespace Autoscaler.Cli.Tests.Documented;

/// <summary>One command line run by <c>bash -c</c> as a user's shell would, its output collected as it comes. bash
/// execs a single command, so the process is the program itself and SIGINT reaches it as Ctrl-C would.</summary>
internal sealed class ShellProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private ShellProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_err)
            {
                return _err.ToString();
            }
        }
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ShellProcess Start(string commandLine, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        // Through env --default-signal=INT: a test run started in the background by a shell without job control
        // (`make test &` in a script, nohup) inherits SIGINT ignored, and an ignored signal stays ignored across exec,
        // so the Ctrl-C this test sends would never arrive.
        var start = new ProcessStartInfo("env")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(commandLine);
        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        var process = new Process { StartInfo = start };
        var shell = new ShellProcess(process);
        process.OutputDataReceived += (_, e) => Append(shell._out, e.Data);
        process.ErrorDataReceived += (_, e) => Append(shell._err, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return shell;
    }

    /// <summary>The exit code, or -1 after killing it when it runs longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            _process.WaitForExit(); // flushes the asynchronous readers
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            return -1;
        }
    }

    /// <summary>Ctrl-C: SIGINT, then the exit code (killed after a minute: -1).</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        return await WaitAsync(TimeSpan.FromMinutes(1));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sb)
        {
            sb.Append(line).Append('\n');
        }
    }
}

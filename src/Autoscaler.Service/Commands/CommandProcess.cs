using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Autoscaler.Service.Commands;

/// <summary>
/// One run's process, leader of its own process group: a <see cref="SessionProcess"/> where the platform allows (one
/// exec, one pipe), else <see cref="Process"/> through <c>setsid</c>. Either way the dispatcher sees the same pid
/// (= group id), output, exit and kill.
/// </summary>
internal sealed class CommandProcess : IDisposable
{
    private readonly SessionProcess? _session;
    private readonly Process? _process;
    private readonly Task _output;

    private CommandProcess(SessionProcess session)
    {
        _session = session;
        _output = session.OutputEnded;
    }

    private CommandProcess(Process process, OutputTail tail)
    {
        _process = process;
        _output = Task.WhenAll(tail.PumpAsync(process.StandardOutput), tail.PumpAsync(process.StandardError));
    }

    /// <summary>The leader's pid, also its process group id.</summary>
    public int Pid => _session?.Pid ?? _process!.Id;

    /// <summary>True once the leader has exited.</summary>
    public bool HasExited => _session?.HasExited ?? _process!.HasExited;

    /// <summary>The exit code (128 + signal when a signal ended it); valid once <see cref="HasExited"/>.</summary>
    public int ExitCode => _session is not null ? _session.Exited.Result : _process!.ExitCode;

    /// <summary>Completes when the command's output (stdout and stderr, also of children that keep them) has ended
    /// and is all in the tail.</summary>
    public Task OutputEnded => _output;

    /// <summary>Starts <paramref name="cmd"/> with exactly <paramref name="environment"/>, its output copied into
    /// <paramref name="tail"/>; null with <paramref name="error"/> when it could not start.</summary>
    public static CommandProcess? Start(string cmd, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, OutputTail tail,
        out string? error)
    {
        ArgumentNullException.ThrowIfNull(tail);
        if (SessionProcess.TryStart(cmd, args, environment, tail, out var session, out error))
        {
            return session is null ? null : new CommandProcess(session);
        }

        var psi = new ProcessStartInfo(ProcessGroup.Setsid ?? cmd)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (ProcessGroup.Setsid is not null)
        {
            psi.ArgumentList.Add(cmd);
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // From nothing: the service's own environment holds the Linode token and the webhook's credentials.
        psi.Environment.Clear();
        foreach (var (k, v) in environment)
        {
            psi.Environment[k] = v;
        }

        var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            error = ex.Message;
            return null;
        }

        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command already exited; nothing was to be read anyway.
        }

        return new CommandProcess(process, tail);
    }

    /// <summary>Waits until the leader exits.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) =>
        _session is not null ? _session.Exited.WaitAsync(cancellationToken) : _process!.WaitForExitAsync(cancellationToken);

    /// <summary>SIGKILL to whatever is left of the run (the group was already signalled).</summary>
    public void Kill()
    {
        if (_session is not null)
        {
            _session.Kill();
        }
        else if (!_process!.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session?.Dispose();
        _process?.Dispose();
    }
}

/// <summary>The first characters of a run's stdout and stderr, interleaved as read.</summary>
internal sealed class OutputTail(int max)
{
    private readonly StringBuilder _text = new();
    private long _dropped;

    /// <summary>What was kept, and how much more there was.</summary>
    public string Text
    {
        get
        {
            lock (_text)
            {
                var s = _text.ToString().TrimEnd();
                return _dropped > 0 ? s + $" … ({_dropped} more characters)" : s;
            }
        }
    }

    /// <summary>Keeps what still fits of <paramref name="chars"/> and counts the rest.</summary>
    public void Append(ReadOnlySpan<char> chars)
    {
        lock (_text)
        {
            var keep = Math.Max(0, Math.Min(chars.Length, max - _text.Length));
            _text.Append(chars[..keep]);
            _dropped += chars.Length - keep;
        }
    }

    /// <summary>Reads <paramref name="reader"/> to its end.</summary>
    public async Task PumpAsync(StreamReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var buffer = new char[1024];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                Append(buffer.AsSpan(0, read));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The process was disposed while a child still held the pipe.
        }
    }
}

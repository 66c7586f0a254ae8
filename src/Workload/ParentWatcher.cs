using System.Diagnostics;

namespace Workload;

/// <summary>
/// Polls whether the parent process still lives, so that an emulated instance never outlives an emulator that was
/// killed (SIGKILL leaves no chance to stop children). Polling rather than PR_SET_PDEATHSIG: that signal follows the
/// parent's forking *thread*, which in .NET may be a pool thread that exits long before the process.
/// </summary>
internal sealed class ParentWatcher : IDisposable
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(500);

    private readonly int _pid;
    private readonly string? _startTime;
    private readonly Action _onExit;
    private readonly ITimer _timer;
    private int _fired;

    public ParentWatcher(int pid, Action onExit, TimeProvider time)
    {
        _pid = pid;
        _onExit = onExit;
        _startTime = ReadStartTime(pid);
        _timer = time.CreateTimer(_ => Check(), null, TimeSpan.Zero, PollEvery);
    }

    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        if (Volatile.Read(ref _fired) != 0 || IsAlive())
        {
            return;
        }

        if (Interlocked.Exchange(ref _fired, 1) == 0)
        {
            _onExit();
        }
    }

    private bool IsAlive()
    {
        var stat = $"/proc/{_pid}/stat";
        if (Directory.Exists("/proc/self"))
        {
            string text;
            try
            {
                text = File.ReadAllText(stat);
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return true;
            }

            // "pid (comm) S ppid ... starttime(22nd field)": a zombie is dead, a new start time is another process
            // that reused the id.
            var fields = AfterComm(text);
            if (fields.Length == 0 || fields[0] is "Z" or "X")
            {
                return false;
            }

            return _startTime is null || (fields.Length > 19 && fields[19] == _startTime);
        }

        try
        {
            using var process = Process.GetProcessById(_pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string? ReadStartTime(int pid)
    {
        try
        {
            var fields = AfterComm(File.ReadAllText($"/proc/{pid}/stat"));
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    // The command name may contain spaces and parentheses; the fields resume after the last ')'.
    private static string[] AfterComm(string stat)
    {
        var close = stat.LastIndexOf(')');
        return close < 0 ? [] : stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}

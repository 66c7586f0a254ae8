using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Linode.Emulator.Runtime;

/// <summary>
/// Signals a process and every descendant it spawned, even those a shell has already left behind (re-parented to
/// init): the tree is taken from /proc before signalling, and each member is identified by pid and start time so a
/// reused pid is never hit.
/// </summary>
internal static class ProcessTree
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>A process as identified at snapshot time.</summary>
    internal readonly record struct Member(int Pid, string StartTime);

    /// <summary>The root and its descendants (root first). Empty when /proc is not there.</summary>
    public static IReadOnlyList<Member> Snapshot(int rootPid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        var parentOf = new Dictionary<int, (int Parent, string Start)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            if (ReadStat(pid) is { } stat)
            {
                parentOf[pid] = stat;
            }
        }

        var members = new List<Member>();
        if (!parentOf.TryGetValue(rootPid, out var root))
        {
            return members;
        }

        members.Add(new Member(rootPid, root.Start));
        for (var i = 0; i < members.Count; i++)
        {
            var parent = members[i].Pid;
            foreach (var (pid, (ppid, start)) in parentOf)
            {
                if (ppid == parent)
                {
                    members.Add(new Member(pid, start));
                }
            }
        }

        return members;
    }

    public static void Terminate(IEnumerable<Member> members) => Signal(members, SigTerm);

    public static void KillAll(IEnumerable<Member> members) => Signal(members, SigKill);

    /// <summary>True while the member (same pid, same start time) exists and is not a zombie.</summary>
    public static bool IsAlive(Member member) =>
        ReadStat(member.Pid) is { } stat && stat.Start == member.StartTime && !IsZombie(member.Pid);

    /// <summary>Sends SIGTERM to one process (no /proc needed).</summary>
    public static bool Terminate(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        return NativeMethods.kill(process.Id, SigTerm) == 0;
    }

    private static void Signal(IEnumerable<Member> members, int signal)
    {
        foreach (var member in members)
        {
            if (IsAlive(member))
            {
                _ = NativeMethods.kill(member.Pid, signal);
            }
        }
    }

    private static bool IsZombie(int pid)
    {
        var fields = Fields(pid);
        return fields is null || fields[0] is "Z" or "X";
    }

    private static (int Parent, string Start)? ReadStat(int pid)
    {
        var fields = Fields(pid);
        return fields is { Length: > 19 } && int.TryParse(fields[1], out var ppid) ? (ppid, fields[19]) : null;
    }

    // Fields after "pid (comm)": [0] state, [1] ppid, … [19] starttime. comm may hold spaces and ')'.
    private static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close < 0 ? null : stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
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

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // a two-int call into libc: no marshalling for the generator to improve
        internal static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054, CA5392
    }
}

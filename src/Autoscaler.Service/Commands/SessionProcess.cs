using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Autoscaler.Service.Commands;

/// <summary>
/// A command started with <c>posix_spawnp</c> as the leader of a new session (<c>POSIX_SPAWN_SETSID</c>), so its
/// process group id is its pid and a signal to the group reaches its children. This is what
/// <see cref="System.Diagnostics.Process"/> plus <c>/usr/bin/setsid</c> did, at one exec per run instead of two and
/// without three pipes and their readers: the whole cost of a run of <c>/bin/true</c> is what bounded a command per
/// alert (BENCHMARKS.md). stdin is <c>/dev/null</c> (the command reads end of file at once, as before), stdout and
/// stderr share one pipe (read interleaved, as before), every signal is at its default and none is blocked (.NET
/// ignores SIGPIPE, which a shell script must not inherit). Only on Linux with glibc or musl; elsewhere
/// <see cref="TryStart"/> says so and the caller uses <see cref="System.Diagnostics.Process"/>.
/// </summary>
internal sealed class SessionProcess : IDisposable
{
    private const int PosixSpawnSetSigDef = 0x04;
    private const int PosixSpawnSetSigMask = 0x08;
    private const int PosixSpawnSetSid = 0x80;
    private const int OCloexec = 0x80000;
    private const int ORdonly = 0;
    private const int ENoSys = 38;
    private const int EIntr = 4;

    // Opaque glibc/musl structures, allocated larger than any libc makes them (glibc: 80, 336 and 128 bytes).
    private const int FileActionsBytes = 256;
    private const int AttributesBytes = 1024;
    private const int SigsetBytes = 256;

    private static int s_unsupported;

    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SessionProcess(int pid, Stream output)
    {
        Pid = pid;
        Output = output;
        // waitpid blocks: on a thread of its own (a small stack), as Go's os/exec waits, never on the thread pool.
        var waiter = new Thread(Wait, 64 * 1024) { IsBackground = true, Name = "command wait" };
        waiter.Start();
    }

    /// <summary>The leader's pid, which is also its process group id.</summary>
    public int Pid { get; }

    /// <summary>stdout and stderr of the command (and of any child that keeps them).</summary>
    public Stream Output { get; }

    /// <summary>Completes with the exit code once the leader is reaped: its status, or 128 + the signal that ended it
    /// (as <see cref="System.Diagnostics.Process.ExitCode"/> reports it).</summary>
    public Task<int> Exited => _exit.Task;

    /// <summary>True once the leader has been reaped.</summary>
    public bool HasExited => _exit.Task.IsCompleted;

    /// <summary>False when this platform cannot spawn this way (then <paramref name="process"/> is null and
    /// <paramref name="error"/> too); true otherwise, with the process or the reason it could not start.</summary>
    public static bool TryStart(string file, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment,
        out SessionProcess? process, out string? error)
    {
        process = null;
        error = null;
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref s_unsupported) != 0)
        {
            return false;
        }

        var strings = new List<IntPtr>();
        var fileActions = Marshal.AllocHGlobal(FileActionsBytes);
        var attributes = Marshal.AllocHGlobal(AttributesBytes);
        var signals = Marshal.AllocHGlobal(SigsetBytes);
        var fds = new int[2];
        var piped = false;
        try
        {
            if (Native.Pipe2(fds, OCloexec) != 0)
            {
                error = "pipe: " + Marshal.GetLastPInvokeErrorMessage();
                return true;
            }

            piped = true;
            var devNull = Utf8(strings, "/dev/null");
            Check(Native.FileActionsInit(fileActions));
            Check(Native.FileActionsAddOpen(fileActions, 0, devNull, ORdonly, 0));
            Check(Native.FileActionsAddDup2(fileActions, fds[1], 1));
            Check(Native.FileActionsAddDup2(fileActions, fds[1], 2));
            Check(Native.AttrInit(attributes));
            Check(Native.SigFillSet(signals));
            Check(Native.AttrSetSigDefault(attributes, signals));
            Check(Native.SigEmptySet(signals));
            Check(Native.AttrSetSigMask(attributes, signals));
            Check(Native.AttrSetFlags(attributes, (short)(PosixSpawnSetSid | PosixSpawnSetSigDef | PosixSpawnSetSigMask)));

            var argv = new IntPtr[args.Count + 2];
            argv[0] = Utf8(strings, file);
            for (var i = 0; i < args.Count; i++)
            {
                argv[i + 1] = Utf8(strings, args[i]);
            }

            var envp = new IntPtr[environment.Count + 1];
            var e = 0;
            foreach (var (name, value) in environment)
            {
                envp[e++] = Utf8(strings, name + "=" + value);
            }

            var rc = Native.PosixSpawnP(out var pid, argv[0], fileActions, attributes, argv, envp);
            _ = Native.FileActionsDestroy(fileActions);
            _ = Native.AttrDestroy(attributes);
            _ = Native.Close(fds[1]);
            fds[1] = -1;
            if (rc != 0)
            {
                _ = Native.Close(fds[0]);
                if (rc == ENoSys)
                {
                    Volatile.Write(ref s_unsupported, 1);
                    return false;
                }

                error = Marshal.GetPInvokeErrorMessage(rc);
                return true;
            }

            var output = new AnonymousPipeClientStream(PipeDirection.In, new SafePipeHandle(fds[0], ownsHandle: true));
            process = new SessionProcess(pid, output);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            // A libc without posix_spawn's SETSID flag (or not found): the Process path, from now on.
            Volatile.Write(ref s_unsupported, 1);
            if (piped)
            {
                _ = Native.Close(fds[0]);
                if (fds[1] >= 0)
                {
                    _ = Native.Close(fds[1]);
                }
            }

            return false;
        }
        finally
        {
            foreach (var p in strings)
            {
                Marshal.FreeCoTaskMem(p);
            }

            Marshal.FreeHGlobal(fileActions);
            Marshal.FreeHGlobal(attributes);
            Marshal.FreeHGlobal(signals);
        }
    }

    /// <summary>Sends SIGKILL to the leader alone (the group gets it through <see cref="ProcessGroup"/>).</summary>
    public void Kill()
    {
        if (!HasExited)
        {
            _ = Native.Kill(Pid, ProcessGroup.KillSignal);
        }
    }

    /// <inheritdoc />
    public void Dispose() => Output.Dispose();

    private void Wait()
    {
        while (true)
        {
            var reaped = Native.WaitPid(Pid, out var status, 0);
            if (reaped == Pid)
            {
                // As the kernel encodes it: the low 7 bits are the signal that ended it, else the exit status above them.
                var signal = status & 0x7f;
                _exit.TrySetResult(signal == 0 ? (status >> 8) & 0xff : 128 + signal);
                return;
            }

            if (reaped == -1 && Marshal.GetLastPInvokeError() == EIntr)
            {
                continue;
            }

            // Not ours to reap any more (ECHILD): nothing better to report than an unknown end.
            _exit.TrySetResult(-1);
            return;
        }
    }

    private static IntPtr Utf8(List<IntPtr> strings, string s)
    {
        var p = Marshal.StringToCoTaskMemUTF8(s);
        strings.Add(p);
        return p;
    }

    private static void Check(int rc)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException("posix_spawn setup failed: " + Marshal.GetPInvokeErrorMessage(rc));
        }
    }

    // DllImport, not LibraryImport: blittable signatures only (IntPtr, int, arrays of them), so no marshalling code is
    // needed and the assembly need not allow unsafe code.
#pragma warning disable SYSLIB1054
    private static class Native
    {
        [DllImport("libc", EntryPoint = "pipe2", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Pipe2([Out] int[] fds, int flags);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);

        [DllImport("libc", EntryPoint = "waitpid", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int WaitPid(int pid, out int status, int options);

        [DllImport("libc", EntryPoint = "posix_spawnp")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int PosixSpawnP(out int pid, IntPtr file, IntPtr fileActions, IntPtr attributes, IntPtr[] argv, IntPtr[] envp);

        [DllImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int FileActionsInit(IntPtr fileActions);

        [DllImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int FileActionsDestroy(IntPtr fileActions);

        [DllImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int FileActionsAddOpen(IntPtr fileActions, int fd, IntPtr path, int flags, uint mode);

        [DllImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int FileActionsAddDup2(IntPtr fileActions, int fd, int newFd);

        [DllImport("libc", EntryPoint = "posix_spawnattr_init")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int AttrInit(IntPtr attributes);

        [DllImport("libc", EntryPoint = "posix_spawnattr_destroy")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int AttrDestroy(IntPtr attributes);

        [DllImport("libc", EntryPoint = "posix_spawnattr_setflags")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int AttrSetFlags(IntPtr attributes, short flags);

        [DllImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int AttrSetSigDefault(IntPtr attributes, IntPtr signals);

        [DllImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int AttrSetSigMask(IntPtr attributes, IntPtr signals);

        [DllImport("libc", EntryPoint = "sigfillset")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SigFillSet(IntPtr signals);

        [DllImport("libc", EntryPoint = "sigemptyset")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SigEmptySet(IntPtr signals);
    }
#pragma warning restore SYSLIB1054
}

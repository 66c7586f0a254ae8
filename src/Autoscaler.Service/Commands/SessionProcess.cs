using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace Autoscaler.Service.Commands;

/// <summary>
/// A command started with <c>posix_spawnp</c> as the leader of a new session (<c>POSIX_SPAWN_SETSID</c>), so its
/// process group id is its pid and a signal to the group reaches its children. This is what
/// <see cref="System.Diagnostics.Process"/> plus <c>/usr/bin/setsid</c> did, at one exec per run instead of two and
/// without three pipes and their readers: the whole cost of a run of <c>/bin/true</c> is what bounded a command per
/// alert (BENCHMARKS.md). stdin is <c>/dev/null</c> (the command reads end of file at once, as before), stdout and
/// stderr share one pipe (read interleaved, as before), every signal is at its default and none is blocked (.NET
/// ignores SIGPIPE, which a shell script must not inherit). The <see cref="ChildWatcher"/> reaps it and reads its
/// output, so a run costs no thread. Only on Linux (glibc or musl) with pidfds; elsewhere <see cref="TryStart"/> says
/// so and the caller uses <see cref="System.Diagnostics.Process"/>.
/// </summary>
internal sealed class SessionProcess : IDisposable
{
    private const int PosixSpawnSetSigDef = 0x04;
    private const int PosixSpawnSetSigMask = 0x08;
    private const int PosixSpawnSetSid = 0x80;
    private const int OCloexec = 0x80000;
    private const int ORdonly = 0;
    private const int ENoSys = 38;

    // Opaque glibc/musl structures, allocated larger than any libc makes them (glibc: 80, 336 and 128 bytes).
    private const int FileActionsBytes = 256;
    private const int AttributesBytes = 1024;
    private const int SigsetBytes = 256;

    private static readonly byte[] s_devNull = "/dev/null\0"u8.ToArray();
    private static readonly Lock s_attributesLock = new();
    private static IntPtr s_attributes;
    private static int s_unsupported;

    private readonly ChildWatcher.Child _child;

    private SessionProcess(ChildWatcher.Child child) => _child = child;

    /// <summary>The leader's pid, which is also its process group id.</summary>
    public int Pid => _child.Pid;

    /// <summary>Completes with the exit code once the leader is reaped: its status, or 128 + the signal that ended it
    /// (as <see cref="System.Diagnostics.Process.ExitCode"/> reports it).</summary>
    public Task<int> Exited => _child.Exited;

    /// <summary>Completes when every writer closed stdout and stderr (the command's children too), or on
    /// <see cref="Dispose"/>.</summary>
    public Task OutputEnded => _child.OutputEnded;

    /// <summary>True once the leader has been reaped.</summary>
    public bool HasExited => _child.Exited.IsCompleted;

    /// <summary>False when this platform cannot spawn this way (then <paramref name="process"/> is null and
    /// <paramref name="error"/> too); true otherwise, with the process or the reason it could not start. Its output
    /// goes to <paramref name="tail"/>.</summary>
    public static bool TryStart(string file, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, OutputTail tail,
        out SessionProcess? process, out string? error)
    {
        process = null;
        error = null;
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref s_unsupported) != 0)
        {
            return false;
        }

        ChildWatcher? watcher;
        IntPtr attributes;
        try
        {
            watcher = ChildWatcher.Shared;
            attributes = watcher is null ? IntPtr.Zero : Attributes();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            // A libc without posix_spawn's SETSID flag (or not found): the Process path, from now on.
            attributes = IntPtr.Zero;
            watcher = null;
        }

        if (watcher is null || attributes == IntPtr.Zero)
        {
            Volatile.Write(ref s_unsupported, 1);
            return false;
        }

        // Every string in one pinned buffer and one pinned array of pointers: argv, a null, envp, a null.
        var lengths = 0;
        lengths += Encoding.UTF8.GetByteCount(file) + 1;
        foreach (var a in args)
        {
            lengths += Encoding.UTF8.GetByteCount(a) + 1;
        }

        foreach (var (name, value) in environment)
        {
            lengths += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value) + 2;
        }

        var text = ArrayPool<byte>.Shared.Rent(lengths);
        var pointers = new IntPtr[args.Count + 2 + environment.Count + 1];
        var fileActions = Marshal.AllocHGlobal(FileActionsBytes);
        int[] fds = [-1, -1];
        var textPin = GCHandle.Alloc(text, GCHandleType.Pinned);
        var devNullPin = GCHandle.Alloc(s_devNull, GCHandleType.Pinned);
        try
        {
            var at = textPin.AddrOfPinnedObject();
            var used = 0;
            var p = 0;
            pointers[p++] = at + used;
            used += Put(text, used, file, null);
            foreach (var a in args)
            {
                pointers[p++] = at + used;
                used += Put(text, used, a, null);
            }

            pointers[p++] = IntPtr.Zero;
            var envp = p;
            foreach (var (name, value) in environment)
            {
                pointers[p++] = at + used;
                used += Put(text, used, name, value);
            }

            pointers[p] = IntPtr.Zero;

            if (Native.Pipe2(fds, OCloexec) != 0)
            {
                error = "pipe: " + Marshal.GetLastPInvokeErrorMessage();
                return true;
            }

            int rc, pid;
            try
            {
                Check(Native.FileActionsInit(fileActions));
                Check(Native.FileActionsAddOpen(fileActions, 0, devNullPin.AddrOfPinnedObject(), ORdonly, 0));
                Check(Native.FileActionsAddDup2(fileActions, fds[1], 1));
                Check(Native.FileActionsAddDup2(fileActions, fds[1], 2));
                var argvPin = GCHandle.Alloc(pointers, GCHandleType.Pinned);
                try
                {
                    var argv = argvPin.AddrOfPinnedObject();
                    rc = Native.PosixSpawnP(out pid, pointers[0], fileActions, attributes, argv, argv + envp * IntPtr.Size);
                }
                finally
                {
                    argvPin.Free();
                }

                _ = Native.FileActionsDestroy(fileActions);
            }
            finally
            {
                _ = Native.Close(fds[1]);
            }

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

            process = new SessionProcess(watcher.Watch(pid, fds[0], tail));
            return true;
        }
        catch (InvalidOperationException)
        {
            // A libc without posix_spawn's SETSID flag: the Process path, from now on.
            Volatile.Write(ref s_unsupported, 1);
            if (fds[0] >= 0)
            {
                _ = Native.Close(fds[0]);
            }

            return false;
        }
        finally
        {
            textPin.Free();
            devNullPin.Free();
            ArrayPool<byte>.Shared.Return(text);
            Marshal.FreeHGlobal(fileActions);
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

    /// <summary>Stops reading the output; the leader is still reaped when it exits.</summary>
    public void Dispose() => _child.Abandon();

    /// <summary>The same for every run (new session, default signals, none blocked), so made once and shared: a
    /// spawn only reads them.</summary>
    private static IntPtr Attributes()
    {
        lock (s_attributesLock)
        {
            if (s_attributes != IntPtr.Zero)
            {
                return s_attributes;
            }

            var attributes = Marshal.AllocHGlobal(AttributesBytes);
            var signals = Marshal.AllocHGlobal(SigsetBytes);
            try
            {
                Check(Native.AttrInit(attributes));
                Check(Native.SigFillSet(signals));
                Check(Native.AttrSetSigDefault(attributes, signals));
                Check(Native.SigEmptySet(signals));
                Check(Native.AttrSetSigMask(attributes, signals));
                Check(Native.AttrSetFlags(attributes, (short)(PosixSpawnSetSid | PosixSpawnSetSigDef | PosixSpawnSetSigMask)));
                s_attributes = attributes;
                attributes = IntPtr.Zero;
                return s_attributes;
            }
            finally
            {
                Marshal.FreeHGlobal(signals);
                if (attributes != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(attributes);
                }
            }
        }
    }

    /// <summary>Writes <paramref name="name"/> (and <c>=</c><paramref name="value"/>) NUL-terminated at
    /// <paramref name="at"/>; returns the bytes written.</summary>
    private static int Put(byte[] text, int at, string name, string? value)
    {
        var n = Encoding.UTF8.GetBytes(name, text.AsSpan(at));
        if (value is not null)
        {
            text[at + n++] = (byte)'=';
            n += Encoding.UTF8.GetBytes(value, text.AsSpan(at + n));
        }

        text[at + n++] = 0;
        return n;
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

        [DllImport("libc", EntryPoint = "posix_spawnp")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int PosixSpawnP(out int pid, IntPtr file, IntPtr fileActions, IntPtr attributes, IntPtr argv, IntPtr envp);

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

using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace Autoscaler.Service.Commands;

/// <summary>
/// One thread that reaps every <see cref="SessionProcess"/> and reads every run's output: each child's pidfd and the
/// read end of its pipe (non-blocking) sit in one epoll set. A command per alert used to cost a new thread blocked in
/// <c>waitpid</c> and a thread-pool thread blocked in <c>read</c> (an anonymous pipe stream reads synchronously on
/// Unix), so a burst of alerts became a burst of thread creations and context switches (BENCHMARKS.md). Only the pids
/// started here are reaped, by <c>waitpid(pid)</c> once their pidfd says they exited, so the children of
/// <see cref="System.Diagnostics.Process"/> are never taken from it. Null (<see cref="Shared"/>) where pidfds or epoll
/// are missing (Linux before 5.3, a seccomp profile that refuses them): then commands run through
/// <see cref="System.Diagnostics.Process"/>.
/// </summary>
internal sealed class ChildWatcher
{
    private const int EpollCloexec = 0x80000;
    private const int EfdNonBlock = 0x800;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const uint EpollIn = 0x001;
    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const int ONonBlock = 0x800;
    private const int WNoHang = 1;
    private const int EIntr = 4;
    private const int EAgain = 11;
    private const int MaxEvents = 64;
    private const int ReadBytes = 16 * 1024;
    private const long WakeToken = 0;

    // The same number on x86-64 and arm64 (system calls added since Linux 5.1 share one table).
    private const long PidfdOpenSyscall = 434;
    private static int s_noWrapper;

    // struct epoll_event is packed on x86-64 (the data at offset 4, 12 bytes) and naturally aligned elsewhere.
    private static readonly int s_eventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;
    private static readonly Lazy<ChildWatcher?> s_shared = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Child> _children = [];
    private readonly ConcurrentQueue<Child> _abandoned = new();
    private readonly byte[] _bytes = new byte[ReadBytes];
    // Room for a whole read plus what a decoder may carry over from the last one (a few bytes, each at worst a U+FFFD).
    private readonly char[] _chars = new char[Encoding.UTF8.GetMaxCharCount(ReadBytes + 8)];
    private long _next;

    private ChildWatcher(int epoll, int wake)
    {
        _epoll = epoll;
        _wake = wake;
        var thread = new Thread(Loop, 256 * 1024) { IsBackground = true, Name = "command reaper" };
        thread.Start();
    }

    /// <summary>The process's watcher, started on first use; null where this platform cannot watch this way.</summary>
    public static ChildWatcher? Shared => s_shared.Value;

    /// <summary>Watches <paramref name="pid"/> (a child of this process not reaped yet) and takes ownership of
    /// <paramref name="pipe"/>, whose bytes go to <paramref name="tail"/> as UTF-8 text until every writer closed it.</summary>
    public Child Watch(int pid, int pipe, OutputTail tail)
    {
        var child = new Child(this, pid, pipe, tail);
        lock (_lock)
        {
            child.Id = ++_next;
            _children[child.Id] = child;
        }

        var flags = Native.Fcntl(pipe, FGetFl, 0);
        if (flags < 0 || Native.Fcntl(pipe, FSetFl, flags | ONonBlock) < 0 || !Add(pipe, child.Id * 2 + 1))
        {
            // Not expected with a valid fd; the output is given up rather than read by a blocked thread.
            child.CloseOutput(this);
        }

        // Set before it is watched: the child may have exited already, and the loop closes what it reaps.
        var pidfd = PidfdOpen(pid);
        child.Pidfd = pidfd;
        if (pidfd < 0 || !Add(pidfd, child.Id * 2))
        {
            // Out of descriptors, say: this one child is waited for the old way, on a thread of its own.
            child.Pidfd = -1;
            if (pidfd >= 0)
            {
                _ = Native.Close(pidfd);
            }

            var waiter = new Thread(() => child.SetExit(this, BlockingWait(pid)), 64 * 1024) { IsBackground = true, Name = "command wait" };
            waiter.Start();
        }

        return child;
    }

    private static ChildWatcher? Create()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return null;
        }

        try
        {
            // A pidfd of this very process says whether the kernel (and a seccomp filter) allow them at all.
            var probe = PidfdOpen(Environment.ProcessId);
            if (probe < 0)
            {
                return null;
            }

            _ = Native.Close(probe);
            var epoll = Native.EpollCreate1(EpollCloexec);
            if (epoll < 0)
            {
                return null;
            }

            var wake = Native.EventFd(0, EpollCloexec | EfdNonBlock);
            if (wake < 0)
            {
                _ = Native.Close(epoll);
                return null;
            }

            var watcher = new ChildWatcher(epoll, wake);
            return watcher.Add(wake, WakeToken) ? watcher : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static int PidfdOpen(int pid)
    {
        if (Volatile.Read(ref s_noWrapper) == 0)
        {
            try
            {
                return Native.PidfdOpen(pid, 0);
            }
            catch (EntryPointNotFoundException)
            {
                // glibc before 2.36 has the system call but no wrapper for it.
                Volatile.Write(ref s_noWrapper, 1);
            }
        }

        return (int)Native.Syscall(PidfdOpenSyscall, pid, 0);
    }

    private bool Add(int fd, long token)
    {
        var ev = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(ev, EpollIn);
        BinaryPrimitives.WriteInt64LittleEndian(ev.AsSpan(s_dataOffset), token);
        return Native.EpollCtl(_epoll, EpollCtlAdd, fd, ev) == 0;
    }

    private void Remove(int fd) => _ = Native.EpollCtl(_epoll, EpollCtlDel, fd, new byte[16]);

    /// <summary>Asks the loop to stop reading <paramref name="child"/>'s output (closing the pipe happens on the loop,
    /// so a descriptor number is never reused while an event for it may still be pending).</summary>
    internal void Abandon(Child child)
    {
        _abandoned.Enqueue(child);
        var one = new byte[8];
        one[0] = 1;
        _ = Native.Write(_wake, one, 8);
    }

    private void Loop()
    {
        var events = Marshal.AllocHGlobal(MaxEvents * s_eventSize);
        while (true)
        {
            var n = Native.EpollWait(_epoll, events, MaxEvents, -1);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr)
                {
                    continue;
                }

                return;
            }

            for (var i = 0; i < n; i++)
            {
                var token = Marshal.ReadInt64(events, i * s_eventSize + s_dataOffset);
                if (token == WakeToken)
                {
                    _ = Native.Read(_wake, _bytes, 8);
                    continue;
                }

                Child? child;
                lock (_lock)
                {
                    _children.TryGetValue(token >> 1, out child);
                }

                if (child is null)
                {
                    continue;
                }

                if ((token & 1) == 0)
                {
                    Reap(child);
                }
                else
                {
                    _ = ReadOutput(child);
                }
            }

            while (_abandoned.TryDequeue(out var gone))
            {
                gone.CloseOutput(this);
            }
        }
    }

    private void Reap(Child child)
    {
        var pid = child.Pid;
        int reaped, status;
        do
        {
            reaped = Native.WaitPid(pid, out status, WNoHang);
        }
        while (reaped == -1 && Marshal.GetLastPInvokeError() == EIntr);

        if (reaped == 0)
        {
            return; // Readable before the exit is visible to waitpid: the level-triggered event comes again.
        }

        Remove(child.Pidfd);
        _ = Native.Close(child.Pidfd);
        child.Pidfd = -1;

        // Usually the leader was the last writer: what it left in the pipe and the end of file are read now, so the
        // output has ended before the run learns of the exit (no second wake-up, no drain timer). A child that
        // still holds the pipe leaves it open; the loop goes on reading it.
        for (var i = 0; i < 8 && child.Pipe >= 0 && ReadOutput(child); i++)
        {
        }

        // Not ours to reap any more (ECHILD): nothing better to report than an unknown end.
        child.SetExit(this, reaped == pid ? Decode(status) : -1);
    }

    /// <summary>One read (the event is level-triggered, so a chatty command cannot keep the others waiting); true
    /// when bytes came and there may be more.</summary>
    private bool ReadOutput(Child child)
    {
        if (child.Pipe < 0)
        {
            return false;
        }

        var read = Native.Read(child.Pipe, _bytes, ReadBytes);
        if (read > 0)
        {
            child.Append(_bytes.AsSpan(0, (int)read), _chars, flush: false);
            return true;
        }

        if (read < 0 && Marshal.GetLastPInvokeError() is EAgain or EIntr)
        {
            return false;
        }

        child.Append([], _chars, flush: true);
        child.CloseOutput(this);
        return false;
    }

    /// <summary>The exit code as <see cref="System.Diagnostics.Process.ExitCode"/> reports it: the status, or 128 + the
    /// signal that ended it (the kernel's encoding: the low 7 bits are that signal, else the status is above them).</summary>
    internal static int Decode(int status)
    {
        var signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    private static int BlockingWait(int pid)
    {
        while (true)
        {
            var reaped = Native.WaitPid(pid, out var status, 0);
            if (reaped == pid)
            {
                return Decode(status);
            }

            if (reaped != -1 || Marshal.GetLastPInvokeError() != EIntr)
            {
                return -1;
            }
        }
    }

    private void Forget(Child child)
    {
        lock (_lock)
        {
            _children.Remove(child.Id);
        }
    }

    /// <summary>One watched child: its exit and the end of its output.</summary>
    internal sealed class Child(ChildWatcher watcher, int pid, int pipe, OutputTail tail)
    {
        private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _output = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Decoder? _decoder;
        private int _done;

        public long Id { get; set; }

        public int Pid { get; } = pid;

        public int Pidfd { get; set; } = -1;

        public int Pipe { get; private set; } = pipe;

        /// <summary>The exit code once reaped.</summary>
        public Task<int> Exited => _exit.Task;

        /// <summary>Completes when every writer closed the pipe, or the output was abandoned.</summary>
        public Task OutputEnded => _output.Task;

        /// <summary>Stops reading the output (a child may hold the pipe long after the run ended).</summary>
        public void Abandon()
        {
            if (!_output.Task.IsCompleted)
            {
                watcher.Abandon(this);
            }
        }

        internal void Append(ReadOnlySpan<byte> bytes, char[] chars, bool flush)
        {
            if (bytes.IsEmpty && _decoder is null)
            {
                return;
            }

            // Created on the first byte: /bin/true and most scripts write nothing.
            _decoder ??= Encoding.UTF8.GetDecoder();
            var count = _decoder.GetChars(bytes, chars, flush);
            tail.Append(chars.AsSpan(0, count));
        }

        internal void SetExit(ChildWatcher owner, int code)
        {
            _exit.TrySetResult(code);
            Done(owner);
        }

        internal void CloseOutput(ChildWatcher owner)
        {
            if (Pipe >= 0)
            {
                owner.Remove(Pipe);
                _ = Native.Close(Pipe);
                Pipe = -1;
            }

            if (_output.TrySetResult())
            {
                Done(owner);
            }
        }

        private void Done(ChildWatcher owner)
        {
            if (Interlocked.Increment(ref _done) == 2)
            {
                owner.Forget(this);
            }
        }
    }

    // DllImport, not LibraryImport: blittable signatures only, so no marshalling code is needed and the assembly need
    // not allow unsafe code.
#pragma warning disable SYSLIB1054
    private static class Native
    {
        [DllImport("libc", EntryPoint = "pidfd_open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int PidfdOpen(int pid, uint flags);

        [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern long Syscall(long number, long pid, long flags);

        [DllImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EpollCreate1(int flags);

        [DllImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EpollCtl(int epoll, int op, int fd, byte[] ev);

        [DllImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EpollWait(int epoll, IntPtr events, int max, int timeout);

        [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EventFd(uint initial, int flags);

        [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fcntl(int fd, int command, int arg);

        [DllImport("libc", EntryPoint = "read", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint Read(int fd, byte[] buffer, nint count);

        [DllImport("libc", EntryPoint = "write", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint Write(int fd, byte[] buffer, nint count);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);

        [DllImport("libc", EntryPoint = "waitpid", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int WaitPid(int pid, out int status, int options);
    }
#pragma warning restore SYSLIB1054
}

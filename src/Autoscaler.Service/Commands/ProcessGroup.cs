using System.Runtime.InteropServices;

namespace Autoscaler.Service.Commands;

/// <summary>Signals to a whole process group, so a script's children (a <c>sleep</c>, a <c>curl</c>) get them too,
/// which am-executor (it signals only the direct child) does not do.</summary>
internal static class ProcessGroup
{
    /// <summary>SIGTERM.</summary>
    public const int Term = 15;

    /// <summary>SIGKILL.</summary>
    public const int KillSignal = 9;

    /// <summary><c>setsid</c>, which makes the command the leader of a new process group (and session) and then execs it,
    /// so the group id is the pid .NET reports; null where it is not installed.</summary>
    public static readonly string? Setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    /// <summary>Sends <paramref name="signal"/> to the group led by <paramref name="leader"/>; false if none is left.</summary>
    public static bool Signal(int leader, int signal) => leader > 1 && Kill(-leader, signal) == 0;

    // DllImport, not LibraryImport: an int-only signature needs no marshalling, and LibraryImport would make the whole
    // assembly allow unsafe code.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054
}

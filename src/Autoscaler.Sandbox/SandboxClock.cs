namespace Autoscaler.Sandbox;

/// <summary>Seconds on a monotonic clock shared by the sandbox's parts (the recording proxy's exchanges, the serve
/// process's log lines), so their times can be compared with each other and with a test's own readings.</summary>
public static class SandboxClock
{
    private static readonly long Origin = TimeProvider.System.GetTimestamp();

    /// <summary>Seconds since the clock's origin (the first use in this process).</summary>
    public static double Now => TimeProvider.System.GetElapsedTime(Origin).TotalSeconds;
}

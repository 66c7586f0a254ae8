using System.Globalization;
using System.Runtime;

namespace Autoscaler.Cli.Commands;

/// <summary>
/// What the runtime holds inside <c>serve</c>'s resident memory (GC heap, JIT'd code, loaded assemblies, threads), as
/// one line every N seconds when <see cref="Variable"/> is set to N. The resident set alone does not say whether a
/// change of GC or JIT settings, or a lazy start-up, helped: <c>bench --only memory</c> sets it and keeps the last
/// line beside its figures. Off by default: a daemon's log is for its operators.
/// </summary>
internal static class RuntimeReport
{
    public const string Variable = "LINODE_AUTOSCALER_RUNTIME_REPORT";

    /// <summary>The interval the variable asks for, or null when it is unset or not a positive whole number.</summary>
    public static TimeSpan? Interval() =>
        int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    /// <summary>Writes <see cref="Line"/> every <paramref name="interval"/> until cancelled.</summary>
    public static async Task RunAsync(TextWriter output, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await output.WriteLineAsync(Line());
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public static string Line()
    {
        var gc = GC.GetGCMemoryInfo();
        return string.Create(CultureInfo.InvariantCulture,
            $"runtime: managed heap {Mib(GC.GetTotalMemory(forceFullCollection: false))} MiB, allocated {Mib(GC.GetTotalAllocatedBytes())} MiB in all, "
            + $"at the last GC {Mib(gc.HeapSizeBytes)} MiB (committed {Mib(gc.TotalCommittedBytes)} MiB), "
            + $"collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, "
            + $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC {GCSettings.LatencyMode}, "
            + $"jit {System.Runtime.JitInfo.GetCompiledMethodCount()} methods ({System.Runtime.JitInfo.GetCompiledILBytes() / 1024} KiB IL, "
            + $"{System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms), "
            + $"{AppDomain.CurrentDomain.GetAssemblies().Length} assemblies, {ThreadPool.ThreadCount} pool threads");
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}

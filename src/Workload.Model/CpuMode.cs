namespace Workload;

/// <summary>How a request's CPU cost is paid.</summary>
public enum CpuMode
{
    /// <summary>Each request holds one of <c>vcpus</c> virtual workers for its cost as a timer wait: latency and
    /// saturation behave like a CPU-bound server while the host stays idle (many instances on one small machine).</summary>
    Virtual,

    /// <summary>Each request burns real CPU on the thread pool (real deployments).</summary>
    Real,
}

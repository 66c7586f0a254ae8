namespace Workload;

/// <summary>Where the node_* metrics come from.</summary>
internal interface IMachine : IDisposable
{
    MachineSnapshot Snapshot();
}

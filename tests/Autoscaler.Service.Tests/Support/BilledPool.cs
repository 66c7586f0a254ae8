using Autoscaler.Core.Billing;
using Autoscaler.Core.Pools;

namespace Autoscaler.Service.Tests.Support;

/// <summary>A pool that always shows the same serving members and billing terms, and refuses every change: the cost
/// figures can then be checked to the cent against members created at known times.</summary>
public sealed class BilledPool(string name, TimeProvider time, BillingTerms? terms, params (string Id, DateTimeOffset Created)[] members) : IInstancePool
{
    public string Name => name;

    public Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new PoolSnapshot(name, time.GetUtcNow(),
            members.Select(m => new PoolMember
            {
                Id = m.Id,
                Label = $"{name}-{m.Id}",
                CreatedAt = m.Created,
                State = InstanceState.Running,
                StateSince = m.Created,
                Node = new LoadBalancerNode("n" + m.Id, $"192.168.0.{m.Id}:8080", NodeStatus.Up, NodeMode.Accept, m.Created),
                Address = $"127.0.0.{m.Id}",
            }).ToArray(),
            [], terms));

    public Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken) => throw Refused();

    public Task JoinAsync(PoolMember member, CancellationToken cancellationToken) => throw Refused();

    public Task DrainAsync(PoolMember member, CancellationToken cancellationToken) => throw Refused();

    public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken) => throw Refused();

    public Task RemoveAsync(PoolMember member, CancellationToken cancellationToken) => throw Refused();

    public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken) => throw Refused();

    private InvalidOperationException Refused() => new($"pool {name} is fixed: the test expects no change");
}

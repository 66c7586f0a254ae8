using System.Globalization;
using System.Text;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Providers;

namespace Autoscaler.Core.Tests.Seams;

/// <summary>A provider that lives only in the tests: <c>provider: shelf</c> takes instances off a shelf of
/// <c>shelf_size</c>; a taken instance runs and serves at once. Everything a provider needs is here; one line registers
/// it (<see cref="SeamSchemas"/>).</summary>
internal sealed class ShelfProvider : IProviderKind
{
    public string Name => "shelf";

    public IConfigSectionValue? ReadRoot(MapReader root, bool required) => null;

    public ProviderPoolConfig? ReadPool(MapReader pool, PoolReadContext context)
    {
        var size = pool.Int("shelf_size", required: true);
        if (size is < 1)
        {
            pool.Error($"{pool.Context}shelf_size must be >= 1", pool.Raw("shelf_size"));
            return null;
        }

        return size is null ? null : new ShelfPoolConfig { ShelfSize = size.Value };
    }

    public void CheckPools(IReadOnlyList<PoolConfig> pools, ConfigReader reader)
    {
    }

    public Task<IReadOnlyList<IInstancePool>> CreatePoolsAsync(IReadOnlyList<PoolConfig> pools, ProviderContext context, CancellationToken cancellationToken)
    {
        IReadOnlyList<IInstancePool> made = pools.Select(p => (IInstancePool)new ShelfPool(p.Name, ((ShelfPoolConfig)p.Provider!).ShelfSize, context.Time)).ToArray();
        return Task.FromResult(made);
    }
}

internal sealed record ShelfPoolConfig : ProviderPoolConfig
{
    public int ShelfSize { get; init; }

    public override string Provider => "shelf";

    public override void Describe(StringBuilder text, string indent) =>
        text.Append(CultureInfo.InvariantCulture, $"{indent}shelf_size: {ShelfSize}\n");
}

/// <summary>Instances are taken off the shelf (running and UP at once) and put back.</summary>
internal sealed class ShelfPool(string name, int size, TimeProvider time) : IInstancePool
{
    private readonly List<PoolMember> _members = [];
    private int _next;

    public string Name => name;

    public int Taken => _members.Count;

    public Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new PoolSnapshot(name, time.GetUtcNow(), _members.ToArray(), []));

    public Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        if (_members.Count >= size)
        {
            throw new InvalidOperationException("the shelf is empty");
        }

        var now = time.GetUtcNow();
        var id = (++_next).ToString(CultureInfo.InvariantCulture);
        var member = new PoolMember
        {
            Id = id,
            Label = request.Label,
            CreatedAt = now,
            State = InstanceState.Running,
            StateSince = now,
            OperationId = request.OperationId,
            Node = new LoadBalancerNode("n" + id, "shelf:" + id, NodeStatus.Up, NodeMode.Accept, now),
        };
        _members.Add(member);
        return Task.FromResult(member);
    }

    public Task JoinAsync(PoolMember member, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task DrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        var i = _members.FindIndex(m => m.Id == member.Id);
        if (i >= 0 && _members[i].Node is { } node)
        {
            _members[i] = _members[i] with { Node = node with { Mode = NodeMode.Drain } };
        }

        return Task.CompletedTask;
    }

    public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        var i = _members.FindIndex(m => m.Id == member.Id);
        if (i >= 0 && _members[i].Node is { } node)
        {
            _members[i] = _members[i] with { Node = node with { Mode = NodeMode.Accept } };
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(PoolMember member, CancellationToken cancellationToken)
    {
        _members.RemoveAll(m => m.Id == member.Id);
        return Task.CompletedTask;
    }

    public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken) => Task.CompletedTask;
}

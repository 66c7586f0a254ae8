using System.Globalization;
using System.Text;
using Autoscaler.Common;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Providers;

namespace Autoscaler.Core.Providers.Virtual;

/// <summary>Timing of the <see cref="VirtualCloud"/>.</summary>
public sealed record VirtualCloudOptions
{
    /// <summary>Time in <c>provisioning</c> after the create call. Default 10 s.</summary>
    public TimeSpan ProvisionTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time in <c>booting</c> before <c>running</c>. Default 50 s.</summary>
    public TimeSpan BootTime { get; init; } = TimeSpan.FromSeconds(50);

    /// <summary>Time from a running, joined member to its node being UP (health checks passing). Default 10 s.</summary>
    public TimeSpan HealthCheckDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Address prefix of the members' nodes. Default <c>192.168.255.</c> (an identifier, never contacted).</summary>
    public string AddressPrefix { get; init; } = "192.168.255.";

    /// <summary>How the virtual cloud bills its instances, reported with each snapshot; null (the default) reports
    /// none, and the engine then scales in as if billing did not matter.</summary>
    public Autoscaler.Core.Billing.BillingTerms? Billing { get; init; }
}

/// <summary>An instance of the <see cref="VirtualCloud"/>, for inspection and fault injection.</summary>
public sealed class VirtualInstance
{
    internal VirtualInstance(string id, string label, DateTimeOffset createdAt, string? operationId)
    {
        Id = id;
        Label = label;
        CreatedAt = createdAt;
        OperationId = operationId;
    }

    /// <summary>Instance id.</summary>
    public string Id { get; }

    /// <summary>Label.</summary>
    public string Label { get; }

    /// <summary>Creation time.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Operation id given at launch.</summary>
    public string? OperationId { get; }

    /// <summary>Carries the protection tag.</summary>
    public bool Protected { get; set; }

    /// <summary>When the node was added, or null.</summary>
    public DateTimeOffset? JoinedAt { get; internal set; }

    /// <summary>Node mode.</summary>
    public NodeMode Mode { get; internal set; } = NodeMode.Accept;

    /// <summary>When the application died (node DOWN), or null.</summary>
    public DateTimeOffset? FailedAt { get; internal set; }

    /// <summary>The instance never finishes booting (goes offline instead of running).</summary>
    public bool BootFails { get; internal set; }

    /// <summary>When its node first turned UP while accepting (known once something happened after it), or null.</summary>
    public DateTimeOffset? ServingAt { get; internal set; }

    /// <summary>When its removal started (drained, or deleted without a drain), or null; a take-back clears it.</summary>
    public DateTimeOffset? ReleasedAt { get; internal set; }

    /// <summary>When it was deleted, or null while it exists.</summary>
    public DateTimeOffset? DeletedAt { get; internal set; }

    /// <summary>Up to when <see cref="ServingAt"/> has been worked out: the state has not changed since.</summary>
    internal DateTimeOffset SettledAt { get; set; }

    internal InstanceLife ToLife() => new(Id, CreatedAt, ServingAt, ReleasedAt, DeletedAt);
}

/// <summary>One instance's life as billing and a backtest's report see it.</summary>
/// <param name="Id">Instance id.</param>
/// <param name="Created">The create call (billing starts).</param>
/// <param name="Serving">Its node first UP and accepting, or null if it never served.</param>
/// <param name="Released">Its removal started (drain or delete decided), or null.</param>
/// <param name="Deleted">The delete call (billing stops), or null while it exists.</param>
public sealed record InstanceLife(string Id, DateTimeOffset Created, DateTimeOffset? Serving, DateTimeOffset? Released, DateTimeOffset? Deleted);

/// <summary>What a pool's removals did: a release starts a removal, a take-back cancels one and serves again.</summary>
public enum RemovalEventKind
{
    /// <summary>A removal started (drain, or delete without a drain).</summary>
    Release,

    /// <summary>A draining member was put back to accepting.</summary>
    TakeBack,
}

/// <summary>A release or take-back of one instance.</summary>
/// <param name="At">When.</param>
/// <param name="InstanceId">Which instance.</param>
/// <param name="Kind">Which.</param>
public readonly record struct RemovalEvent(DateTimeOffset At, string InstanceId, RemovalEventKind Kind);

/// <summary>
/// A cloud in memory, driven by a <see cref="TimeProvider"/>: instances go provisioning → booting → running after the
/// configured delays, joined nodes turn UP after the health-check delay, failures and orphan nodes can be injected.
/// Every call completes synchronously, so an engine driven by a fake clock is deterministic and fast — the unit tests
/// and <c>simulate</c> run the real engine against it.
/// </summary>
public sealed class VirtualCloud : IInstancePool
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly VirtualCloudOptions _options;
    private readonly Dictionary<string, VirtualInstance> _instances = new(StringComparer.Ordinal);
    private readonly List<OrphanNode> _orphans = [];
    private readonly List<VirtualInstance> _ever = [];
    private readonly List<RemovalEvent> _events = [];
    private int _nextId;
    private double _retiredInstanceSeconds;

    /// <summary>Creates an empty pool called <paramref name="name"/>.</summary>
    public VirtualCloud(string name, TimeProvider time, VirtualCloudOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(time);
        Name = name;
        _time = time;
        _options = options ?? new VirtualCloudOptions();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>When set, called before each launch; an exception it returns is thrown instead of creating.</summary>
    public Func<LaunchRequest, Exception?>? LaunchFault { get; set; }

    /// <summary>Create calls accepted.</summary>
    public int Launches { get; private set; }

    /// <summary>Instances deleted.</summary>
    public int Removals { get; private set; }

    /// <summary>Orphan nodes removed.</summary>
    public int OrphanRemovals { get; private set; }

    /// <summary>Instances that exist now.</summary>
    public IReadOnlyList<VirtualInstance> Instances
    {
        get
        {
            lock (_lock)
            {
                return _instances.Values.ToArray();
            }
        }
    }

    /// <summary>Orphan nodes that exist now.</summary>
    public IReadOnlyList<OrphanNode> OrphanNodes
    {
        get
        {
            lock (_lock)
            {
                return _orphans.ToArray();
            }
        }
    }

    /// <summary>Members whose node is UP and accepting now.</summary>
    public int ServingCount()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return _instances.Values.Count(i => ToMember(i, now) is { State: InstanceState.Running, Node: { Status: NodeStatus.Up, Mode: NodeMode.Accept } });
        }
    }

    /// <summary>Instance-seconds billed so far: every instance from creation to deletion (or now).</summary>
    public double InstanceSeconds()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return _retiredInstanceSeconds + _instances.Values.Sum(i => (now - i.CreatedAt).TotalSeconds);
        }
    }

    /// <summary>
    /// Every instance's life so far, deleted ones included, in creation order: created, first serving, released,
    /// deleted. What a bill is computed from.
    /// </summary>
    public IReadOnlyList<InstanceLife> Lives()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            foreach (var i in _instances.Values)
            {
                Settle(i, now);
            }

            return _ever.Select(i => i.ToLife()).ToArray();
        }
    }

    /// <summary>Every release and take-back so far, in order.</summary>
    public IReadOnlyList<RemovalEvent> RemovalEvents
    {
        get
        {
            lock (_lock)
            {
                return _events.ToArray();
            }
        }
    }

    /// <summary>Adds a member as if it had been created at <paramref name="createdAt"/> and joined right away.</summary>
    public VirtualInstance AddInstance(string label, DateTimeOffset createdAt, bool joined = true, bool isProtected = false)
    {
        lock (_lock)
        {
            var instance = new VirtualInstance(NextId(), label, createdAt, null) { Protected = isProtected, SettledAt = createdAt };
            if (joined)
            {
                instance.JoinedAt = createdAt + _options.ProvisionTime + _options.BootTime;
            }

            Add(instance);
            return instance;
        }
    }

    /// <summary>Adds a node that points at no instance.</summary>
    public OrphanNode AddOrphanNode(string address)
    {
        lock (_lock)
        {
            var node = new OrphanNode("n" + NextId(), address, null);
            _orphans.Add(node);
            return node;
        }
    }

    /// <summary>Kills the application of an instance: its node goes DOWN from now.</summary>
    public void Fail(string id)
    {
        lock (_lock)
        {
            var i = _instances[id];
            Settle(i, _time.GetUtcNow());
            i.FailedAt = _time.GetUtcNow();
        }
    }

    /// <summary>Brings a failed instance's application back (UP after the health-check delay).</summary>
    public void Recover(string id)
    {
        lock (_lock)
        {
            var i = _instances[id];
            Settle(i, _time.GetUtcNow());
            i.FailedAt = null;
            i.JoinedAt = _time.GetUtcNow();
        }
    }

    /// <summary>While true, new launches boot into <c>offline</c> instead of <c>running</c>.</summary>
    public bool FailBoots { get; set; }

    /// <inheritdoc />
    public Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var members = _instances.Values.OrderBy(i => i.CreatedAt).ThenBy(i => i.Id, StringComparer.Ordinal).Select(i => ToMember(i, now)).ToArray();
            return Task.FromResult(new PoolSnapshot(Name, now, members, _orphans.ToArray(), _options.Billing));
        }
    }

    /// <inheritdoc />
    public Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (LaunchFault?.Invoke(request) is { } fault)
        {
            return Task.FromException<PoolMember>(fault);
        }

        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var instance = new VirtualInstance(NextId(), request.Label, now, request.OperationId) { BootFails = FailBoots, SettledAt = now };
            Add(instance);
            Launches++;
            return Task.FromResult(ToMember(instance, now));
        }
    }

    /// <inheritdoc />
    public Task JoinAsync(PoolMember member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_lock)
        {
            if (_instances.TryGetValue(member.Id, out var i) && i.JoinedAt is null)
            {
                Settle(i, _time.GetUtcNow());
                i.JoinedAt = _time.GetUtcNow();
                i.Mode = NodeMode.Accept;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_lock)
        {
            if (_instances.TryGetValue(member.Id, out var i))
            {
                var now = _time.GetUtcNow();
                Settle(i, now);
                Release(i, now);
                if (i.JoinedAt is not null)
                {
                    i.Mode = NodeMode.Drain;
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>In the virtual cloud a take-back is also an event (<see cref="RemovalEventKind.TakeBack"/>), and the
    /// member's release time is cleared, since the removal it started did not happen.</remarks>
    public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        lock (_lock)
        {
            if (_instances.TryGetValue(member.Id, out var i))
            {
                var now = _time.GetUtcNow();
                Settle(i, now);
                i.Mode = NodeMode.Accept;
                if (i.ReleasedAt is not null)
                {
                    i.ReleasedAt = null;
                    _events.Add(new RemovalEvent(now, i.Id, RemovalEventKind.TakeBack));
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task RemoveAsync(PoolMember member, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_instances.Remove(member.Id, out var i))
            {
                Settle(i, now);
                Release(i, now);
                i.DeletedAt = now;
                _retiredInstanceSeconds += (now - i.CreatedAt).TotalSeconds;
                Removals++;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        lock (_lock)
        {
            if (_orphans.RemoveAll(o => o.Id == node.Id) > 0)
            {
                OrphanRemovals++;
            }
        }

        return Task.CompletedTask;
    }

    private void Add(VirtualInstance instance)
    {
        _instances[instance.Id] = instance;
        _ever.Add(instance);
    }

    private void Release(VirtualInstance i, DateTimeOffset now)
    {
        if (i.ReleasedAt is null)
        {
            i.ReleasedAt = now;
            _events.Add(new RemovalEvent(now, i.Id, RemovalEventKind.Release));
        }
    }

    /// <summary>
    /// Works out whether the instance first served between the last change of its state and <paramref name="now"/>
    /// (called before every change, so the state held throughout): its node is UP a health-check delay after the later
    /// of running and joined, if it is accepting, its boot did not fail and its application has not died.
    /// </summary>
    private void Settle(VirtualInstance i, DateTimeOffset now)
    {
        if (i.ServingAt is null && i.JoinedAt is { } joined && !i.BootFails && i.FailedAt is null && i.Mode == NodeMode.Accept)
        {
            var running = i.CreatedAt + _options.ProvisionTime + _options.BootTime;
            var up = (joined > running ? joined : running) + _options.HealthCheckDelay;
            var from = up > i.SettledAt ? up : i.SettledAt;
            if (from <= now)
            {
                i.ServingAt = from;
            }
        }

        if (now > i.SettledAt)
        {
            i.SettledAt = now;
        }
    }

    private PoolMember ToMember(VirtualInstance i, DateTimeOffset now)
    {
        var booting = i.CreatedAt + _options.ProvisionTime;
        var running = booting + _options.BootTime;
        var (state, since) = now < booting ? (InstanceState.Provisioning, i.CreatedAt)
            : now < running ? (InstanceState.Booting, booting)
            : i.BootFails ? (InstanceState.Offline, running)
            : (InstanceState.Running, running);

        LoadBalancerNode? node = null;
        if (i.JoinedAt is { } joined)
        {
            var checkFrom = joined > running ? joined : running;
            var up = checkFrom + _options.HealthCheckDelay;
            var (status, statusSince) = state != InstanceState.Running ? (NodeStatus.Down, checkFrom)
                : i.FailedAt is { } failed ? (NodeStatus.Down, failed)
                : now >= up ? (NodeStatus.Up, up)
                : (NodeStatus.Unknown, joined);
            node = new LoadBalancerNode("n" + i.Id, Address(i), status, i.Mode, statusSince);
        }

        return new PoolMember
        {
            Id = i.Id,
            Label = i.Label,
            CreatedAt = i.CreatedAt,
            State = state,
            StateSince = since,
            Node = node,
            Protected = i.Protected,
            OperationId = i.OperationId,
            Address = Address(i),
        };
    }

    private string Address(VirtualInstance i) => _options.AddressPrefix + (int.Parse(i.Id, CultureInfo.InvariantCulture) % 250 + 1).ToString(CultureInfo.InvariantCulture) + ":80";

    private string NextId()
    {
        return (++_nextId).ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>A pool on the <see cref="VirtualCloud"/> (<c>provider: virtual</c>), with its timing.</summary>
public sealed record VirtualPoolConfig : ProviderPoolConfig
{
    /// <summary>The cloud's timing.</summary>
    public VirtualCloudOptions Cloud { get; init; } = new();

    /// <inheritdoc />
    public override string Provider => VirtualCloudProvider.ProviderName;

    /// <inheritdoc />
    public override void Describe(StringBuilder text, string indent)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append(CultureInfo.InvariantCulture,
            $"{indent}provision_time: {Durations.Format(Cloud.ProvisionTime)}\n{indent}boot_time: {Durations.Format(Cloud.BootTime)}\n{indent}health_check_delay: {Durations.Format(Cloud.HealthCheckDelay)}\n");
    }
}

/// <summary>
/// The simulator's cloud as a provider: <c>provider: virtual</c> gives a pool in memory, with optional
/// <c>provision_time</c>, <c>boot_time</c> and <c>health_check_delay</c> beside the policy keys. Nothing is created
/// anywhere; it lets the whole service (webhook, engine, dashboard) run without a cloud.
/// </summary>
public sealed class VirtualCloudProvider : IProviderKind
{
    /// <summary>The name pools give in <c>provider:</c>.</summary>
    public const string ProviderName = "virtual";

    /// <inheritdoc />
    public string Name => ProviderName;

    /// <inheritdoc />
    public IConfigSectionValue? ReadRoot(MapReader root, bool required) => null;

    /// <inheritdoc />
    public ProviderPoolConfig? ReadPool(MapReader pool, PoolReadContext context)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var d = new VirtualCloudOptions();
        var provision = pool.Duration("provision_time");
        var boot = pool.Duration("boot_time");
        var health = pool.Duration("health_check_delay");
        return new VirtualPoolConfig
        {
            Cloud = d with { ProvisionTime = provision ?? d.ProvisionTime, BootTime = boot ?? d.BootTime, HealthCheckDelay = health ?? d.HealthCheckDelay },
        };
    }

    /// <inheritdoc />
    public void CheckPools(IReadOnlyList<PoolConfig> pools, ConfigReader reader)
    {
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<IInstancePool>> CreatePoolsAsync(IReadOnlyList<PoolConfig> pools, ProviderContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(context);
        IReadOnlyList<IInstancePool> built = pools
            .Select(p => (IInstancePool)new VirtualCloud(p.Name, context.Time, (p.Provider as VirtualPoolConfig)?.Cloud))
            .ToArray();
        return Task.FromResult(built);
    }
}

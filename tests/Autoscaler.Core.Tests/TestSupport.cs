using Autoscaler.Core.Providers.Virtual;
using Autoscaler.Core;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;
using Autoscaler.Simulation;
using Autoscaler.Core.Signals.Alerts;
using Autoscaler.Core.Signals.TargetTracking;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Core.Tests;

/// <summary>Builders shared by the tests.</summary>
internal static class Pools
{
    public static readonly DateTimeOffset Epoch = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero); // a Monday

    public static PoolConfig Web(int min = 1, int max = 10, params SignalConfig[] signals) => new()
    {
        Name = "web",
        Min = min,
        Max = max,
        Health = new HealthConfig { Grace = TimeSpan.FromSeconds(60), ReplaceAfter = TimeSpan.FromSeconds(120) },
        ScaleUp = new ScaleUpConfig { Step = 1, Cooldown = TimeSpan.FromSeconds(60) },
        ScaleDown = new ScaleDownConfig { Step = 1, Cooldown = TimeSpan.FromSeconds(300), Drain = TimeSpan.FromSeconds(30) },
        Signals = signals.Select((s, i) => s with { Index = i }).ToArray(),
    };

    public static AlertSignalConfig Up(string alert = "PoolCpuHigh") => new() { AlertName = alert, Action = ScaleDirection.Up };

    public static AlertSignalConfig Down(string alert = "PoolCpuLow") => new() { AlertName = alert, Action = ScaleDirection.Down };

    public static TargetTrackingConfig Tracking(double target = 60, double tolerance = 0.1, int downWindowSeconds = 300, int upWindowSeconds = 0) => new()
    {
        Prometheus = new Uri("http://127.0.0.1:9090"),
        Query = "pool_cpu",
        Target = target,
        Tolerance = tolerance,
        ScaleDownStabilization = TimeSpan.FromSeconds(downWindowSeconds),
        ScaleUpStabilization = TimeSpan.FromSeconds(upWindowSeconds),
    };

    public static AlertRecord Firing(string alert, DateTimeOffset startsAt, string fingerprint = "", string? pool = null)
    {
        var labels = new Dictionary<string, string> { ["alertname"] = alert };
        if (pool is not null)
        {
            labels["pool"] = pool;
        }

        return new AlertRecord(fingerprint.Length > 0 ? fingerprint : "fp-" + alert, AlertStatus.Firing, labels, new Dictionary<string, string>(), startsAt, null, "autoscaler");
    }

    public static AlertRecord Resolved(string alert, DateTimeOffset startsAt, DateTimeOffset endsAt, string fingerprint = "") =>
        Firing(alert, startsAt, fingerprint) with { Status = AlertStatus.Resolved, EndsAt = endsAt };
}

/// <summary>A metric source whose value the test sets.</summary>
internal sealed class StubMetrics : IMetricSource
{
    public MetricReading Reading { get; set; } = MetricReading.Missing("not set");

    public Exception? Throw { get; set; }

    public int Reads { get; private set; }

    public ValueTask<MetricReading> ReadAsync(MetricQuery query, CancellationToken cancellationToken)
    {
        Reads++;
        return Throw is { } ex ? ValueTask.FromException<MetricReading>(ex) : ValueTask.FromResult(Reading);
    }
}

/// <summary>
/// A hand-written pool whose members the test sets directly, recording every call and letting callbacks intervene
/// (like cluster-autoscaler's TestCloudProvider).
/// </summary>
internal sealed class FakeInstancePool : IInstancePool
{
    private readonly TimeProvider _time;
    private int _next = 100;

    public FakeInstancePool(TimeProvider time, string name = "web")
    {
        _time = time;
        Name = name;
    }

    public string Name { get; }

    /// <summary>The load balancer's apply delay the pool reports.</summary>
    public TimeSpan NodeApplyDelay { get; set; }

    public List<PoolMember> Members { get; } = [];

    public List<OrphanNode> Orphans { get; } = [];

    public List<string> Calls { get; } = [];

    /// <summary>Runs inside LaunchAsync before the member exists; throw to fail the create.</summary>
    public Action<LaunchRequest>? BeforeLaunch { get; set; }

    /// <summary>Runs inside LaunchAsync after the member exists; throw to fail after the create.</summary>
    public Action<PoolMember>? AfterLaunch { get; set; }

    public Action<PoolMember>? OnDrain { get; set; }

    public Action<PoolMember>? OnRemove { get; set; }

    public Exception? SnapshotFailure { get; set; }

    /// <summary>What DiagnoseAsync answers for a member (null: the default, no diagnosis); throw to fail it.</summary>
    public Func<PoolMember, string?>? Diagnose { get; set; }

    /// <summary>Labels DiagnoseAsync was asked about, in order (kept out of <see cref="Calls"/>: it changes nothing).</summary>
    public List<string> Diagnosed { get; } = [];

    public Task<string?> DiagnoseAsync(PoolMember member, CancellationToken cancellationToken)
    {
        Diagnosed.Add(member.Label);
        return Task.FromResult(Diagnose?.Invoke(member));
    }

    /// <summary>What AllowLaunches grants (null: every launch asked for); the asks are kept in <see cref="Asked"/>.</summary>
    public Func<int, LaunchAllowance>? Allow { get; set; }

    /// <summary>The counts AllowLaunches was asked for, in order.</summary>
    public List<int> Asked { get; } = [];

    public LaunchAllowance AllowLaunches(int wanted)
    {
        Asked.Add(wanted);
        return Allow?.Invoke(wanted) ?? new LaunchAllowance(wanted, null);
    }

    public IEnumerable<string> Mutations => Calls.Where(c => !c.StartsWith("snapshot", StringComparison.Ordinal));

    public PoolMember Add(string label, DateTimeOffset createdAt, NodeStatus? node = NodeStatus.Up, bool isProtected = false, InstanceState state = InstanceState.Running)
    {
        var id = (_next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var member = new PoolMember
        {
            Id = id,
            Label = label,
            CreatedAt = createdAt,
            State = state,
            Node = node is { } s ? new LoadBalancerNode("n" + id, "192.168.1.1:80", s, NodeMode.Accept, createdAt) : null,
            Protected = isProtected,
        };
        Members.Add(member);
        return member;
    }

    public void Set(string id, Func<PoolMember, PoolMember> change)
    {
        var i = Members.FindIndex(m => m.Id == id);
        Members[i] = change(Members[i]);
    }

    public void ServeAll(DateTimeOffset since)
    {
        for (var i = 0; i < Members.Count; i++)
        {
            var m = Members[i];
            if (m.Node is null || m.Node.Mode == NodeMode.Accept)
            {
                Members[i] = m with { State = InstanceState.Running, Node = new LoadBalancerNode("n" + m.Id, "192.168.1.1:80", NodeStatus.Up, NodeMode.Accept, since) };
            }
        }
    }

    public Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        Calls.Add("snapshot");
        if (SnapshotFailure is { } ex)
        {
            return Task.FromException<PoolSnapshot>(ex);
        }

        return Task.FromResult(new PoolSnapshot(Name, _time.GetUtcNow(), Members.ToArray(), Orphans.ToArray()));
    }

    public Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        Calls.Add("launch " + request.Label);
        BeforeLaunch?.Invoke(request);
        var id = (_next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var member = new PoolMember { Id = id, Label = request.Label, CreatedAt = _time.GetUtcNow(), State = InstanceState.Provisioning, OperationId = request.OperationId };
        Members.Add(member);
        AfterLaunch?.Invoke(member);
        return Task.FromResult(member);
    }

    public Task JoinAsync(PoolMember member, CancellationToken cancellationToken)
    {
        Calls.Add("join " + member.Label);
        Set(member.Id, m => m with { Node = new LoadBalancerNode("n" + m.Id, "192.168.1.1:80", NodeStatus.Unknown, NodeMode.Accept, _time.GetUtcNow()) });
        return Task.CompletedTask;
    }

    public Task DrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        Calls.Add("drain " + member.Label);
        OnDrain?.Invoke(member);
        Set(member.Id, m => m with { Node = m.Node! with { Mode = NodeMode.Drain } });
        return Task.CompletedTask;
    }

    public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        Calls.Add("undrain " + member.Label);
        Set(member.Id, m => m.Node is null ? m : m with { Node = m.Node with { Mode = NodeMode.Accept } });
        return Task.CompletedTask;
    }

    public Task RemoveAsync(PoolMember member, CancellationToken cancellationToken)
    {
        Calls.Add("remove " + member.Label);
        OnRemove?.Invoke(member);
        Members.RemoveAll(m => m.Id == member.Id);
        return Task.CompletedTask;
    }

    public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken)
    {
        Calls.Add("orphan " + node.Id);
        Orphans.RemoveAll(o => o.Id == node.Id);
        return Task.CompletedTask;
    }
}

/// <summary>An engine over one pool with a fake clock and in-memory journal and log.</summary>
internal sealed class Harness
{
    public Harness(PoolConfig config, IInstancePool? pool = null, bool dryRun = false, VirtualCloudOptions? cloud = null,
        IOperationJournal? journal = null, FakeTimeProvider? time = null, AlertStateStore? alerts = null, StubMetrics? metrics = null)
    {
        Time = time ?? new FakeTimeProvider(Pools.Epoch);
        Config = config;
        Cloud = pool as VirtualCloud;
        Pool = pool ?? (Cloud = new VirtualCloud(config.Name, Time, cloud ?? new VirtualCloudOptions()));
        Journal = journal ?? new InMemoryOperationJournal();
        Alerts = alerts ?? new AlertStateStore(Time);
        Metrics = metrics ?? new StubMetrics();
        Engine = new ScalingEngine([new ScalingPool(config, Pool)], new EngineServices
        {
            Time = Time,
            Journal = Journal,
            DecisionLog = Log,
            Alerts = Alerts,
            Metrics = Metrics,
            DryRun = dryRun,
            Random = new Random(7),
        });
    }

    public FakeTimeProvider Time { get; }

    public PoolConfig Config { get; }

    public IInstancePool Pool { get; }

    public VirtualCloud? Cloud { get; }

    public IOperationJournal Journal { get; }

    public InMemoryDecisionLog Log { get; } = new();

    public AlertStateStore Alerts { get; }

    public StubMetrics Metrics { get; }

    public ScalingEngine Engine { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    public Task<Decision> CycleAsync() => Engine.RunPoolCycleAsync(Config.Name, CancellationToken.None);

    /// <summary>Advances the clock in steps of <paramref name="step"/>, running a cycle after each; returns the decisions.</summary>
    public async Task<List<Decision>> RunAsync(TimeSpan duration, TimeSpan? step = null)
    {
        var s = step ?? TimeSpan.FromSeconds(10);
        var decisions = new List<Decision>();
        for (var t = TimeSpan.Zero; t < duration; t += s)
        {
            Time.Advance(s);
            decisions.Add(await CycleAsync());
        }

        return decisions;
    }

    /// <summary>Runs cycles every 10 s until <paramref name="condition"/> holds (at most <paramref name="limit"/>).</summary>
    public async Task<TimeSpan> RunUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var start = Now;
        while (!condition())
        {
            Assert.True(Now - start < limit, $"condition not reached within {limit}");
            Time.Advance(TimeSpan.FromSeconds(10));
            await CycleAsync();
        }

        return Now - start;
    }

    public int Serving => Cloud!.ServingCount();

    public int Desired => Engine.GetStatus(Config.Name).Desired ?? -1;

    public void Fire(string alert) => Alerts.Record(Pools.Firing(alert, Now));

    public void Resolve(string alert, DateTimeOffset startedAt) => Alerts.Record(Pools.Resolved(alert, startedAt, Now));
}

using Autoscaler.Core.Providers.Virtual;
using System.Diagnostics;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;
using Autoscaler.Simulation;
using Autoscaler.Core.Signals.Alerts;
using Autoscaler.Core.Signals.TargetTracking;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Simulation.Tests;

public sealed class VirtualCloudTests
{
    private readonly FakeTimeProvider _time = new(Pools.Epoch);

    [Fact]
    public async Task Launch_GoesThroughProvisioningBootingAndServesAfterJoinAndHealthCheck()
    {
        var cloud = new VirtualCloud("web", _time, new VirtualCloudOptions { ProvisionTime = TimeSpan.FromSeconds(10), BootTime = TimeSpan.FromSeconds(50), HealthCheckDelay = TimeSpan.FromSeconds(10) });
        var member = await cloud.LaunchAsync(new LaunchRequest("web", "web-x", "op-1", "test"), CancellationToken.None);

        async Task<PoolMember> At(int seconds)
        {
            _time.SetUtcNow(Pools.Epoch + TimeSpan.FromSeconds(seconds));
            return (await cloud.SnapshotAsync(CancellationToken.None)).Members.Single();
        }

        Assert.Equal(InstanceState.Provisioning, (await At(9)).State);
        Assert.Equal(InstanceState.Booting, (await At(10)).State);
        var running = await At(60);
        Assert.Equal(InstanceState.Running, running.State);
        Assert.Null(running.Node);

        await cloud.JoinAsync(running, CancellationToken.None);
        Assert.Equal(NodeStatus.Unknown, (await At(69)).Node!.Status);
        var serving = await At(70);
        Assert.Equal((NodeStatus.Up, Pools.Epoch + TimeSpan.FromSeconds(70)), (serving.Node!.Status, serving.Node.StatusSince));
        Assert.Equal(1, cloud.ServingCount());
        Assert.Equal("op-1", serving.OperationId);
        Assert.Equal(member.Id, serving.Id);
    }

    [Fact]
    public async Task Lives_LaunchServeDrainTakeBackRemove_RecordsEachMomentAndEvent()
    {
        var cloud = new VirtualCloud("web", _time, new VirtualCloudOptions { ProvisionTime = TimeSpan.FromSeconds(10), BootTime = TimeSpan.FromSeconds(50), HealthCheckDelay = TimeSpan.FromSeconds(10) });
        var member = await cloud.LaunchAsync(new LaunchRequest("web", "web-x", "op-1", "test"), CancellationToken.None);
        DateTimeOffset At(int seconds) => Pools.Epoch + TimeSpan.FromSeconds(seconds);

        _time.SetUtcNow(At(65));
        await cloud.JoinAsync(member, CancellationToken.None); // running since 60: UP at 75
        _time.SetUtcNow(At(100));
        Assert.Equal(new InstanceLife(member.Id, At(0), At(75), null, null), cloud.Lives().Single());
        await cloud.DrainAsync(member, CancellationToken.None);
        _time.SetUtcNow(At(110));
        await cloud.UndrainAsync(member, CancellationToken.None);
        Assert.Equal(1, cloud.ServingCount());
        _time.SetUtcNow(At(3000));
        await cloud.DrainAsync(member, CancellationToken.None);
        _time.SetUtcNow(At(3030));
        await cloud.RemoveAsync(member, CancellationToken.None);

        Assert.Equal(new InstanceLife(member.Id, At(0), At(75), At(3000), At(3030)), cloud.Lives().Single());
        Assert.Equal(
            [
                new RemovalEvent(At(100), member.Id, RemovalEventKind.Release),
                new RemovalEvent(At(110), member.Id, RemovalEventKind.TakeBack),
                new RemovalEvent(At(3000), member.Id, RemovalEventKind.Release),
            ],
            cloud.RemovalEvents);
    }

    [Fact]
    public async Task Lives_DrainedBeforeItsNodeWasUp_NeverServedAndServesFromTheTakeBack()
    {
        var cloud = new VirtualCloud("web", _time, new VirtualCloudOptions { ProvisionTime = TimeSpan.FromSeconds(10), BootTime = TimeSpan.FromSeconds(50), HealthCheckDelay = TimeSpan.FromSeconds(10) });
        var member = await cloud.LaunchAsync(new LaunchRequest("web", "web-x", "op-1", "test"), CancellationToken.None);
        var never = await cloud.LaunchAsync(new LaunchRequest("web", "web-y", "op-2", "test"), CancellationToken.None);
        await cloud.JoinAsync(member, CancellationToken.None);

        _time.SetUtcNow(Pools.Epoch + TimeSpan.FromSeconds(65));
        await cloud.DrainAsync(member, CancellationToken.None); // UP would have been at 70
        await cloud.RemoveAsync(never, CancellationToken.None); // never joined: released and deleted at once
        _time.SetUtcNow(Pools.Epoch + TimeSpan.FromSeconds(200));
        Assert.Null(cloud.Lives()[0].Serving);
        await cloud.UndrainAsync(member, CancellationToken.None);
        _time.SetUtcNow(Pools.Epoch + TimeSpan.FromSeconds(201));

        var lives = cloud.Lives();
        Assert.Equal(Pools.Epoch + TimeSpan.FromSeconds(200), lives[0].Serving);
        Assert.Null(lives[0].Released);
        var at65 = Pools.Epoch + TimeSpan.FromSeconds(65);
        Assert.Equal(new InstanceLife(never.Id, Pools.Epoch, null, at65, at65), lives[1]);
    }

    [Fact]
    public async Task Fail_NodeGoesDownAndRemoveBillsTheLifetime()
    {
        var cloud = new VirtualCloud("web", _time);
        var instance = cloud.AddInstance("web-a", Pools.Epoch - TimeSpan.FromHours(1));

        cloud.Fail(instance.Id);
        var member = (await cloud.SnapshotAsync(CancellationToken.None)).Members.Single();
        await cloud.RemoveAsync(member, CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(NodeStatus.Down, member.Node!.Status);
        Assert.Empty(cloud.Instances);
        Assert.Equal(3600, cloud.InstanceSeconds());
    }

    [Fact]
    public async Task Engine_InstanceProcessDies_IsReplacedAfterReplaceAfter()
    {
        var h = new Harness(Pools.Web(min: 3, max: 5));
        await h.CycleAsync();
        await h.RunUntilAsync(() => h.Serving == 3, TimeSpan.FromMinutes(5));
        var victim = h.Cloud!.Instances[0];
        h.Cloud.Fail(victim.Id);
        var failedAt = h.Now;

        await h.RunUntilAsync(() => h.Cloud.Instances.All(i => i.Id != victim.Id), TimeSpan.FromMinutes(10));

        var launch = h.Log.Operations.Last(e => e.Kind == OperationKind.Launch && e.Type == OperationEventType.Started);
        var removal = h.Log.Operations.Last(e => e.Kind == OperationKind.Remove && e.Type == OperationEventType.Succeeded);
        Assert.InRange(launch.At, failedAt + TimeSpan.FromSeconds(120), failedAt + TimeSpan.FromSeconds(130));
        Assert.True(removal.At > launch.At);
        Assert.Equal(3, h.Serving);
        Assert.Equal(3, h.Cloud.Instances.Count);
    }

    [Fact]
    public async Task Engine_OrphanNode_IsRemoved()
    {
        var h = new Harness(Pools.Web(min: 1, max: 2));
        h.Cloud!.AddOrphanNode("192.168.200.1:8080");

        await h.CycleAsync();

        Assert.Empty(h.Cloud.OrphanNodes);
        Assert.Equal(1, h.Engine.GetStatus("web").Counters.OrphansRemoved);
    }

    [Fact]
    public async Task Engine_NeverTouchesInstancesOutsideThePool()
    {
        // The provider only reports tagged members; another pool's cloud is invisible to this engine.
        var other = new VirtualCloud("other", _time);
        other.AddInstance("other-a", Pools.Epoch - TimeSpan.FromHours(1));
        var h = new Harness(Pools.Web(min: 1, max: 2, Pools.Down()), time: _time);
        h.Fire("PoolCpuLow");

        await h.RunAsync(TimeSpan.FromMinutes(20));

        Assert.Single(other.Instances);
        Assert.Equal(0, other.Removals);
    }

    [Fact]
    public async Task Engine_RestartInTheMiddleOfAScaleUp_ConvergesWithoutLeak()
    {
        using var pool = new CrashingPool(new VirtualCloud("web", _time));
        var journal = new InMemoryOperationJournal();
        var h = new Harness(Pools.Web(min: 1, max: 10), pool, journal: journal, time: _time);
        await h.CycleAsync();
        await h.RunUntilAsync(() => pool.Cloud.ServingCount() == 1, TimeSpan.FromMinutes(5));
        await h.Engine.SetDesiredAsync("web", 5, CancellationToken.None);

        pool.CrashOnLaunch = 3; // the third create of the pass crashes the process right after the instance exists
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Engine.RunPoolCycleAsync("web", pool.Token));
        Assert.NotEmpty(journal.Open);

        var restarted = new Harness(h.Config, pool.Reset(), journal: journal, time: _time);
        await restarted.RunUntilAsync(() => pool.Cloud.ServingCount() == 5, TimeSpan.FromMinutes(5));
        await restarted.RunAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(5, pool.Cloud.Instances.Count);
        Assert.Equal(5, restarted.Desired);
        Assert.Empty(journal.Open);
        Assert.Equal(5, pool.Cloud.Launches);
    }

    [Fact]
    public async Task Engine_RestartInTheMiddleOfAScaleDown_ConvergesWithoutLeak()
    {
        using var pool = new CrashingPool(new VirtualCloud("web", _time));
        var journal = new InMemoryOperationJournal();
        var h = new Harness(Pools.Web(min: 1, max: 10) with { Desired = 4 }, pool, journal: journal, time: _time);
        await h.CycleAsync();
        await h.RunUntilAsync(() => pool.Cloud.ServingCount() == 4, TimeSpan.FromMinutes(5));
        await h.Engine.SetDesiredAsync("web", 2, CancellationToken.None);
        await h.RunAsync(TimeSpan.FromSeconds(10)); // both victims now draining

        pool.CrashOnRemove = 2; // the first removal completes, the process dies in the second
        _time.Advance(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Engine.RunPoolCycleAsync("web", pool.Token));
        Assert.Equal(3, pool.Cloud.Instances.Count);
        Assert.Equal(OperationPhase.Removing, Assert.Single(journal.Open).Phase);

        var restarted = new Harness(h.Config, pool.Reset(), journal: journal, time: _time);
        await restarted.RunAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(2, pool.Cloud.Instances.Count);
        Assert.Equal(2, pool.Cloud.ServingCount());
        Assert.Equal(2, restarted.Desired);
        Assert.Empty(journal.Open);
        Assert.Equal(4, pool.Cloud.Launches);
    }

    [Fact]
    public async Task Engine_TargetTrackingOverADailyCycle_TracksLoadWithoutFlappingOrLeaks()
    {
        // Load in requests/s follows a day curve; each instance serves 100 req/s at 100 % CPU; target 60 %.
        var time = new FakeTimeProvider(Pools.Epoch);
        var cloud = new VirtualCloud("web", time);
        var config = Pools.Web(min: 2, max: 30, Pools.Tracking(60));
        var metrics = new LoadModel(cloud, perInstance: 100);
        var engine = new ScalingEngine([new ScalingPool(config, cloud)], new EngineServices
        {
            Time = time,
            Journal = new InMemoryOperationJournal(),
            DecisionLog = new InMemoryDecisionLog(capacity: 10),
            Metrics = metrics,
            Random = new Random(1),
        });

        var overloadedMinutes = 0;
        var minutes = 2 * 24 * 60;
        var stopwatch = Stopwatch.StartNew();
        for (var minute = 0; minute < minutes; minute++)
        {
            var hours = minute / 60.0;
            metrics.Load = 600 + (500 * Math.Sin(hours / 24 * 2 * Math.PI)); // 100 … 1100 req/s
            await engine.RunCycleAsync(CancellationToken.None);
            if (metrics.Load > 0.9 * cloud.ServingCount() * 100)
            {
                overloadedMinutes++;
            }

            time.Advance(TimeSpan.FromMinutes(1));
        }

        stopwatch.Stop();
        var status = engine.GetStatus("web");
        Assert.InRange(status.Desired!.Value, 2, 30);
        Assert.True(overloadedMinutes < minutes / 100, $"{overloadedMinutes} overloaded minutes");
        Assert.Equal(cloud.Instances.Count, status.Desired);
        Assert.InRange(cloud.InstanceSeconds() / 3600 / 48, 7, 14); // mean need at 60 %: 10 instances
        Assert.True(status.Counters.ScaleUps + status.Counters.ScaleDowns < minutes / 10, $"{status.Counters.ScaleUps} ups, {status.Counters.ScaleDowns} downs");
    }

    /// <summary>CPU % of the pool given a load and the serving capacity, as Prometheus would report it.</summary>
    private sealed class LoadModel(VirtualCloud cloud, double perInstance) : IMetricSource
    {
        public double Load { get; set; }

        public ValueTask<MetricReading> ReadAsync(MetricQuery query, CancellationToken cancellationToken)
        {
            var serving = cloud.ServingCount();
            return ValueTask.FromResult(serving == 0
                ? MetricReading.Missing("no target up")
                : MetricReading.Of(Math.Min(100, Load / (serving * perInstance) * 100)));
        }
    }

    /// <summary>Wraps a virtual cloud and simulates a process crash (cancellation) at a chosen call.</summary>
    private sealed class CrashingPool(VirtualCloud cloud) : IInstancePool, IDisposable
    {
        private CancellationTokenSource _cts = new();

        public VirtualCloud Cloud { get; } = cloud;

        public string Name => Cloud.Name;

        public CancellationToken Token => _cts.Token;

        public int CrashOnLaunch { get; set; }

        public int CrashOnRemove { get; set; }

        public void Dispose() => _cts.Dispose();

        public CrashingPool Reset()
        {
            _cts.Dispose();
            _cts = new CancellationTokenSource();
            CrashOnLaunch = 0;
            CrashOnRemove = 0;
            return this;
        }

        public Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken) => Cloud.SnapshotAsync(cancellationToken);

        public async Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
        {
            var member = await Cloud.LaunchAsync(request, cancellationToken);
            if (CrashOnLaunch > 0 && --CrashOnLaunch == 0)
            {
                await _cts.CancelAsync();
                throw new OperationCanceledException(_cts.Token);
            }

            return member;
        }

        public Task JoinAsync(PoolMember member, CancellationToken cancellationToken) => Cloud.JoinAsync(member, cancellationToken);

        public Task DrainAsync(PoolMember member, CancellationToken cancellationToken) => Cloud.DrainAsync(member, cancellationToken);

        public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken) => Cloud.UndrainAsync(member, cancellationToken);

        public async Task RemoveAsync(PoolMember member, CancellationToken cancellationToken)
        {
            if (CrashOnRemove > 0 && --CrashOnRemove == 0)
            {
                await _cts.CancelAsync();
                throw new OperationCanceledException(_cts.Token);
            }

            await Cloud.RemoveAsync(member, cancellationToken);
        }

        public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken) => Cloud.RemoveOrphanNodeAsync(node, cancellationToken);
    }
}

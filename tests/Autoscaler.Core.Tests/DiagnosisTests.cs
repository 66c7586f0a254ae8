using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Core.Tests;

/// <summary>A member whose node stays DOWN past grace: the provider is asked why once, and the answer reaches the
/// member's view (status) and the replacement's reason (decision log).</summary>
public sealed class DiagnosisTests
{
    private const string Why = "web-sick DOWN behind the NodeBalancer: firewall 'app-fw' (id 12) drops TCP 8080 from the NodeBalancer range 192.168.255.0/24; allow it";
    private readonly FakeTimeProvider _time = new(Pools.Epoch);
    private readonly InMemoryOperationJournal _journal = new();
    private readonly InMemoryDecisionLog _log = new();
    private readonly FakeInstancePool _pool;

    public DiagnosisTests() => _pool = new FakeInstancePool(_time) { Diagnose = _ => Why };

    private DateTimeOffset Now => _time.GetUtcNow();

    private Reconciler Create() => new(Pools.Web(), _pool, _journal, _log, _time, new Random(3));

    private async Task<PoolView> PassAsync(Reconciler r, int desired)
    {
        var view = await r.ObserveAsync(await _pool.SnapshotAsync(CancellationToken.None), CancellationToken.None);
        await r.ReconcileAsync(view, desired, 1, CancellationToken.None);
        return view;
    }

    /// <summary>Two serving members, then one's node DOWN from now (observed once): not yet due for replacement.</summary>
    private async Task<PoolMember> SickAsync(Reconciler r)
    {
        _pool.Add("web-ok", Now - TimeSpan.FromHours(1));
        var sick = _pool.Add("web-sick", Now - TimeSpan.FromHours(1));
        await PassAsync(r, desired: 2);
        _pool.Set(sick.Id, m => m with { Node = m.Node! with { Status = NodeStatus.Down, StatusSince = Now } });
        await PassAsync(r, desired: 2);
        return sick;
    }

    [Fact]
    public async Task Observe_NodeDownPastGrace_AsksOnceAndReportsInViewAndReplaceReason()
    {
        _pool.Add("web-ok", Now - TimeSpan.FromHours(1));
        var sick = _pool.Add("web-sick", Now - TimeSpan.FromHours(1));
        var r = Create();
        await PassAsync(r, desired: 2);
        _pool.Set(sick.Id, m => m with { Node = m.Node! with { Status = NodeStatus.Down, StatusSince = Now } });

        var view = await PassAsync(r, desired: 2);
        for (var i = 0; i < 12; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            view = await PassAsync(r, desired: 2);
        }

        Assert.Equal(["web-sick"], _pool.Diagnosed);
        Assert.Equal(Why, view.Find(sick.Id)!.Diagnosis);
        Assert.Null(view.Find(_pool.Members[0].Id)!.Diagnosis);
        var replacement = _pool.Members.Single(m => m.Id != sick.Id && m.Label != "web-ok");
        _pool.Set(replacement.Id, m => m with { State = InstanceState.Running, Node = new LoadBalancerNode("n", "192.168.1.2:80", NodeStatus.Up, NodeMode.Accept, Now) });
        await PassAsync(r, desired: 2);
        Assert.Contains(_log.Operations, e => e.Detail.StartsWith("replace: not serving since", StringComparison.Ordinal) && e.Detail.EndsWith("; " + Why, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Observe_HealthyOrWithinGrace_NeverAsks()
    {
        _pool.Add("web-ok", Now - TimeSpan.FromHours(1));
        _pool.Add("web-young", Now, NodeStatus.Down);
        var r = Create();

        // Grace is 60 s: within it the young member is not judged, and nothing is asked.
        for (var i = 0; i < 6; i++)
        {
            await PassAsync(r, desired: 2);
            _time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Empty(_pool.Diagnosed);
    }

    [Fact]
    public async Task Observe_NodeRecoversThenDownAgain_AsksAgain()
    {
        var r = Create();
        var sick = await SickAsync(r);
        _pool.Set(sick.Id, m => m with { Node = m.Node! with { Status = NodeStatus.Up, StatusSince = Now } });
        await PassAsync(r, desired: 2);
        _pool.Set(sick.Id, m => m with { Node = m.Node! with { Status = NodeStatus.Down, StatusSince = Now } });
        await PassAsync(r, desired: 2);

        Assert.Equal(["web-sick", "web-sick"], _pool.Diagnosed);
    }

    [Fact]
    public async Task Observe_DiagnosisFails_RetriedAfterBackOffNotEveryPass()
    {
        _pool.Diagnose = _ => throw new InvalidOperationException("api down");
        var r = Create();
        var sick = await SickAsync(r);
        _time.Advance(TimeSpan.FromSeconds(5));
        var view = await PassAsync(r, desired: 2);
        Assert.Single(_pool.Diagnosed);
        Assert.Null(view.Find(sick.Id)!.Diagnosis);

        _pool.Diagnose = _ => Why;
        _time.Advance(TimeSpan.FromSeconds(6));
        view = await PassAsync(r, desired: 2);
        Assert.Equal(2, _pool.Diagnosed.Count);
        Assert.Equal(Why, view.Find(sick.Id)!.Diagnosis);
    }
}

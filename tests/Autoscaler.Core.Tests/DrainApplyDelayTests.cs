using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Core.Tests;

/// <summary>Linode applies NodeBalancer node changes within 60 s of the API's answer: a drain must outlast that.</summary>
public sealed class DrainApplyDelayTests
{
    private readonly FakeTimeProvider _time = new(Pools.Epoch);
    private readonly InMemoryOperationJournal _journal = new();
    private readonly InMemoryDecisionLog _log = new();
    private readonly FakeInstancePool _pool;

    public DrainApplyDelayTests() => _pool = new FakeInstancePool(_time);

    private DateTimeOffset Now => _time.GetUtcNow();

    private async Task PassAsync(Reconciler r, int desired)
    {
        var view = await r.ObserveAsync(await _pool.SnapshotAsync(CancellationToken.None), CancellationToken.None);
        await r.ReconcileAsync(view, desired, 1, CancellationToken.None);
    }

    [Fact]
    public async Task ScaleIn_ApplyDelay45s_NeverRemovesANodeTheBalancerStillSendsTo()
    {
        // The balancer keeps sending new connections until the drain is applied (45 s after the API answered); the
        // node may go only after that plus the configured drain (5 s) for connections already open.
        _pool.NodeApplyDelay = TimeSpan.FromSeconds(45);
        _pool.Add("web-old", Now - TimeSpan.FromHours(2));
        _pool.Add("web-new", Now - TimeSpan.FromHours(1));
        var config = Pools.Web();
        var r = new Reconciler(config with { ScaleDown = config.ScaleDown with { Drain = TimeSpan.FromSeconds(5) } },
            _pool, _journal, _log, _time, new Random(3));

        await PassAsync(r, desired: 1);
        var drainedAt = Now;
        Assert.Equal(["drain web-new"], _pool.Mutations);

        for (var s = 1; s < 50; s++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await PassAsync(r, desired: 1);
            Assert.DoesNotContain("remove web-new", _pool.Mutations);
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        await PassAsync(r, desired: 1);
        Assert.Equal(["drain web-new", "remove web-new"], _pool.Mutations);
        Assert.Equal(TimeSpan.FromSeconds(50), Now - drainedAt);
    }

    [Fact]
    public async Task ScaleIn_NoApplyDelay_RemovesAfterTheConfiguredDrain()
    {
        _pool.Add("web-old", Now - TimeSpan.FromHours(2));
        _pool.Add("web-new", Now - TimeSpan.FromHours(1));
        var r = new Reconciler(Pools.Web(), _pool, _journal, _log, _time, new Random(3));

        await PassAsync(r, desired: 1);
        _time.Advance(Pools.Web().ScaleDown.Drain);
        await PassAsync(r, desired: 1);

        Assert.Equal(["drain web-new", "remove web-new"], _pool.Mutations);
    }
}

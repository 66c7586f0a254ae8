using Autoscaler.Core.Audit;
using Autoscaler.Core.Billing;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Providers.Virtual;
using Autoscaler.Core.Signals;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Core.Tests.Billing;

/// <summary>Billing-aware scale-in on virtual time: a 1 h period, three members created at 11:50 (paid until 12:50),
/// drain 30 s, release margin 3 min, so a surplus member's release point is 12:46:30.</summary>
public sealed class BillingAwareEngineTests
{
    private static readonly DateTimeOffset Created = Pools.Epoch - TimeSpan.FromMinutes(10);
    private static readonly DateTimeOffset PaidUntil = Created + TimeSpan.FromHours(1);
    private static readonly DateTimeOffset ReleasePoint = PaidUntil - TimeSpan.FromSeconds(30) - TimeSpan.FromMinutes(3);

    [Fact]
    public async Task ScaleDown_Hourly_MemberKeptServingAndDeletedInTheLastMinutesOfItsPaidHour()
    {
        var rig = new Rig();
        await rig.CycleAsync();
        rig.Want.Size = 2;

        var decision = await rig.CycleAsync();

        Assert.Equal(DecisionAction.ScaleDown, decision.Action);
        var status = rig.Engine.GetStatus("web");
        Assert.Equal(1, status.View!.Kept);
        var kept = Assert.Single(status.View.Members, m => m.Kept);
        Assert.Equal(PaidUntil, kept.PaidUntil);
        Assert.Equal(ReleasePoint, kept.ReleaseAt);
        Assert.Contains(rig.Log.Operations, e => e.Type == OperationEventType.Kept && e.Detail.StartsWith("kept: paid until 12:50 (in 50 min), need 2 < live 3", StringComparison.Ordinal));

        await rig.RunUntilAsync(ReleasePoint - TimeSpan.FromSeconds(10));
        Assert.Equal(3, rig.Cloud.ServingCount());
        Assert.All(rig.Cloud.Lives(), l => Assert.Null(l.Deleted));

        await rig.RunUntilAsync(PaidUntil + TimeSpan.FromMinutes(5));
        var deleted = Assert.Single(rig.Cloud.Lives(), l => l.Deleted is not null).Deleted!.Value;
        Assert.InRange(deleted, ReleasePoint, PaidUntil - TimeSpan.FromSeconds(1));
        Assert.Equal(2, rig.Cloud.ServingCount());
        var ended = Assert.Single(await rig.Ledger.DeletedSinceAsync("web", Created, CancellationToken.None));
        Assert.Equal(deleted, ended.Deleted);
    }

    [Fact]
    public async Task ScaleDown_KeptMembers_DoNotBlockTheCooldownOrTheNextScaleDown()
    {
        var rig = new Rig();
        await rig.CycleAsync();
        rig.Want.Size = 2;
        await rig.CycleAsync();

        rig.Want.Size = 1;
        var decisions = await rig.RunUntilAsync(Pools.Epoch + TimeSpan.FromMinutes(10));

        // Scale-down cooldown 5 min from the first scale-down being scheduled (12:00), not from its release at 12:46.
        var second = Assert.Single(decisions, d => d.Action == DecisionAction.ScaleDown);
        Assert.InRange(second.At, Pools.Epoch + TimeSpan.FromMinutes(5), Pools.Epoch + TimeSpan.FromMinutes(6));
        Assert.Equal(2, rig.Engine.GetStatus("web").View!.Kept);
        Assert.Equal(3, rig.Cloud.ServingCount());
    }

    [Fact]
    public async Task ScaleUp_NeedComesBackBeforeTheReleasePoint_ReleaseCancelledAndNothingCreated()
    {
        var rig = new Rig();
        await rig.CycleAsync();
        rig.Want.Size = 2;
        await rig.CycleAsync();
        await rig.RunUntilAsync(Pools.Epoch + TimeSpan.FromMinutes(20));

        rig.Want.Size = 3;
        await rig.RunUntilAsync(PaidUntil + TimeSpan.FromMinutes(5));

        Assert.Equal(3, rig.Cloud.Lives().Count);
        Assert.All(rig.Cloud.Lives(), l => Assert.Null(l.Deleted));
        Assert.Empty(rig.Cloud.RemovalEvents);
        Assert.Contains(rig.Log.Operations, e => e.Type == OperationEventType.ReleaseCancelled && e.Detail.StartsWith("release cancelled: need came back", StringComparison.Ordinal));
        Assert.Equal(0, rig.Engine.GetStatus("web").View!.Kept);
    }

    [Fact]
    public async Task ScaleUp_MemberDraining_TakenBackBeforeAnythingIsCreated()
    {
        var rig = new Rig();
        await rig.CycleAsync();
        rig.Want.Size = 2;
        await rig.CycleAsync();
        await rig.RunUntilAsync(ReleasePoint);
        var released = Assert.Single(rig.Cloud.RemovalEvents);
        Assert.Equal(RemovalEventKind.Release, released.Kind);

        rig.Want.Size = 3;
        await rig.RunUntilAsync(ReleasePoint + TimeSpan.FromSeconds(10));

        Assert.Equal(RemovalEventKind.TakeBack, rig.Cloud.RemovalEvents[^1].Kind);
        Assert.Equal(released.InstanceId, rig.Cloud.RemovalEvents[^1].InstanceId);
        Assert.Contains(rig.Log.Operations, e => e.Type == OperationEventType.Cancelled && e.Detail.StartsWith("taken back: need came back", StringComparison.Ordinal));
        await rig.RunUntilAsync(ReleasePoint + TimeSpan.FromMinutes(2));
        Assert.Equal(3, rig.Cloud.Lives().Count);
        Assert.Equal(3, rig.Cloud.ServingCount());
        Assert.Equal(1, rig.Engine.GetStatus("web").Counters.TakenBack);
    }

    [Fact]
    public async Task Restart_NewEngineOverTheSameCloudAndJournal_KeepsTheSamePaidUntilAndReleasePoint()
    {
        var rig = new Rig();
        await rig.CycleAsync();
        rig.Want.Size = 2;
        await rig.CycleAsync();
        var before = Assert.Single(rig.Engine.GetStatus("web").View!.Members, m => m.Kept);

        rig.Restart();
        rig.Time.Advance(TimeSpan.FromMinutes(1));
        await rig.CycleAsync();

        var after = Assert.Single(rig.Engine.GetStatus("web").View!.Members, m => m.Kept);
        Assert.Equal(before.Member.Id, after.Member.Id);
        Assert.Equal(before.PaidUntil, after.PaidUntil);
        Assert.Equal(before.ReleaseAt, after.ReleaseAt);
        await rig.RunUntilAsync(PaidUntil + TimeSpan.FromMinutes(1));
        var deleted = Assert.Single(rig.Cloud.Lives(), l => l.Deleted is not null).Deleted!.Value;
        Assert.InRange(deleted, ReleasePoint, PaidUntil);
    }

    [Fact]
    public async Task ScaleUp_OverTheMonthlyBudget_CutToWhatFitsThenRefused()
    {
        // 0.01 an hour capped at 5 a month: each member to the month's end costs 5. Three now: 15.
        var rig = new Rig(budget: 22m);
        await rig.CycleAsync();
        rig.Want.Size = 5;

        var cut = await rig.CycleAsync();

        Assert.Equal(DecisionAction.ScaleUp, cut.Action);
        Assert.Equal(4, cut.Desired);
        Assert.Equal(SkipReason.Budget, cut.Skip);
        Assert.EndsWith("cut to 4: budget: projected $25.00 for the month would exceed $22.00 (pool 'web' budget.monthly_usd)", cut.Reason, StringComparison.Ordinal);

        await rig.RunUntilAsync(Pools.Epoch + TimeSpan.FromMinutes(5));
        var refused = rig.Log.Decisions[^1];
        Assert.Equal(DecisionAction.Hold, refused.Action);
        Assert.Equal(SkipReason.Budget, refused.Skip);
        Assert.Equal(4, refused.Desired);
        Assert.Contains("refused: budget: projected $25.00 for the month would exceed $22.00", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(4, rig.Cloud.Lives().Count);
        Assert.True(rig.Engine.GetStatus("web").Counters.Skips[SkipReason.Budget] >= 2);
    }

    [Fact]
    public async Task ScaleDown_BillingNone_RemovedAtOnceAsBefore()
    {
        var rig = new Rig(BillingMode.None);
        await rig.CycleAsync();
        rig.Want.Size = 2;
        await rig.CycleAsync();

        await rig.RunUntilAsync(Pools.Epoch + TimeSpan.FromMinutes(2));

        var deleted = Assert.Single(rig.Cloud.Lives(), l => l.Deleted is not null).Deleted!.Value;
        Assert.InRange(deleted, Pools.Epoch + TimeSpan.FromSeconds(30), Pools.Epoch + TimeSpan.FromSeconds(60));
        Assert.Equal(0, rig.Engine.GetStatus("web").View!.Kept);
        Assert.DoesNotContain(rig.Log.Operations, e => e.Type == OperationEventType.Kept);
    }

    /// <summary>One pool on a virtual cloud with billing terms, a settable signal and a journal that outlives the engine.</summary>
    private sealed class Rig
    {
        public Rig(BillingMode billing = BillingMode.Hourly, decimal? budget = null)
        {
            Config = Pools.Web(min: 1, max: 10) with
            {
                ScaleDown = Pools.Web().ScaleDown with { Billing = billing },
                Budget = budget is { } b ? new BudgetConfig { MonthlyUsd = b } : null,
            };
            Cloud = new VirtualCloud("web", Time, new VirtualCloudOptions
            {
                Billing = new BillingTerms(new InstancePrice(0.01m, 5m), TimeSpan.FromHours(1)),
            });
            for (var i = 0; i < 3; i++)
            {
                Cloud.AddInstance($"web-initial-{i + 1}", Created);
            }

            Engine = NewEngine();
        }

        public FakeTimeProvider Time { get; } = new(Pools.Epoch);

        public PoolConfig Config { get; }

        public VirtualCloud Cloud { get; }

        public InMemoryOperationJournal Journal { get; } = new();

        public InMemoryDecisionLog Log { get; } = new();

        public InMemoryBillingLedger Ledger { get; } = new();

        public Settable Want { get; } = new() { Size = 3 };

        public ScalingEngine Engine { get; private set; }

        public void Restart() => Engine = NewEngine();

        public Task<Decision> CycleAsync() => Engine.RunPoolCycleAsync("web", CancellationToken.None);

        /// <summary>Cycles every 10 s until <paramref name="until"/> (inclusive).</summary>
        public async Task<List<Decision>> RunUntilAsync(DateTimeOffset until)
        {
            var decisions = new List<Decision>();
            while (Time.GetUtcNow() + TimeSpan.FromSeconds(10) <= until)
            {
                Time.Advance(TimeSpan.FromSeconds(10));
                decisions.Add(await CycleAsync());
            }

            return decisions;
        }

        private ScalingEngine NewEngine() => new([new ScalingPool(Config, Cloud) { Signals = [Want] }], new EngineServices
        {
            Time = Time,
            Journal = Journal,
            DecisionLog = Log,
            Random = new Random(7),
            BillingLedger = Ledger,
        });
    }

    /// <summary>Wants whatever the test sets.</summary>
    private sealed class Settable : IScalingSignal
    {
        public int Size { get; set; }

        public string Name => "want";

        public ValueTask<Recommendation> EvaluateAsync(SignalContext context, CancellationToken cancellationToken)
        {
            var direction = Size > context.Desired ? ScaleDirection.Up : Size < context.Desired ? ScaleDirection.Down : ScaleDirection.Hold;
            return ValueTask.FromResult(new Recommendation { Signal = Name, Direction = direction, Desired = Size, Reason = $"want {Size}" });
        }
    }
}

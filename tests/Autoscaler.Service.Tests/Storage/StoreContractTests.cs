using System.Text.Json;
using Autoscaler.Core;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;
using Autoscaler.Service.Api;
using Autoscaler.Service.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Service.Tests;

/// <summary>The behaviour both backends of <see cref="IAutoscalerStore"/> share; each backend runs it.</summary>
public abstract class StoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    protected FakeTimeProvider Time { get; } = new(T0);

    /// <summary>Opens the backend's store; a second call opens the same data again (a restart).</summary>
    protected abstract IAutoscalerStore Open(SqliteStoreOptions? options = null);

    private static long Count(IAutoscalerStore store, string table) => ((IStoreDiagnostics)store).Count(table);

    private static Decision Hold(string pool, string reason, DateTimeOffset at, SkipReason skip = SkipReason.Cooldown) => new()
    {
        Pool = pool,
        At = at,
        Action = DecisionAction.Hold,
        Skip = skip,
        Direction = ScaleDirection.Up,
        PreviousDesired = 2,
        Desired = 2,
        Reason = reason,
        Recommendations = [new Recommendation { Signal = "signals[0] alert PoolCpuHigh (up)", Direction = ScaleDirection.Up, Desired = 3, Reason = "firing" }],
    };

    [Fact]
    public async Task Journal_OperationsAndPoolRecord_SurviveReopen()
    {
        using (var store = Open())
        {
            await store.SaveOperationAsync(new OperationRecord { Id = "op-1", Pool = "web", Kind = OperationKind.Launch, Phase = OperationPhase.Launching, Label = "web-aaaa", CreatedAt = T0, PhaseSince = T0, Reason = "scale-up" }, default);
            await store.SaveOperationAsync(new OperationRecord { Id = "op-2", Pool = "web", Kind = OperationKind.Remove, Phase = OperationPhase.Draining, MemberId = "42", CreatedAt = T0.AddSeconds(1), PhaseSince = T0.AddSeconds(1) }, default);
            await store.SaveOperationAsync(new OperationRecord { Id = "op-2", Pool = "web", Kind = OperationKind.Remove, Phase = OperationPhase.Removing, MemberId = "42", CreatedAt = T0.AddSeconds(1), PhaseSince = T0.AddSeconds(5) }, default);
            await store.SaveOperationAsync(new OperationRecord { Id = "op-3", Pool = "api", Kind = OperationKind.Launch, Phase = OperationPhase.Launching, CreatedAt = T0, PhaseSince = T0 }, default);
            await store.CloseOperationAsync("op-1", OperationOutcome.Succeeded, "created", default);
            await store.SavePoolAsync(new PoolRecord { Pool = "web", Desired = 4, LastScaleUpAt = T0, ScaleUpPending = true }, default);
        }

        using var reopened = Open();
        var open = await reopened.GetOpenOperationsAsync("web", default);
        var op = Assert.Single(open);
        Assert.Equal("op-2", op.Id);
        Assert.Equal(OperationPhase.Removing, op.Phase);
        Assert.Equal(T0.AddSeconds(5), op.PhaseSince);
        Assert.Equal("42", op.MemberId);
        var record = await reopened.GetPoolAsync("web", default);
        Assert.Equal(new PoolRecord { Pool = "web", Desired = 4, LastScaleUpAt = T0, ScaleUpPending = true }, record);
        Assert.Null(await reopened.GetPoolAsync("other", default));
    }

    [Fact]
    public async Task RecordDecision_SameHoldEveryCycle_StoredOnceThenAgainWhenItChanges()
    {
        using var store = Open();
        Assert.True(await store.TryRecordDecisionAsync(Hold("web", "cooldown runs until 12:00:05", T0), default));
        // The same hold with moving times in its text is the same outcome.
        Assert.False(await store.TryRecordDecisionAsync(Hold("web", "cooldown runs until 12:00:10", T0.AddSeconds(5)), default));
        Assert.True(await store.TryRecordDecisionAsync(Hold("web", "in flight", T0.AddSeconds(10), SkipReason.InFlight), default));
        Assert.True(await store.TryRecordDecisionAsync(Hold("api", "cooldown", T0.AddSeconds(10)), default));
        var up = Hold("web", "PoolCpuHigh firing", T0.AddSeconds(15)) with { Action = DecisionAction.ScaleUp, Skip = null, Desired = 3 };
        Assert.True(await store.TryRecordDecisionAsync(up, default));
        Assert.True(await store.TryRecordDecisionAsync(up with { At = T0.AddSeconds(20) }, default));

        Assert.Equal(5, Count(store, "decisions"));
    }

    [Fact]
    public async Task RecordDecision_AfterReopen_RemembersTheLastOutcome()
    {
        using (var store = Open())
        {
            await store.RecordDecisionAsync(Hold("web", "a", T0), default);
        }

        using var reopened = Open();
        Assert.False(await reopened.TryRecordDecisionAsync(Hold("web", "b", T0.AddSeconds(1)), default));
    }

    [Fact]
    public async Task GetEvents_DecisionsAndOperations_NewestFirstFilteredByPool()
    {
        using var store = Open();
        await store.RecordDecisionAsync(Hold("web", "first", T0) with { Inputs = new Dictionary<string, string> { ["signals[0].alerts"] = "PoolCpuHigh[505e]" } }, default);
        await store.RecordOperationAsync(new OperationEvent("web", T0.AddSeconds(1), "op-1", OperationKind.Launch, OperationEventType.Started, OperationPhase.Launching, null, "web-aaaa", "launch"), default);
        await store.RecordOperationAsync(new OperationEvent("api", T0.AddSeconds(2), "op-2", OperationKind.Remove, OperationEventType.Succeeded, OperationPhase.Removing, "7", "api-bbbb", "removed"), default);
        await store.RecordDecisionAsync(Hold("web", "second", T0.AddSeconds(3), SkipReason.AtMax), default);

        var all = store.GetEvents(null, 10);
        Assert.Equal([T0.AddSeconds(3), T0.AddSeconds(2), T0.AddSeconds(1), T0], all.Select(e => e.At).ToArray());
        var web = store.GetEvents("web", 10);
        Assert.Equal(3, web.Count);
        Assert.All(web, e => Assert.Equal("web", e.Pool));
        var oldest = web[^1].Decision!;
        Assert.Equal("first", oldest.Reason);
        Assert.Equal("PoolCpuHigh[505e]", oldest.Inputs["signals[0].alerts"]);
        Assert.Equal(ScaleDirection.Up, Assert.Single(oldest.Recommendations).Direction);
        Assert.Equal("web-aaaa", web[1].Operation!.Label);
        Assert.Equal(2, store.GetEvents("web", 2).Count);
    }

    [Fact]
    public async Task GetEvents_DecisionWithEveryField_ReadBackAsRecorded()
    {
        using var store = Open();
        var decision = new Decision
        {
            Pool = "web", At = T0, Current = 3, Serving = 2, PreviousDesired = 3, Desired = 5, Min = 1, Max = 9,
            Direction = ScaleDirection.Up, Action = DecisionAction.DryRun, Delta = 2, Skip = SkipReason.DryRun, Reason = "dry run",
            Recommendations = [new Recommendation { Signal = "signals[0] promql cpu", Direction = ScaleDirection.Up, Desired = 5, Reason = "0.9 > 0.7" }],
            Inputs = new Dictionary<string, string> { ["signals[0].value"] = "0.9" },
        };
        await store.RecordDecisionAsync(decision, default);

        var read = Assert.Single(store.GetEvents("web", 10)).Decision!;
        // Every field, including any added to Decision later: the row's body is the decision itself.
        Assert.Equal(JsonSerializer.Serialize(decision, StoreJson.Decision), JsonSerializer.Serialize(read, StoreJson.Decision));
    }

    [Fact]
    public async Task Trim_OverTheCaps_KeepsTheNewestRows()
    {
        using var store = Open(new SqliteStoreOptions { MaxDecisions = 10, MaxOperationEvents = 5, TrimEvery = 1_000_000 });
        for (var i = 0; i < 30; i++)
        {
            await store.RecordDecisionAsync(Hold("web", "r", T0.AddSeconds(i), i % 2 == 0 ? SkipReason.Cooldown : SkipReason.InFlight), default);
            await store.RecordOperationAsync(new OperationEvent("web", T0.AddSeconds(i), $"op-{i}", OperationKind.Launch, OperationEventType.Started, OperationPhase.Launching, null, null, ""), default);
        }

        ((IStoreDiagnostics)store).TrimNow();

        Assert.Equal(10, Count(store, "decisions"));
        Assert.Equal(5, Count(store, "operation_events"));
        Assert.Equal(T0.AddSeconds(29), store.GetEvents(null, 1)[0].At);
    }

    [Fact]
    public async Task Journal_ParallelWrites_AllKept()
    {
        using var store = Open();
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => store.SaveOperationAsync(
            new OperationRecord { Id = $"op-{i}", Pool = "web", Kind = OperationKind.Launch, Phase = OperationPhase.Launching, CreatedAt = T0, PhaseSince = T0 }, default))));

        Assert.Equal(50, (await store.GetOpenOperationsAsync("web", default)).Count);
    }
}

using System.Globalization;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Core.Tests;

public sealed class AlertStateStoreTests
{
    private static readonly AlertMatcher High = new("PoolCpuHigh", new Dictionary<string, string>());

    private readonly FakeTimeProvider _time = new(Pools.Epoch);

    private DateTimeOffset Now => _time.GetUtcNow();

    [Fact]
    public void Record_NewFiring_IsAddedAndMatches()
    {
        var store = new AlertStateStore(_time);

        var outcome = store.Record(Pools.Firing("PoolCpuHigh", Now));

        Assert.Equal(AlertRecordOutcome.Added, outcome);
        Assert.True(store.FindFiring(High, "web").Count > 0);
        Assert.False(store.FindFiring(new AlertMatcher("PoolCpuLow", new Dictionary<string, string>()), "web").Count > 0);
    }

    [Fact]
    public void Record_SameNotificationFromThreeReplicasTenTimes_KeepsOneAlertAndRefreshesLastSeen()
    {
        var store = new AlertStateStore(_time);
        var alert = Pools.Firing("PoolCpuHigh", Now);
        var outcomes = new List<AlertRecordOutcome>();

        for (var repeat = 0; repeat < 10; repeat++)
        {
            for (var replica = 0; replica < 3; replica++)
            {
                outcomes.Add(store.Record(alert with { Receiver = "am-" + replica }));
            }

            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(1, store.Count);
        Assert.Equal(AlertRecordOutcome.Added, outcomes[0]);
        Assert.All(outcomes.Skip(1), o => Assert.Equal(AlertRecordOutcome.Duplicate, o));
        var state = Assert.Single(store.FindFiring(High, "web"));
        Assert.Equal(Pools.Epoch, state.FirstSeenAt);
        Assert.Equal(Pools.Epoch + TimeSpan.FromMinutes(9), state.LastSeenAt);
    }

    [Fact]
    public void Record_Resolved_StopsMatching()
    {
        var store = new AlertStateStore(_time);
        var start = Now;
        store.Record(Pools.Firing("PoolCpuHigh", start));
        _time.Advance(TimeSpan.FromMinutes(5));

        var outcome = store.Record(Pools.Resolved("PoolCpuHigh", start, Now));

        Assert.Equal(AlertRecordOutcome.Changed, outcome);
        Assert.False(store.FindFiring(High, "web").Count > 0);
        Assert.Equal(AlertStatus.Resolved, store.Get("fp-PoolCpuHigh")!.Status);
    }

    [Fact]
    public void Record_LateFiringCopyAfterResolve_IsStale()
    {
        var store = new AlertStateStore(_time);
        var start = Now;
        store.Record(Pools.Firing("PoolCpuHigh", start));
        _time.Advance(TimeSpan.FromMinutes(5));
        store.Record(Pools.Resolved("PoolCpuHigh", start, Now));

        // A lagging replica still sends the firing notification of the same episode.
        var outcome = store.Record(Pools.Firing("PoolCpuHigh", start));

        Assert.Equal(AlertRecordOutcome.Stale, outcome);
        Assert.False(store.FindFiring(High, "web").Count > 0);
    }

    [Fact]
    public void Record_ResolvedBeforeFiringArrives_OlderFiringDoesNotOverride()
    {
        var store = new AlertStateStore(_time);
        var start = Now - TimeSpan.FromMinutes(10);

        store.Record(Pools.Resolved("PoolCpuHigh", start, Now));
        var outcome = store.Record(Pools.Firing("PoolCpuHigh", start));

        Assert.Equal(AlertRecordOutcome.Stale, outcome);
        Assert.False(store.FindFiring(High, "web").Count > 0);
    }

    [Fact]
    public void Record_ResolveOfAnEarlierEpisode_DoesNotEndTheCurrentOne()
    {
        var store = new AlertStateStore(_time);
        var first = Now - TimeSpan.FromMinutes(30);
        var second = Now - TimeSpan.FromMinutes(5);
        store.Record(Pools.Firing("PoolCpuHigh", second));

        var outcome = store.Record(Pools.Resolved("PoolCpuHigh", first, first + TimeSpan.FromMinutes(10)));

        Assert.Equal(AlertRecordOutcome.Stale, outcome);
        Assert.True(store.FindFiring(High, "web").Count > 0);
    }

    [Fact]
    public void Record_NewEpisodeAfterResolve_FiresAgain()
    {
        var store = new AlertStateStore(_time);
        var start = Now;
        store.Record(Pools.Firing("PoolCpuHigh", start));
        _time.Advance(TimeSpan.FromMinutes(5));
        store.Record(Pools.Resolved("PoolCpuHigh", start, Now));
        _time.Advance(TimeSpan.FromMinutes(5));

        var outcome = store.Record(Pools.Firing("PoolCpuHigh", Now));

        Assert.Equal(AlertRecordOutcome.Changed, outcome);
        Assert.True(store.FindFiring(High, "web").Count > 0);
        Assert.Equal(Now, store.Get("fp-PoolCpuHigh")!.StartsAt);
    }

    [Fact]
    public void Record_ResolvedWithEqualEndAndStart_Wins()
    {
        var store = new AlertStateStore(_time);
        var start = Now;
        store.Record(Pools.Firing("PoolCpuHigh", start));

        Assert.Equal(AlertRecordOutcome.Changed, store.Record(Pools.Resolved("PoolCpuHigh", start, start)));
        Assert.False(store.FindFiring(High, "web").Count > 0);
    }

    [Fact]
    public void FindFiring_NotResentForStaleAfter_TreatedAsResolved()
    {
        var store = new AlertStateStore(_time, new AlertStoreOptions { StaleAfter = TimeSpan.FromMinutes(30) });
        var start = Now;
        store.Record(Pools.Firing("PoolCpuHigh", start));

        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.True(store.FindFiring(High, "web").Count > 0);
        store.Record(Pools.Firing("PoolCpuHigh", start));
        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.True(store.FindFiring(High, "web").Count > 0);
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.False(store.FindFiring(High, "web").Count > 0);
        Assert.True(store.IsExpired(store.Get("fp-PoolCpuHigh")!));
    }

    [Fact]
    public void Prune_DropsResolvedAfterRetentionAndKeepsFiring()
    {
        var store = new AlertStateStore(_time, new AlertStoreOptions { ResolvedRetention = TimeSpan.FromMinutes(10) });
        store.Record(Pools.Firing("A", Now));
        store.Record(Pools.Resolved("B", Now - TimeSpan.FromMinutes(1), Now));
        _time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(1, store.Prune());
        Assert.NotNull(store.Get("fp-A"));
        Assert.Null(store.Get("fp-B"));
    }

    [Fact]
    public void Record_Full_EvictsResolvedThenRejectsNewFiring()
    {
        var store = new AlertStateStore(_time, new AlertStoreOptions { MaxAlerts = 2 });
        store.Record(Pools.Firing("A", Now));
        store.Record(Pools.Resolved("B", Now, Now));

        Assert.Equal(AlertRecordOutcome.Added, store.Record(Pools.Firing("C", Now)));
        Assert.Null(store.Get("fp-B"));
        Assert.Equal(AlertRecordOutcome.Rejected, store.Record(Pools.Firing("D", Now)));
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public void Record_100000UnrelatedAlertsThenThePoolsOwn_UnrelatedIgnoredAndThePoolsOwnHeld()
    {
        var config = new AutoscalerConfig { Pools = [Pools.Web(1, 10, Pools.Up(), Pools.Down())] };
        var store = new AlertStateStore(_time, AlertStoreOptions.For(config));

        for (var i = 0; i < 100_000; i++)
        {
            var name = i % 2 == 0 ? "NoisyAlert" + (i % 97).ToString(CultureInfo.InvariantCulture) : "PoolCpuHigh";
            // Odd ones carry the right alertname but another pool's label: they match no signal of "web" either.
            var outcome = store.Record(Pools.Firing(name, Now, "fp" + i.ToString(CultureInfo.InvariantCulture), pool: i % 2 == 0 ? "web" : "db"));
            Assert.Equal(AlertRecordOutcome.Ignored, outcome);
        }

        Assert.Equal((0, 0L), (store.Count, store.Bytes));
        Assert.Equal(AlertRecordOutcome.Added, store.Record(Pools.Firing("PoolCpuHigh", Now, "fp-web", pool: "web")));
        Assert.Equal(AlertRecordOutcome.Added, store.Record(Pools.Firing("PoolCpuLow", Now, "fp-low")));
        Assert.Single(store.FindFiring(High, "web"));

        // Held alerts keep their semantics: a repeat is a duplicate, a late copy stale, a resolve resolves.
        Assert.Equal(AlertRecordOutcome.Duplicate, store.Record(Pools.Firing("PoolCpuHigh", Now, "fp-web", pool: "web")));
        Assert.Equal(AlertRecordOutcome.Changed, store.Record(Pools.Firing("PoolCpuHigh", Now, "fp-web", pool: "web") with
        {
            Status = AlertStatus.Resolved,
            EndsAt = Now + TimeSpan.FromMinutes(1),
        }));
        Assert.Equal(AlertRecordOutcome.Stale, store.Record(Pools.Firing("PoolCpuHigh", Now, "fp-web", pool: "web")));
        Assert.Empty(store.FindFiring(High, "web"));
    }

    [Fact]
    public void Record_FullOfOneFloodedAlert_AnotherSignalsAndPoolsAlertsStillHeld()
    {
        var store = new AlertStateStore(_time, new AlertStoreOptions { MaxAlerts = 100 });
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(AlertRecordOutcome.Added, store.Record(Pools.Firing("PoolCpuHigh", Now, "flood" + i.ToString(CultureInfo.InvariantCulture), pool: "web")));
        }

        _time.Advance(TimeSpan.FromSeconds(1));

        // More of the flooded group are refused; an alert of another group takes the place of a flooded one.
        Assert.Equal(AlertRecordOutcome.Rejected, store.Record(Pools.Firing("PoolCpuHigh", Now, "flood-more", pool: "web")));
        Assert.Equal(AlertRecordOutcome.Added, store.Record(Pools.Firing("PoolCpuLow", Now, "low", pool: "web")));
        Assert.Equal(AlertRecordOutcome.Added, store.Record(Pools.Firing("PoolCpuHigh", Now, "api-high", pool: "api")));
        Assert.Equal(100, store.Count);
        Assert.Equal(98, store.FindFiring(High, "web").Count);
        Assert.Single(store.FindFiring(new AlertMatcher("PoolCpuLow", new Dictionary<string, string>()), "web"));
        Assert.Single(store.FindFiring(High, "api"));
    }

    [Fact]
    public void Record_OverlongLabelsOfAnUnrelatedAlert_RefusedBeforeItIsMatched()
    {
        var matched = 0;
        var store = new AlertStateStore(_time, new AlertStoreOptions { Keep = _ => ++matched > 0 });
        var alert = Pools.Firing("X", Now) with { Labels = new Dictionary<string, string> { ["alertname"] = "X", ["big"] = new string('x', 17 * 1024) } };

        Assert.Equal(AlertRecordOutcome.Rejected, store.Record(alert));
        Assert.Equal(0, matched);
        Assert.False(store.LabelsFit(alert.Labels));
    }

    [Fact]
    public void FindFiring_PoolLabel_OnlyMatchesItsPool()
    {
        var store = new AlertStateStore(_time);
        store.Record(Pools.Firing("PoolCpuHigh", Now, "fp-web", pool: "web"));

        Assert.True(store.FindFiring(High, "web").Count > 0);
        Assert.False(store.FindFiring(High, "api").Count > 0);
        Assert.True(store.FindFiring(new AlertMatcher("PoolCpuHigh", new Dictionary<string, string> { ["pool"] = "web" }), "api").Count > 0);
    }

    [Fact]
    public void FindFiring_LabelMatchers_RequireEveryLabel()
    {
        var store = new AlertStateStore(_time);
        var alert = Pools.Firing("X", Now) with { Labels = new Dictionary<string, string> { ["alertname"] = "X", ["severity"] = "page", ["team"] = "web" } };
        store.Record(alert);

        Assert.True(store.FindFiring(new AlertMatcher(null, new Dictionary<string, string> { ["severity"] = "page" }), "web").Count > 0);
        Assert.False(store.FindFiring(new AlertMatcher(null, new Dictionary<string, string> { ["severity"] = "page", ["team"] = "db" }), "web").Count > 0);
        Assert.False(store.FindFiring(new AlertMatcher("Y", new Dictionary<string, string> { ["severity"] = "page" }), "web").Count > 0);
    }

    [Fact]
    public void Record_EmptyFingerprint_DerivesOneFromLabels()
    {
        var store = new AlertStateStore(_time);

        store.Record(Pools.Firing("PoolCpuHigh", Now) with { Fingerprint = "" });
        var outcome = store.Record(Pools.Firing("PoolCpuHigh", Now) with { Fingerprint = "" });

        Assert.Equal(AlertRecordOutcome.Duplicate, outcome);
        Assert.Equal(1, store.Count);
    }
}

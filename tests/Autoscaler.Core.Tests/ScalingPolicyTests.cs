using System.Globalization;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Tests;

/// <summary>The engine's rules as pure functions: every case is inputs in, one value out, no clock, cloud or journal.</summary>
public sealed class ScalingPolicyTests
{
    private static readonly DateTimeOffset Now = Pools.Epoch;

    // Limits as text: "f4" a floor of 4, "c6" a ceiling of 6, "f3c2" both, separated by spaces.
    [Theory]
    [InlineData(1, 10, "", 1, 10)]
    [InlineData(1, 10, "f4", 4, 10)]
    [InlineData(3, 10, "f1", 3, 10)]
    [InlineData(1, 10, "c6", 1, 6)]
    [InlineData(1, 10, "c20", 1, 20)]
    [InlineData(1, 10, "f12", 12, 12)]
    [InlineData(1, 10, "f3 f5", 5, 10)]
    [InlineData(1, 10, "c4 c7", 1, 7)]
    [InlineData(1, 10, "f3c2", 3, 3)]
    [InlineData(2, 10, "f4 c8", 4, 8)]
    public void EffectiveBounds_Limits_FloorRaisesCeilingReplacesMaxNeverBelowMin(int min, int max, string limits, int expectedMin, int expectedMax)
    {
        var bounds = ScalingPolicy.EffectiveBounds(min, max, Limits(limits));

        Assert.Equal(new PoolBounds(expectedMin, expectedMax), bounds);
    }

    [Fact]
    public void LimitsOf_Recommendations_OnlyThoseWithAFloorOrCeiling()
    {
        var recs = new[]
        {
            Up("alert", 5),
            Rec("schedule", ScaleDirection.Hold, null) with { MinFloor = 4 },
            Rec("night", ScaleDirection.Hold, null) with { MaxCeiling = 3 },
        };

        Assert.Equal([new BoundsLimit("schedule", 4, null), new BoundsLimit("night", null, 3)], ScalingPolicy.LimitsOf(recs));
    }

    public static TheoryData<string> DecideCaseNames => [.. DecideCases.Keys];

    [Theory]
    [MemberData(nameof(DecideCaseNames))]
    public void Decide_Case_GivesTheExpectedActionSkipAndDesired(string name)
    {
        var c = DecideCases[name];
        var config = Pools.Web(min: 2, max: 10);

        var decision = ScalingPolicy.Decide(config, c.Record, c.State, c.Recs, Now);

        Assert.Equal((c.Action, c.Skip, c.Desired), (decision.Action, decision.Skip, decision.Desired));
        Assert.Contains(c.Reason, decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_ScheduleFloorActive_ReportsEffectiveBoundsAndNamesTheSchedule()
    {
        var recs = new[] { Rec("signals[0] schedule", ScaleDirection.Hold, null) with { MinFloor = 4, MaxCeiling = 6 } };

        var decision = ScalingPolicy.Decide(Pools.Web(min: 2, max: 10), Record(3), State(live: 3, serving: 3), recs, Now);

        Assert.Equal((DecisionAction.ScaleUp, 4, 4, 6), (decision.Action, decision.Desired, decision.Min, decision.Max));
        Assert.Equal("desired 3 is below the minimum 4 (signals[0] schedule active)", decision.Reason);
    }

    [Theory]
    [InlineData(0, null, 2)] // empty pool, no configured desired: the minimum
    [InlineData(0, 5, 5)] // empty pool: the configured desired
    [InlineData(4, 5, 4)] // members there: kept
    [InlineData(14, null, 10)] // more than max: bounded
    [InlineData(1, 5, 2)] // fewer than min: bounded
    public void InitialDesired_NoJournalRecord_CloudIsTheTruthWithinBounds(int live, int? configured, int expected)
    {
        var config = Pools.Web(min: 2, max: 10) with { Desired = configured };

        Assert.Equal(expected, ScalingPolicy.InitialDesired(config, State(live: live)));
    }

    [Fact]
    public void Settle_ScaleUpServed_CooldownStartsWhenTheNewestNodeTurnedUp()
    {
        var record = Record(3) with { ScaleUpPending = true, LastScaleUpAt = Now.AddMinutes(-5) };
        var state = State(live: 3, serving: 3) with
        {
            ServingSince =
            [
                new ServingMember(Now.AddHours(-2), Now.AddHours(-2)), // older than the scale-up: ignored
                new ServingMember(Now.AddMinutes(-5), Now.AddMinutes(-2)),
                new ServingMember(Now.AddMinutes(-5), Now.AddMinutes(-3)),
            ],
        };

        var settled = ScalingPolicy.Settle(record, state, Now);

        Assert.Equal((false, Now.AddMinutes(-2)), (settled.ScaleUpPending, settled.LastScaleUpServedAt));
    }

    [Theory]
    [InlineData(3, 1)] // still launching
    [InlineData(2, 0)] // fewer serving than desired
    public void Settle_ScaleUpNotServedYet_StaysPending(int serving, int launching)
    {
        var record = Record(3) with { ScaleUpPending = true, LastScaleUpAt = Now.AddMinutes(-1) };

        var settled = ScalingPolicy.Settle(record, State(live: serving + launching, serving: serving, launching: launching), Now);

        Assert.True(settled.ScaleUpPending);
    }

    [Theory]
    [InlineData(2, 0, false, false, true)] // down to desired, nothing open: done
    [InlineData(3, 0, false, false, false)] // still above desired
    [InlineData(3, 0, false, true, true)] // above desired but the rest is protected: done
    [InlineData(2, 1, false, false, false)] // a member still being removed
    [InlineData(2, 0, true, false, false)] // a removal operation still open
    public void Settle_ScaleDown_DoneOnlyWhenRemovalsFinished(int live, int removing, bool removalOpen, bool blocked, bool done)
    {
        var record = Record(2) with { ScaleDownPending = true, LastScaleDownAt = Now.AddMinutes(-3) };
        var state = State(live: live, serving: live) with
        {
            Removing = removing,
            RemovalOpen = removalOpen,
            RemovalsBlocked = blocked,
            LastRemovalCompletedAt = Now.AddMinutes(-1),
        };

        var settled = ScalingPolicy.Settle(record, state, Now);

        Assert.Equal(!done, settled.ScaleDownPending);
        Assert.Equal(done ? Now.AddMinutes(-1) : (DateTimeOffset?)null, settled.LastScaleDownDoneAt);
    }

    [Fact]
    public void DownCooldownUntil_AfterBothAScaleUpAndAScaleDown_TheLaterWins()
    {
        var config = Pools.Web();
        var record = Record(3) with { LastScaleUpServedAt = Now.AddMinutes(-1), LastScaleDownDoneAt = Now.AddMinutes(-4) };

        Assert.Equal(Now.AddMinutes(-1) + config.ScaleDown.Cooldown, ScalingPolicy.DownCooldownUntil(config, record));
        Assert.Equal(Now.AddMinutes(-1) + config.ScaleUp.Cooldown, ScalingPolicy.UpCooldownUntil(config, record));
        Assert.Null(ScalingPolicy.DownCooldownUntil(config, Record(3)));
    }

    [Theory]
    [InlineData(3, 5, DecisionAction.ScaleUp, ScaleDirection.Up)]
    [InlineData(5, 3, DecisionAction.ScaleDown, ScaleDirection.Down)]
    [InlineData(4, 4, DecisionAction.None, ScaleDirection.Hold)]
    public void Manual_DesiredSetByHand_ChangesFromThePreviousSize(int previous, int desired, DecisionAction action, ScaleDirection direction)
    {
        var decision = ScalingPolicy.Manual("web", previous, desired, new PoolBounds(1, 10), 4, 3, Now);

        Assert.Equal((action, direction, Math.Abs(desired - previous)), (decision.Action, decision.Direction, decision.Delta));
        Assert.Equal((1, 10, $"manual: desired set to {desired}"), (decision.Min, decision.Max, decision.Reason));
    }

    [Fact]
    public void Apply_ScaleDown_EndsAPendingScaleUp()
    {
        var record = Record(5) with { ScaleUpPending = true };
        var decision = ScalingPolicy.Manual("web", 5, 3, new PoolBounds(1, 10), 5, 5, Now);

        var applied = ScalingPolicy.Apply(record, decision, Now);

        Assert.Equal((3, true, false, Now), (applied.Desired, applied.ScaleDownPending, applied.ScaleUpPending, applied.LastScaleDownAt));
    }

    private sealed record DecideCase(PoolRecord Record, PoolState State, Recommendation[] Recs, DecisionAction Action, SkipReason? Skip, int Desired, string Reason);

    // Pool min 2, max 10; up cooldown 60 s, down cooldown 300 s.
    private static readonly Dictionary<string, DecideCase> DecideCases = new(StringComparer.Ordinal)
    {
        ["no signals"] = new(Record(3), State(3, 3), [], DecisionAction.None, null, 3, "no signals"),
        ["below min"] = new(Record(1), State(1, 1), [], DecisionAction.ScaleUp, null, 2, "desired 1 is below the minimum 2"),
        ["above max"] = new(Record(12), State(12, 12), [], DecisionAction.ScaleDown, null, 10, "desired 12 is above the maximum 10"),
        ["up"] = new(Record(3), State(3, 3), [Up("a", 5)], DecisionAction.ScaleUp, null, 5, "a wants 5"),
        ["up capped at max"] = new(Record(3), State(3, 3), [Up("a", 15)], DecisionAction.ScaleUp, null, 10, "(capped at the maximum 10)"),
        ["up beats down"] = new(Record(3), State(3, 3), [Down("d", 2), Up("u", 4)], DecisionAction.ScaleUp, null, 4, "scale-up beats d"),
        ["highest up wins"] = new(Record(3), State(3, 3), [Up("a", 4), Up("b", 6), Up("c", 5)], DecisionAction.ScaleUp, null, 6, "b wants 6"),
        ["highest down wins"] = new(Record(6), State(6, 6), [Down("a", 3), Down("b", 5), Down("c", 4)], DecisionAction.ScaleDown, null, 5, "b wants 5"),
        ["up in cooldown"] = new(Record(3) with { LastScaleUpServedAt = Now.AddSeconds(-30) }, State(3, 3), [Up("a", 4)],
            DecisionAction.Hold, SkipReason.Cooldown, 3, "scale-up cooldown runs until"),
        ["up at max"] = new(Record(10), State(10, 10), [Up("a", 11)], DecisionAction.Hold, SkipReason.AtMax, 10, "the maximum is 10"),
        ["up already coming"] = new(Record(5), State(5, 3, launching: 2), [Up("a", 4)], DecisionAction.Hold, SkipReason.InFlight, 5, "already covers it (3 serving, 2 launching)"),
        ["down with missing data"] = new(Record(5), State(5, 5), [Down("a", 4), Missing("m")], DecisionAction.Hold, SkipReason.MissingData, 5, "m has no data"),
        ["down while launching"] = new(Record(5), State(5, 4, launching: 1), [Down("a", 4)], DecisionAction.Hold, SkipReason.InFlight, 5, "waiting for 1 launching"),
        ["down while removing"] = new(Record(5), State(5, 5) with { Removing = 1 }, [Down("a", 4)], DecisionAction.Hold, SkipReason.InFlight, 5, "still in progress"),
        ["down while pending"] = new(Record(5) with { ScaleDownPending = true }, State(5, 5), [Down("a", 4)], DecisionAction.Hold, SkipReason.InFlight, 5, "still in progress"),
        ["down after up served"] = new(Record(5) with { LastScaleUpServedAt = Now.AddMinutes(-2) }, State(5, 5), [Down("a", 4)],
            DecisionAction.Hold, SkipReason.Cooldown, 5, "scale-down cooldown runs until"),
        ["down below min"] = new(Record(2), State(2, 2), [Down("a", 1)], DecisionAction.Hold, SkipReason.AtMin, 2, "the minimum is 2"),
        ["down to min"] = new(Record(4), State(4, 4), [Down("a", 1)], DecisionAction.ScaleDown, null, 2, "a wants 1"),
        ["missing alone"] = new(Record(3), State(3, 3), [Missing("m")], DecisionAction.Hold, SkipReason.MissingData, 3, "m: no data"),
        ["holds only"] = new(Record(3), State(3, 3), [Rec("a", ScaleDirection.Hold, null)], DecisionAction.None, null, 3, "a: a says Hold"),
    };

    private static PoolRecord Record(int desired) => new() { Pool = "web", Desired = desired };

    private static PoolState State(int live, int serving = 0, int launching = 0) =>
        new() { Live = live, Serving = serving, Launching = launching };

    private static Recommendation Rec(string signal, ScaleDirection direction, int? desired) =>
        new() { Signal = signal, Direction = direction, Desired = desired, Reason = $"{signal} says {direction}" };

    private static Recommendation Up(string signal, int desired) => Rec(signal, ScaleDirection.Up, desired) with { Reason = $"{signal} wants {desired}" };

    private static Recommendation Down(string signal, int desired) => Rec(signal, ScaleDirection.Down, desired) with { Reason = $"{signal} wants {desired}" };

    private static Recommendation Missing(string signal) => Recommendation.Missing(signal, "no data");

    private static List<BoundsLimit> Limits(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            int? floor = null, ceiling = null;
            foreach (var piece in System.Text.RegularExpressions.Regex.Matches(part, "([fc])([0-9]+)").Cast<System.Text.RegularExpressions.Match>())
            {
                var n = int.Parse(piece.Groups[2].Value, CultureInfo.InvariantCulture);
                if (piece.Groups[1].Value == "f")
                {
                    floor = n;
                }
                else
                {
                    ceiling = n;
                }
            }

            return new BoundsLimit(part, floor, ceiling);
        }).ToList();
}

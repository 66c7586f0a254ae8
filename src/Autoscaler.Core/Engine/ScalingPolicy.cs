using System.Globalization;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Engine;

/// <summary>A min and/or max a signal imposes now (an active schedule window).</summary>
/// <param name="Source">The signal's name, for reasons.</param>
/// <param name="Floor">The minimum it imposes, or null.</param>
/// <param name="Ceiling">The maximum it imposes, or null.</param>
public readonly record struct BoundsLimit(string Source, int? Floor, int? Ceiling);

/// <summary>A pool's min and max once the active limits are applied.</summary>
/// <param name="Min">Effective minimum.</param>
/// <param name="Max">Effective maximum (never below <paramref name="Min"/>).</param>
public readonly record struct PoolBounds(int Min, int Max)
{
    /// <summary>True when <paramref name="size"/> lies within min..max.</summary>
    public bool Contains(int size) => size >= Min && size <= Max;
}

/// <summary>
/// The engine's decisions as pure functions of their inputs (configuration, journal record, <see cref="PoolState"/>,
/// recommendations, time): the effective bounds, the combination of recommendations into one <see cref="Decision"/>
/// (scale-up beats scale-down; among ups the highest desired wins, among downs the highest, i.e. the most
/// conservative), the cooldowns and when they start. <see cref="ScalingEngine"/> gathers the inputs, calls these and
/// acts; nothing here reads a clock, the cloud or the journal.
/// </summary>
public static class ScalingPolicy
{
    /// <summary>The limits the recommendations of one cycle impose.</summary>
    public static IReadOnlyList<BoundsLimit> LimitsOf(IEnumerable<Recommendation> recommendations)
    {
        ArgumentNullException.ThrowIfNull(recommendations);
        return recommendations
            .Where(r => r.MinFloor is not null || r.MaxCeiling is not null)
            .Select(r => new BoundsLimit(r.Signal, r.MinFloor, r.MaxCeiling))
            .ToList();
    }

    /// <summary>The configured <paramref name="min"/>/<paramref name="max"/> after the active limits: the highest
    /// floor raises the minimum, the highest ceiling replaces the maximum (a schedule may allow more than the pool's
    /// max), and the maximum never falls below the minimum.</summary>
    public static PoolBounds EffectiveBounds(int min, int max, IEnumerable<BoundsLimit> limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        int? ceiling = null;
        foreach (var limit in limits)
        {
            if (limit.Floor is { } floor)
            {
                min = Math.Max(min, floor);
            }

            if (limit.Ceiling is { } c)
            {
                ceiling = ceiling is { } highest ? Math.Max(highest, c) : c;
            }
        }

        return new PoolBounds(min, Math.Max(ceiling ?? max, min));
    }

    /// <summary>Without a journal record the cloud is the truth: the members there are kept (within bounds); the
    /// configured <c>desired</c> only sizes an empty pool.</summary>
    public static int InitialDesired(PoolConfig config, PoolState state)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(state);
        return Math.Clamp(state.Live > 0 ? state.Live : config.Desired ?? config.Min, config.Min, config.Max);
    }

    /// <summary>Moves the cooldown marks when the work they wait for is done: a scale-up once nothing launches and
    /// the desired size serves (at the moment the newest node turned UP); a scale-down once nothing is being removed
    /// and the pool is down to its desired size not counting kept members (they are scheduled to go at the end of
    /// their paid period, not pending work), or its removals are blocked (protected members can keep the pool
    /// above its desired size for good; that scale-down is then as done as it gets).</summary>
    public static PoolRecord Settle(PoolRecord record, PoolState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(state);
        if (record.ScaleUpPending && state.Launching == 0 && state.Serving >= record.Desired)
        {
            var since = record.LastScaleUpAt ?? DateTimeOffset.MinValue;
            DateTimeOffset? served = null;
            foreach (var m in state.ServingSince)
            {
                if (m.CreatedAt >= since && (served is null || m.UpSince > served))
                {
                    served = m.UpSince;
                }
            }

            var at = served is { } s && s <= now && s >= since ? s : now;
            record = record with { ScaleUpPending = false, LastScaleUpServedAt = at };
        }

        if (record.ScaleDownPending && state.Removing == 0 && (state.Live - state.Kept <= record.Desired || state.RemovalsBlocked) && !state.RemovalOpen)
        {
            var since = record.LastScaleDownAt ?? DateTimeOffset.MinValue;
            var done = state.LastRemovalCompletedAt is { } t && t >= since && t <= now ? t : now;
            record = record with { ScaleDownPending = false, LastScaleDownDoneAt = done };
        }

        return record;
    }

    /// <summary>One cycle's decision: bound by the effective min/max, then the winning recommendation gated by the
    /// direction's cooldown and the work in flight. A signal without data blocks every scale-down.</summary>
    public static Decision Decide(PoolConfig config, PoolRecord record, PoolState state, IReadOnlyList<Recommendation> recs, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(recs);
        var current = record.Desired;
        var limits = LimitsOf(recs);
        var (min, max) = EffectiveBounds(config.Min, config.Max, limits);
        var inputs = new LazyInputs(() =>
        {
            var merged = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var r in recs)
            {
                foreach (var (k, v) in r.Inputs)
                {
                    merged[$"{r.Signal}.{k}"] = v;
                }
            }

            return merged;
        });

        var decision = new Decision
        {
            Pool = config.Name,
            At = now,
            Current = state.Live,
            Serving = state.Serving,
            PreviousDesired = current,
            Desired = current,
            Min = min,
            Max = max,
            Action = DecisionAction.None,
            Reason = "",
            Recommendations = recs,
            Inputs = inputs,
        };

        Decision Change(int target, string reason) => decision with
        {
            Desired = target,
            Direction = target > current ? ScaleDirection.Up : ScaleDirection.Down,
            Action = target > current ? DecisionAction.ScaleUp : DecisionAction.ScaleDown,
            Delta = Math.Abs(target - current),
            Reason = reason,
        };

        Decision Hold(ScaleDirection direction, SkipReason skip, string reason) =>
            decision with { Direction = direction, Action = DecisionAction.Hold, Skip = skip, Reason = reason };

        if (current < min)
        {
            var floors = limits.Where(l => l.Floor is not null).Select(l => l.Source).ToList();
            var why = floors.Count > 0 && min > config.Min ? $" ({string.Join(", ", floors)} active)" : "";
            return Change(min, $"desired {current} is below the minimum {min}{why}");
        }

        if (current > max)
        {
            return Change(max, $"desired {current} is above the maximum {max}");
        }

        var missing = recs.FirstOrDefault(r => r.MissingData);
        var ups = recs.Where(r => r.Direction == ScaleDirection.Up && r.Desired is not null).ToList();
        var downs = recs.Where(r => r.Direction == ScaleDirection.Down && r.Desired is not null).ToList();
        if (ups.Count > 0)
        {
            var best = ups.OrderByDescending(r => r.Desired!.Value).First();
            var want = best.Desired!.Value;
            var target = Math.Clamp(want, min, max);
            if (target > current)
            {
                if (UpCooldownUntil(config, record) is { } until && now < until)
                {
                    return Hold(ScaleDirection.Up, SkipReason.Cooldown, $"{best.Signal} wants {want} but the scale-up cooldown runs until {Time(until)}");
                }

                var reason = best.Reason;
                if (want > max)
                {
                    reason += $" (capped at the maximum {max})";
                }

                if (downs.Count > 0)
                {
                    reason += $"; scale-up beats {string.Join(", ", downs.Select(d => d.Signal))}";
                }

                return Change(target, reason);
            }

            if (want > max && current >= max)
            {
                return Hold(ScaleDirection.Up, SkipReason.AtMax, $"{best.Signal} wants {want} but the maximum is {max}");
            }

            return Hold(ScaleDirection.Up, SkipReason.InFlight,
                $"{best.Signal} wants {want}; desired {current} already covers it ({state.Serving} serving, {state.Launching} launching)");
        }

        if (downs.Count > 0)
        {
            var best = downs.OrderByDescending(r => r.Desired!.Value).First();
            var want = best.Desired!.Value;
            var target = Math.Max(want, min);
            // A forecast that expects the members soon keeps them: releasing one to buy it back within the hour pays twice.
            var keep = recs.Where(r => r.KeepFloor is not null).MaxBy(r => r.KeepFloor!.Value);
            if (keep is not null && keep.KeepFloor!.Value > target)
            {
                target = Math.Min(keep.KeepFloor.Value, current);
                if (target >= current)
                {
                    return Hold(ScaleDirection.Down, SkipReason.Forecast, $"{best.Signal} wants {want} but {keep.Signal} expects {keep.KeepFloor} to be needed within the hour");
                }
            }

            if (missing is not null)
            {
                return Hold(ScaleDirection.Down, SkipReason.MissingData, $"{best.Signal} wants {want} but {missing.Signal} has no data: {missing.Reason}");
            }

            if (target >= current)
            {
                return want < min
                    ? Hold(ScaleDirection.Down, SkipReason.AtMin, $"{best.Signal} wants {want} but the minimum is {min}")
                    : decision with { Reason = best.Reason };
            }

            if (state.Launching > 0)
            {
                return Hold(ScaleDirection.Down, SkipReason.InFlight, $"{best.Signal} wants {want}; waiting for {state.Launching} launching instance(s)");
            }

            if (state.Removing > 0 || record.ScaleDownPending)
            {
                return Hold(ScaleDirection.Down, SkipReason.InFlight, $"{best.Signal} wants {want}; the previous scale-down is still in progress");
            }

            if (DownCooldownUntil(config, record) is { } until && now < until)
            {
                return Hold(ScaleDirection.Down, SkipReason.Cooldown, $"{best.Signal} wants {want} but the scale-down cooldown runs until {Time(until)}");
            }

            return Change(target, best.Reason);
        }

        if (missing is not null)
        {
            return Hold(ScaleDirection.Hold, SkipReason.MissingData, $"{missing.Signal}: {missing.Reason}");
        }

        return decision with
        {
            Reason = recs.Count == 0 ? "no signals" : string.Join("; ", recs.Select(r => $"{r.Signal}: {r.Reason}")),
        };
    }

    /// <summary>
    /// A scale-up held to the pool's monthly budget: <paramref name="projected"/> is the month's bill if every member
    /// now lives to the month's end, <paramref name="perInstance"/> what each instance created now adds. The scale-up
    /// keeps as many of its new instances as fit (never fewer than the effective min needs); when none fit it becomes
    /// a hold. Either way the decision says so, with <see cref="SkipReason.Budget"/>.
    /// </summary>
    public static Decision ApplyBudget(Decision decision, BudgetConfig budget, int live, decimal projected, decimal perInstance)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(budget);
        var added = Math.Max(0, decision.Desired - live);
        var limit = budget.MonthlyUsd;
        var full = projected + (added * perInstance);
        if (decision.Action != DecisionAction.ScaleUp || full <= limit)
        {
            return decision;
        }

        var fits = perInstance <= 0 ? added : (int)Math.Clamp(Math.Floor((limit - projected) / perInstance), 0, added);
        var allowed = Math.Max(live + fits, decision.Min);
        if (allowed >= decision.Desired)
        {
            return decision;
        }

        var why = $"budget: projected ${Money(full)} for the month would exceed ${Money(limit)} (pool '{decision.Pool}' budget.monthly_usd)";
        return CutScaleUp(decision, allowed, SkipReason.Budget, $"{decision.Reason}; refused: {why}", $"{decision.Reason}; cut to {allowed}: {why}");
    }

    /// <summary>A scale-up limited to <paramref name="allowed"/> by <paramref name="skip"/>: a hold at the previous
    /// desired size when nothing of it is left, else the smaller scale-up; the reason says which.</summary>
    public static Decision CutScaleUp(Decision decision, int allowed, SkipReason skip, string heldReason, string cutReason)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return allowed <= decision.PreviousDesired
            ? decision with
            {
                Desired = decision.PreviousDesired,
                Direction = ScaleDirection.Up,
                Action = DecisionAction.Hold,
                Delta = 0,
                Skip = skip,
                Reason = heldReason,
            }
            : decision with
            {
                Desired = allowed,
                Delta = allowed - decision.PreviousDesired,
                Skip = skip,
                Reason = cutReason,
            };
    }

    /// <summary>A desired size set by hand (<c>scale POOL --to N</c>): a change from <paramref name="previous"/>
    /// regardless of cooldowns, or a no-op when it is the same. The caller checks <paramref name="bounds"/> first.</summary>
    public static Decision Manual(string pool, int previous, int desired, PoolBounds bounds, int live, int serving, DateTimeOffset now)
    {
        var direction = desired > previous ? ScaleDirection.Up : desired < previous ? ScaleDirection.Down : ScaleDirection.Hold;
        return new Decision
        {
            Pool = pool,
            At = now,
            Current = live,
            Serving = serving,
            PreviousDesired = previous,
            Desired = desired,
            Min = bounds.Min,
            Max = bounds.Max,
            Direction = direction,
            Action = direction switch
            {
                ScaleDirection.Up => DecisionAction.ScaleUp,
                ScaleDirection.Down => DecisionAction.ScaleDown,
                _ => DecisionAction.None,
            },
            Delta = Math.Abs(desired - previous),
            Reason = $"manual: desired set to {desired}",
        };
    }

    /// <summary>The record after a decision is acted on: a change moves the desired size and opens its cooldown
    /// (a scale-down also ends a pending scale-up: that capacity is no longer wanted).</summary>
    public static PoolRecord Apply(PoolRecord record, Decision decision, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(decision);
        return decision.Action switch
        {
            DecisionAction.ScaleUp => record with { Desired = decision.Desired, LastScaleUpAt = now, ScaleUpPending = true },
            DecisionAction.ScaleDown => record with { Desired = decision.Desired, LastScaleDownAt = now, ScaleDownPending = true, ScaleUpPending = false },
            _ => record,
        };
    }

    /// <summary>No scale-up before this time: the scale-up cooldown after the last scale-up's capacity served.</summary>
    public static DateTimeOffset? UpCooldownUntil(PoolConfig config, PoolRecord record)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(record);
        return record.LastScaleUpServedAt + config.ScaleUp.Cooldown;
    }

    /// <summary>No scale-down before this time: the scale-down cooldown after the last scale-down finished or the
    /// last scale-up served, whichever came later (against flapping).</summary>
    public static DateTimeOffset? DownCooldownUntil(PoolConfig config, PoolRecord record)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(record);
        var afterDown = record.LastScaleDownDoneAt + config.ScaleDown.Cooldown;
        var afterUp = record.LastScaleUpServedAt + config.ScaleDown.Cooldown;
        return afterDown is null ? afterUp : afterUp is null ? afterDown : afterDown > afterUp ? afterDown : afterUp;
    }

    private static string Money(decimal usd) => usd.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.ToString("u", CultureInfo.InvariantCulture);
}

using System.Globalization;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autoscaler.Core.Engine;

/// <summary>
/// Sizes pools. Each cycle, per pool: snapshot the provider, let every signal recommend, combine (scale-up beats
/// scale-down; among ups the highest desired wins, among downs the highest, i.e. the most conservative), bound by the
/// effective min/max (schedules may raise the floor), gate by direction-aware cooldowns and in-flight work, record the
/// <see cref="Decision"/>, then let the pool's <see cref="Reconciler"/> act (unless dry-run).
/// <para>Cooldowns start when the work is done, not when it is asked for: the scale-up cooldown (and the scale-down
/// one, against flapping) from the moment the new capacity serves (nodes UP); the scale-down cooldown from the moment
/// the removals finished. A scale-down never delays a scale-up. While launches are in flight, a scale-up is only taken
/// when it asks for more than what is already coming, and no scale-down is taken. A signal without data blocks every
/// scale-down of its cycle.</para>
/// Deterministic for a given clock, inputs and <see cref="EngineServices.Random"/>; pools are evaluated one after the
/// other, and a pool never runs two cycles at once.
/// </summary>
public sealed partial class ScalingEngine
{
    private readonly Dictionary<string, PoolRuntime> _pools = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly EngineServices _services;
    private readonly ILogger _logger;

    /// <summary>Creates the engine; throws <see cref="ArgumentException"/> for duplicate pools or signals that lack
    /// their alert store or metric source.</summary>
    public ScalingEngine(IEnumerable<ScalingPool> pools, EngineServices services)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(services);
        _services = services;
        var factory = services.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = factory.CreateLogger<ScalingEngine>();
        var random = services.Random ?? Random.Shared;
        foreach (var pool in pools)
        {
            var name = pool.Config.Name;
            if (_pools.ContainsKey(name))
            {
                throw new ArgumentException($"pool '{name}' is given twice", nameof(pools));
            }

            var signals = pool.Signals ?? SignalFactory.Create(pool.Config, services.Alerts, services.Metrics);
            var reconciler = new Reconciler(pool.Config, pool.Instances, services.Journal, services.DecisionLog, services.Time, random, factory.CreateLogger<Reconciler>());
            _pools[name] = new PoolRuntime(pool.Config, pool.Instances, reconciler, signals) { DryRun = services.DryRun };
            _order.Add(name);
        }
    }

    /// <summary>Pool names in configuration order.</summary>
    public IReadOnlyList<string> Pools => _order;

    /// <summary>True when the engine was started to only decide and record (<see cref="EngineServices.DryRun"/>);
    /// <see cref="IsDryRun"/> tells a pool's current mode.</summary>
    public bool DryRun => _services.DryRun;

    /// <summary>True when <paramref name="pool"/> is in dry-run mode now: its decisions are recorded, not acted on.</summary>
    public bool IsDryRun(string pool) => Get(pool).DryRun;

    /// <summary>Switches a pool's dry-run mode at run time (e.g. from the dashboard); a cycle in progress finishes in
    /// the mode it started with.</summary>
    public void SetDryRun(string pool, bool enabled) => Get(pool).DryRun = enabled;

    /// <summary>Runs one cycle of every pool (and prunes old alerts); a failing pool does not stop the others.</summary>
    public async Task<IReadOnlyList<Decision>> RunCycleAsync(CancellationToken cancellationToken)
    {
        _services.Alerts?.Prune();
        var decisions = new List<Decision>(_order.Count);
        foreach (var name in _order)
        {
            decisions.Add(await RunPoolCycleAsync(name, cancellationToken).ConfigureAwait(false));
        }

        return decisions;
    }

    /// <summary>Runs one cycle of one pool: observe, decide, record, reconcile.</summary>
    public async Task<Decision> RunPoolCycleAsync(string pool, CancellationToken cancellationToken)
    {
        var rt = Get(pool);
        await rt.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CycleAsync(rt, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            rt.Gate.Release();
        }
    }

    /// <summary>Sets a pool's desired size by hand (e.g. <c>scale POOL --to N</c>), within the effective min/max and
    /// regardless of cooldowns; the cooldowns then start from this change as from any other.</summary>
    public async Task<SetDesiredResult> SetDesiredAsync(string pool, int desired, CancellationToken cancellationToken)
    {
        if (!_pools.TryGetValue(pool, out var rt))
        {
            return new SetDesiredResult(false, $"unknown pool '{pool}'", null);
        }

        await rt.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _services.Time.GetUtcNow();
            var dryRun = rt.DryRun;
            var (min, max) = ScheduleBounds(rt, now);
            if (desired < min || desired > max)
            {
                return new SetDesiredResult(false, $"desired {desired} is outside min..max ({min}..{max}) of pool '{pool}'", null);
            }

            var record = rt.Record ?? await _services.Journal.GetPoolAsync(pool, cancellationToken).ConfigureAwait(false)
                ?? new PoolRecord { Pool = pool, Desired = desired };
            var previous = record.Desired;
            var direction = desired > previous ? ScaleDirection.Up : desired < previous ? ScaleDirection.Down : ScaleDirection.Hold;
            var action = direction switch
            {
                ScaleDirection.Up => DecisionAction.ScaleUp,
                ScaleDirection.Down => DecisionAction.ScaleDown,
                _ => DecisionAction.None,
            };
            if (dryRun && action != DecisionAction.None)
            {
                action = DecisionAction.DryRun;
            }

            var decision = new Decision
            {
                Pool = pool,
                At = now,
                Current = rt.View?.Live ?? 0,
                Serving = rt.View?.Serving ?? 0,
                PreviousDesired = previous,
                Desired = desired,
                Min = min,
                Max = max,
                Direction = direction,
                Action = action,
                Delta = Math.Abs(desired - previous),
                Skip = action == DecisionAction.DryRun ? SkipReason.DryRun : null,
                Reason = $"manual: desired set to {desired}",
            };
            if (!dryRun)
            {
                record = Apply(record, decision, now);
                await SaveRecordAsync(rt, record, cancellationToken).ConfigureAwait(false);
            }

            await RecordAsync(rt, decision, cancellationToken).ConfigureAwait(false);
            return new SetDesiredResult(true, decision.Reason, decision);
        }
        finally
        {
            rt.Gate.Release();
        }
    }

    /// <summary>The pool's current state.</summary>
    public PoolStatus GetStatus(string pool)
    {
        var rt = Get(pool);
        lock (rt.CountersLock)
        {
            var record = rt.Record;
            return new PoolStatus
            {
                Pool = pool,
                Desired = record?.Desired,
                Min = rt.Config.Min,
                Max = rt.Config.Max,
                View = rt.View,
                ScaleUpCooldownUntil = record is null ? null : UpCooldownUntil(rt.Config, record),
                ScaleDownCooldownUntil = record is null ? null : DownCooldownUntil(rt.Config, record),
                LastDecision = rt.LastDecision,
                Operations = rt.Reconciler.OpenOperations,
                Counters = rt.Counters with { Skips = new Dictionary<SkipReason, long>(rt.Skips) },
            };
        }
    }

    private async Task<Decision> CycleAsync(PoolRuntime rt, CancellationToken ct)
    {
        var name = rt.Config.Name;
        var now = _services.Time.GetUtcNow();
        var dryRun = rt.DryRun;
        PoolSnapshot snapshot;
        try
        {
            snapshot = await rt.Instances.SnapshotAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
        {
            lock (rt.CountersLock)
            {
                rt.Counters = rt.Counters with { EvaluationErrors = rt.Counters.EvaluationErrors + 1 };
            }

            var desired = rt.Record?.Desired ?? 0;
            var failed = new Decision
            {
                Pool = name,
                At = now,
                Current = rt.View?.Live ?? 0,
                Serving = rt.View?.Serving ?? 0,
                PreviousDesired = desired,
                Desired = desired,
                Min = rt.Config.Min,
                Max = rt.Config.Max,
                Action = DecisionAction.Hold,
                Skip = SkipReason.SnapshotFailed,
                Reason = $"cannot read the pool: {ex.GetType().Name}: {ex.Message}",
            };
            await RecordAsync(rt, failed, ct).ConfigureAwait(false);
            return failed;
        }

        var view = await rt.Reconciler.ObserveAsync(snapshot, ct).ConfigureAwait(false);
        rt.View = view;
        var record = rt.Record ?? await _services.Journal.GetPoolAsync(name, ct).ConfigureAwait(false)
            ?? new PoolRecord { Pool = name, Desired = InitialDesired(rt.Config, view) };
        record = Settle(rt, record, view, now);
        await SaveRecordAsync(rt, record, ct).ConfigureAwait(false);

        var context = new SignalContext(name, now, record.Desired, view.Live, view.Serving, view.Launching, rt.Config.Min, rt.Config.Max);
        var recommendations = new List<Recommendation>(rt.Signals.Count);
        foreach (var signal in rt.Signals)
        {
            try
            {
                recommendations.Add(await signal.EvaluateAsync(context, ct).ConfigureAwait(false));
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                lock (rt.CountersLock)
                {
                    rt.Counters = rt.Counters with { EvaluationErrors = rt.Counters.EvaluationErrors + 1 };
                }

                recommendations.Add(Recommendation.Missing(signal.Name, $"signal failed: {ex.GetType().Name}: {ex.Message}"));
            }
        }

        var decision = Decide(rt.Config, record, view, recommendations, now);
        if (dryRun && decision.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown)
        {
            decision = decision with { Action = DecisionAction.DryRun, Skip = SkipReason.DryRun, Reason = "dry run: " + decision.Reason };
        }
        else
        {
            record = Apply(record, decision, now);
            await SaveRecordAsync(rt, record, ct).ConfigureAwait(false);
        }

        await RecordAsync(rt, decision, ct).ConfigureAwait(false);
        if (!dryRun)
        {
            var result = await rt.Reconciler.ReconcileAsync(view, record.Desired, decision.Min, ct).ConfigureAwait(false);
            rt.RemovalsBlocked = result.Blocked > 0;
            lock (rt.CountersLock)
            {
                rt.Counters = rt.Counters with
                {
                    Launched = rt.Counters.Launched + result.Launched,
                    Removed = rt.Counters.Removed + result.Removed,
                    OrphansRemoved = rt.Counters.OrphansRemoved + result.OrphansRemoved,
                    OperationFailures = rt.Counters.OperationFailures + result.Failures,
                };
            }
        }

        return decision;
    }

    /// <summary>Without a journal record the cloud is the truth: the members there are kept (within bounds); the
    /// configured <c>desired</c> only sizes an empty pool.</summary>
    private static int InitialDesired(PoolConfig config, PoolView view) =>
        Math.Clamp(view.Live > 0 ? view.Live : config.Desired ?? config.Min, config.Min, config.Max);

    /// <summary>Moves the cooldown marks when the work they wait for is done.</summary>
    private static PoolRecord Settle(PoolRuntime rt, PoolRecord record, PoolView view, DateTimeOffset now)
    {
        if (record.ScaleUpPending && view.Launching == 0 && view.Serving >= record.Desired)
        {
            var since = record.LastScaleUpAt ?? DateTimeOffset.MinValue;
            DateTimeOffset? served = null;
            foreach (var m in view.Members)
            {
                if (m.Lifecycle == MemberLifecycle.Serving && m.Member.CreatedAt >= since && m.Member.Node?.StatusSince is { } up
                    && (served is null || up > served))
                {
                    served = up;
                }
            }

            var at = served is { } s && s <= now && s >= since ? s : now;
            record = record with { ScaleUpPending = false, LastScaleUpServedAt = at };
        }

        // Protected members can keep the pool above its desired size for good; that scale-down is then as done as it gets.
        if (record.ScaleDownPending && view.Removing == 0 && (view.Live <= record.Desired || rt.RemovalsBlocked)
            && !rt.Reconciler.OpenOperations.Any(o => o.Kind == OperationKind.Remove))
        {
            var since = record.LastScaleDownAt ?? DateTimeOffset.MinValue;
            var done = rt.Reconciler.LastRemovalCompletedAt is { } t && t >= since && t <= now ? t : now;
            record = record with { ScaleDownPending = false, LastScaleDownDoneAt = done };
        }

        return record;
    }

    private static Decision Decide(PoolConfig config, PoolRecord record, PoolView view, List<Recommendation> recs, DateTimeOffset now)
    {
        var current = record.Desired;
        var floors = recs.Where(r => r.MinFloor is not null).ToList();
        var ceilings = recs.Where(r => r.MaxCeiling is not null).ToList();
        var min = Math.Max(config.Min, floors.Count == 0 ? 0 : floors.Max(r => r.MinFloor!.Value));
        var max = ceilings.Count == 0 ? config.Max : ceilings.Max(r => r.MaxCeiling!.Value);
        if (min > max)
        {
            max = min;
        }

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
            Current = view.Live,
            Serving = view.Serving,
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
            var why = floors.Count > 0 && min > config.Min ? $" ({string.Join(", ", floors.Select(f => f.Signal))} active)" : "";
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
                $"{best.Signal} wants {want}; desired {current} already covers it ({view.Serving} serving, {view.Launching} launching)");
        }

        if (downs.Count > 0)
        {
            var best = downs.OrderByDescending(r => r.Desired!.Value).First();
            var want = best.Desired!.Value;
            var target = Math.Max(want, min);
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

            if (view.Launching > 0)
            {
                return Hold(ScaleDirection.Down, SkipReason.InFlight, $"{best.Signal} wants {want}; waiting for {view.Launching} launching instance(s)");
            }

            if (view.Removing > 0 || record.ScaleDownPending)
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

    private static PoolRecord Apply(PoolRecord record, Decision decision, DateTimeOffset now) => decision.Action switch
    {
        DecisionAction.ScaleUp => record with { Desired = decision.Desired, LastScaleUpAt = now, ScaleUpPending = true },
        DecisionAction.ScaleDown => record with { Desired = decision.Desired, LastScaleDownAt = now, ScaleDownPending = true, ScaleUpPending = false },
        _ => record,
    };

    private static DateTimeOffset? UpCooldownUntil(PoolConfig config, PoolRecord record) =>
        record.LastScaleUpServedAt + config.ScaleUp.Cooldown;

    private static DateTimeOffset? DownCooldownUntil(PoolConfig config, PoolRecord record)
    {
        var afterDown = record.LastScaleDownDoneAt + config.ScaleDown.Cooldown;
        var afterUp = record.LastScaleUpServedAt + config.ScaleDown.Cooldown;
        return afterDown is null ? afterUp : afterUp is null ? afterDown : afterDown > afterUp ? afterDown : afterUp;
    }

    private static (int Min, int Max) ScheduleBounds(PoolRuntime rt, DateTimeOffset now)
    {
        var min = rt.Config.Min;
        int? max = null;
        foreach (var signal in rt.Signals.OfType<IBoundsSignal>())
        {
            if (signal.BoundsAt(now) is { } bounds)
            {
                min = Math.Max(min, bounds.Min ?? 0);
                max = bounds.Max is { } m ? Math.Max(max ?? 0, m) : max;
            }
        }

        var effectiveMax = Math.Max(max ?? rt.Config.Max, min);
        return (min, effectiveMax);
    }

    private async Task SaveRecordAsync(PoolRuntime rt, PoolRecord record, CancellationToken ct)
    {
        if (rt.Record != record)
        {
            await _services.Journal.SavePoolAsync(record, ct).ConfigureAwait(false);
            lock (rt.CountersLock)
            {
                rt.Record = record;
            }
        }
    }

    private async Task RecordAsync(PoolRuntime rt, Decision decision, CancellationToken ct)
    {
        lock (rt.CountersLock)
        {
            rt.LastDecision = decision;
            if (decision.Skip is { } skip)
            {
                rt.Skips[skip] = rt.Skips.GetValueOrDefault(skip) + 1;
            }

            if (decision.Action == DecisionAction.ScaleUp)
            {
                rt.Counters = rt.Counters with { ScaleUps = rt.Counters.ScaleUps + 1 };
            }
            else if (decision.Action == DecisionAction.ScaleDown)
            {
                rt.Counters = rt.Counters with { ScaleDowns = rt.Counters.ScaleDowns + 1 };
            }
        }

        if (decision.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown or DecisionAction.DryRun)
        {
            LogChange(decision.Pool, decision.Action, decision.PreviousDesired, decision.Desired, decision.Reason);
        }
        else if (decision.Skip is not null)
        {
            LogHold(decision.Pool, decision.Skip.Value, decision.Reason);
        }

        await _services.DecisionLog.RecordDecisionAsync(decision, ct).ConfigureAwait(false);
    }

    private PoolRuntime Get(string pool) =>
        _pools.TryGetValue(pool, out var rt) ? rt : throw new ArgumentException($"unknown pool '{pool}'", nameof(pool));

    private static string Time(DateTimeOffset t) => t.ToString("u", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "pool {Pool}: {Action} {From} → {To}: {Reason}")]
    private partial void LogChange(string pool, DecisionAction action, int from, int to, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "pool {Pool}: hold ({Skip}): {Reason}")]
    private partial void LogHold(string pool, SkipReason skip, string reason);

    private sealed class PoolRuntime(PoolConfig config, IInstancePool instances, Reconciler reconciler, IReadOnlyList<IScalingSignal> signals)
    {
        public PoolConfig Config { get; } = config;

        public IInstancePool Instances { get; } = instances;

        public Reconciler Reconciler { get; } = reconciler;

        public IReadOnlyList<IScalingSignal> Signals { get; } = signals;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public Lock CountersLock { get; } = new();

        public PoolRecord? Record { get; set; }

        public PoolView? View { get; set; }

        public bool RemovalsBlocked { get; set; }

        // Read by the loop, written by the API: a plain volatile flag is enough, each cycle reads it once.
        private volatile bool _dryRun;

        public bool DryRun
        {
            get => _dryRun;
            set => _dryRun = value;
        }

        public Decision? LastDecision { get; set; }

        public PoolCounters Counters { get; set; } = new();

        public Dictionary<SkipReason, long> Skips { get; } = [];
    }
}

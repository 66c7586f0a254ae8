using Autoscaler.Core.Audit;
using Autoscaler.Core.Billing;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autoscaler.Core.Engine;

/// <summary>
/// Sizes pools. Each cycle, per pool: snapshot the provider, let the pool's <see cref="Reconciler"/> interpret it and
/// hand over its <see cref="PoolState"/>, let every signal recommend, let <see cref="ScalingPolicy"/> decide (combine,
/// bound by the effective min/max, gate by direction-aware cooldowns and in-flight work), record the
/// <see cref="Decision"/>, then let the reconciler act (unless dry-run). The engine gathers inputs and acts; every rule
/// of the decision is in <see cref="ScalingPolicy"/>.
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
        Ledger = services.BillingLedger ?? new InMemoryBillingLedger();
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

            var signals = pool.Signals ?? SignalFactory.Create(pool.Config, services.Alerts, services.Metrics, services.History);
            var reconciler = new Reconciler(pool.Config, pool.Instances, services.Journal, services.DecisionLog, services.Time, random, factory.CreateLogger<Reconciler>(), Ledger);
            _pools[name] = new PoolRuntime(pool.Config, pool.Instances, reconciler, signals) { DryRun = services.DryRun };
            _order.Add(name);
        }
    }

    /// <summary>Where the lifetimes of deleted members are kept (<see cref="EngineServices.BillingLedger"/>, or the
    /// engine's own in-memory one).</summary>
    public IBillingLedger Ledger { get; }

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
            var bounds = Bounds(rt, now);
            if (!bounds.Contains(desired))
            {
                return new SetDesiredResult(false, $"desired {desired} is outside min..max ({bounds.Min}..{bounds.Max}) of pool '{pool}'", null);
            }

            var record = rt.Record ?? await _services.Journal.GetPoolAsync(pool, cancellationToken).ConfigureAwait(false)
                ?? new PoolRecord { Pool = pool, Desired = desired };
            var decision = ScalingPolicy.Manual(pool, record.Desired, desired, bounds, rt.View?.Live ?? 0, rt.View?.Serving ?? 0, now);
            if (dryRun && decision.Action != DecisionAction.None)
            {
                decision = decision with { Action = DecisionAction.DryRun, Skip = SkipReason.DryRun };
            }

            if (!dryRun)
            {
                record = ScalingPolicy.Apply(record, decision, now);
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

    /// <summary>The pool's current state; its min and max are the effective ones now (an active schedule's).</summary>
    public PoolStatus GetStatus(string pool)
    {
        var rt = Get(pool);
        var bounds = Bounds(rt, _services.Time.GetUtcNow());
        lock (rt.CountersLock)
        {
            var record = rt.Record;
            return new PoolStatus
            {
                Pool = pool,
                Desired = record?.Desired,
                Min = bounds.Min,
                Max = bounds.Max,
                View = rt.View,
                ScaleUpCooldownUntil = record is null ? null : ScalingPolicy.UpCooldownUntil(rt.Config, record),
                ScaleDownCooldownUntil = record is null ? null : ScalingPolicy.DownCooldownUntil(rt.Config, record),
                LastDecision = rt.LastDecision,
                Operations = rt.Reconciler.OpenOperations,
                LaunchesWaiting = rt.LaunchesWaiting.Count,
                LaunchesWaitingFor = rt.LaunchesWaiting.For,
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
            var bounds = Bounds(rt, now);
            var failed = new Decision
            {
                Pool = name,
                At = now,
                Current = rt.View?.Live ?? 0,
                Serving = rt.View?.Serving ?? 0,
                PreviousDesired = desired,
                Desired = desired,
                Min = bounds.Min,
                Max = bounds.Max,
                Action = DecisionAction.Hold,
                Skip = SkipReason.SnapshotFailed,
                Reason = $"cannot read the pool: {ex.GetType().Name}: {ex.Message}",
            };
            await RecordAsync(rt, failed, ct).ConfigureAwait(false);
            return failed;
        }

        var view = await rt.Reconciler.ObserveAsync(snapshot, ct).ConfigureAwait(false);
        var state = rt.Reconciler.StateOf(view);
        rt.View = view;
        var record = rt.Record;
        if (record is null)
        {
            // The first evaluation after a start: say where the desired size came from, so a restart is explainable.
            record = await _services.Journal.GetPoolAsync(name, ct).ConfigureAwait(false);
            if (record is not null)
            {
                LogRestored(name, record.Desired);
            }
            else
            {
                record = new PoolRecord { Pool = name, Desired = ScalingPolicy.InitialDesired(rt.Config, state) };
                LogInitial(name, record.Desired, view.Live, rt.Config.Min, rt.Config.Max);
            }
        }

        record = ScalingPolicy.Settle(record, state, now);
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

        var decision = ScalingPolicy.Decide(rt.Config, record, state, recommendations, now);
        if (rt.Config.ScaleDown.Billing == BillingMode.Hourly && snapshot.Billing is { } billing && rt.Config.ScaleUp.BillingHold > TimeSpan.Zero)
        {
            // A hold longer than a fraction of the period would cost more in missed need than it saves (a demo's 30 s
            // period holds for 7.5 s, Linode's hour for the configured 45 s).
            var hold = TimeSpan.FromTicks(Math.Min(rt.Config.ScaleUp.BillingHold.Ticks, billing.Period.Ticks / 4));
            rt.Wanted.Add((now, decision.Desired));
            var keepFrom = now - hold;
            var old = rt.Wanted.FindLastIndex(w => w.At <= keepFrom);
            if (old > 0)
            {
                // The newest entry at or before the window's start stays: it shows the history reaches back that far.
                rt.Wanted.RemoveRange(0, old);
            }

            decision = BillingHold.Apply(decision, view.Live, hold, rt.Wanted, now);
        }

        if (decision.Action == DecisionAction.ScaleUp && rt.Config.Budget is { } budget && snapshot.Billing is { } terms)
        {
            decision = await ApplyBudgetAsync(rt, decision, snapshot, terms, budget, now, ct).ConfigureAwait(false);
        }
        if (dryRun && decision.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown)
        {
            decision = decision with { Action = DecisionAction.DryRun, Skip = SkipReason.DryRun, Reason = "dry run: " + decision.Reason };
        }
        else
        {
            record = ScalingPolicy.Apply(record, decision, now);
            await SaveRecordAsync(rt, record, ct).ConfigureAwait(false);
        }

        await RecordAsync(rt, decision, ct).ConfigureAwait(false);
        if (!dryRun)
        {
            var result = await rt.Reconciler.ReconcileAsync(view, record.Desired, decision.Min, ct).ConfigureAwait(false);
            lock (rt.CountersLock)
            {
                rt.View = rt.Reconciler.Refresh(view);
                rt.LaunchesWaiting = (result.LaunchesWaiting, result.LaunchesWaitingFor);
                rt.Counters = rt.Counters with
                {
                    TakenBack = rt.Counters.TakenBack + result.TakenBack,
                    Launched = rt.Counters.Launched + result.Launched,
                    Removed = rt.Counters.Removed + result.Removed,
                    OrphansRemoved = rt.Counters.OrphansRemoved + result.OrphansRemoved,
                    OperationFailures = rt.Counters.OperationFailures + result.Failures,
                };
            }
        }

        return decision;
    }

    /// <summary>The month's projection for the budget: what the pool's deleted members (the ledger) and its members
    /// now (each to the month's end) come to, and what one more instance from now adds; the policy cuts the scale-up.</summary>
    private async Task<Decision> ApplyBudgetAsync(PoolRuntime rt, Decision decision, PoolSnapshot snapshot, BillingTerms terms, BudgetConfig budget, DateTimeOffset now, CancellationToken ct)
    {
        var model = terms.Model;
        var ended = await Ledger.DeletedSinceAsync(rt.Config.Name, HourlyBilling.MonthStart(now), ct).ConfigureAwait(false);
        var lives = new List<Lifetime>(ended.Count + snapshot.Members.Count);
        lives.AddRange(ended.Select(e => new Lifetime(e.Created, e.Deleted)));
        lives.AddRange(snapshot.Members.Select(m => new Lifetime(m.CreatedAt)));
        var projected = model.ProjectedMonth(lives, now);
        var perInstance = model.ProjectedMonth([new Lifetime(now)], now);
        return ScalingPolicy.ApplyBudget(decision, budget, rt.View?.Live ?? 0, projected, perInstance);
    }

    /// <summary>The effective bounds outside a cycle (manual changes, status): those of the schedules active at
    /// <paramref name="now"/>, the only signals whose limits are known without evaluating them.</summary>
    private static PoolBounds Bounds(PoolRuntime rt, DateTimeOffset now) =>
        ScalingPolicy.EffectiveBounds(rt.Config.Min, rt.Config.Max, rt.Signals
            .OfType<IBoundsSignal>()
            .Select(s => (s.Name, Bounds: s.BoundsAt(now)))
            .Where(b => b.Bounds is not null)
            .Select(b => new BoundsLimit(b.Name, b.Bounds!.Value.Min, b.Bounds!.Value.Max)));

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

    private sealed class PoolRuntime(PoolConfig config, IInstancePool instances, Reconciler reconciler, IReadOnlyList<IScalingSignal> signals)
    {
        public PoolConfig Config { get; } = config;

        public IInstancePool Instances { get; } = instances;

        public Reconciler Reconciler { get; } = reconciler;

        public IReadOnlyList<IScalingSignal> Signals { get; } = signals;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>What each recent cycle wanted, for <see cref="BillingHold"/>.</summary>
        public List<(DateTimeOffset At, int Wanted)> Wanted { get; } = [];

        public Lock CountersLock { get; } = new();

        public PoolRecord? Record { get; set; }

        public PoolView? View { get; set; }

        /// <summary>The last pass's launches held by the cloud's create limit, and why.</summary>
        public (int Count, string? For) LaunchesWaiting { get; set; }

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

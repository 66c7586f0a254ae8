using Autoscaler.Core.Providers.Virtual;
using System.Diagnostics;
using Autoscaler.Core;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Billing;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals.Alerts;
using Autoscaler.Core.Signals.Forecast;

namespace Autoscaler.Simulation;

/// <summary>A policy to backtest: a name and the pool configuration the engine runs with.</summary>
/// <param name="Name">Shown in the report.</param>
/// <param name="Pool">The pool as the engine sees it (bounds, cooldowns, signals).</param>
public sealed record SimulationPolicy(string Name, PoolConfig Pool)
{
    /// <summary>The configuration's own pool, as it is.</summary>
    public const string TargetTrackingName = "target-tracking";

    /// <summary>The configuration's own pool with scale-down billing awareness off.</summary>
    public const string TargetTrackingUnawareName = "target-tracking-unaware";

    /// <summary>The configuration's own pool plus a forecast of the load.</summary>
    public const string TargetTrackingForecastName = "target-tracking-forecast";

    /// <summary>The reference architecture's CPU alerts.</summary>
    public const string SeedThresholdName = "seed-threshold";

    /// <summary>The cheapest bill that never misses the SLO (perfect foresight, exact).</summary>
    public const string OracleName = "oracle";

    /// <summary>The previous reference: perfect foresight at the target utilisation, launching and removing every row.</summary>
    public const string OracleAtTargetName = "oracle-at-target";

    /// <summary>The configuration's pool exactly as written.</summary>
    public static SimulationPolicy TargetTracking(PoolConfig pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return new SimulationPolicy(TargetTrackingName, pool);
    }

    /// <summary>
    /// The configuration's pool with a forecast signal added (unless it has one): the load's forecast
    /// <see cref="ForecastLead"/> ahead, at what one member carries halfway between the target and the SLO's
    /// utilisation, read from the trace's past.
    /// </summary>
    public static SimulationPolicy TargetTrackingForecast(PoolConfig pool, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(options);
        if (pool.Signals.Any(s => s is ForecastConfig))
        {
            return new SimulationPolicy(TargetTrackingForecastName, pool);
        }

        var prometheus = pool.Signals.Select(s => s.Metric?.Prometheus).FirstOrDefault(u => u is not null) ?? new Uri("http://127.0.0.1:9090");
        var forecast = new ForecastConfig
        {
            Index = pool.Signals.Count,
            Prometheus = prometheus,
            Query = "the trace's request rate",
            // The forecast is an upper quantile already: it sizes for halfway between the target and the SLO's
            // utilisation, and target tracking keeps the target when the load runs above the forecast.
            PerInstance = options.InstanceCapacity * (options.TargetUtilization + options.SloUtilization) / 2,
            Lead = ForecastLead(pool, options),
        };
        return new SimulationPolicy(TargetTrackingForecastName, pool with { Signals = [.. pool.Signals, forecast] });
    }

    /// <summary>How far ahead the forecast looks in a backtest: boot + health check + the scale-up billing hold + a minute.</summary>
    public static TimeSpan ForecastLead(PoolConfig pool, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(options);
        return options.BootTime + options.HealthCheckDelay + pool.ScaleUp.BillingHold + TimeSpan.FromMinutes(1);
    }

    /// <summary>The configuration's pool as <see cref="WithoutBilling"/> makes it: what the billing-aware engine saves
    /// shows against this row.</summary>
    public static SimulationPolicy TargetTrackingUnaware(PoolConfig pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return new SimulationPolicy(TargetTrackingUnawareName, WithoutBilling(pool));
    }

    /// <summary>
    /// The pool with scale-down billing awareness off (<c>scale_down.billing: none</c>: a scale-down removes at once,
    /// whatever is left of the paid hour): the engine as it was before billing awareness, the row billing awareness is
    /// measured against.
    /// </summary>
    public static PoolConfig WithoutBilling(PoolConfig pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return pool with { ScaleDown = pool.ScaleDown with { Billing = BillingMode.None } };
    }

    /// <summary>The reference architecture on the same pool: step ±1 while PoolCpuHigh / PoolCpuLow fire, with the
    /// pool's bounds, cooldowns, health and drain settings (its own signals replaced).</summary>
    public static SimulationPolicy SeedThreshold(PoolConfig pool, CpuAlertRules rules)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(rules);
        return new SimulationPolicy(SeedThresholdName, pool with
        {
            ScaleUp = pool.ScaleUp with { Step = 1, StepPercent = null },
            // The reference architecture's executor deletes at once: it knows nothing of paid hours.
            ScaleDown = pool.ScaleDown with { Step = 1, Billing = BillingMode.None },
            Signals =
            [
                new AlertSignalConfig { Index = 0, AlertName = rules.HighAlert, Action = ScaleDirection.Up },
                new AlertSignalConfig { Index = 1, AlertName = rules.LowAlert, Action = ScaleDirection.Down },
            ],
        });
    }
}

/// <summary>What to backtest.</summary>
public sealed record SimulationRequest
{
    /// <summary>The load to replay (already scaled).</summary>
    public required LoadTrace Load { get; init; }

    /// <summary>The pool, as configured.</summary>
    public required PoolConfig Pool { get; init; }

    /// <summary>The engine's <c>evaluation_interval</c>.</summary>
    public TimeSpan EvaluationInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The configuration's <c>alerts</c> section (how long the engine believes a firing alert).</summary>
    public AlertsConfig Alerts { get; init; } = new();

    /// <summary>The model.</summary>
    public required SimulationOptions Options { get; init; }

    /// <summary>Policies to run; null: <c>target-tracking</c> (the pool as configured), <c>target-tracking-unaware</c>
    /// <c>seed-threshold</c> and <c>target-tracking-forecast</c>.</summary>
    public IReadOnlyList<SimulationPolicy>? Policies { get; init; }
}

/// <summary>
/// Backtests scaling policies on a request-rate trace. Each policy runs the real <see cref="ScalingEngine"/> (signals,
/// bounds, cooldowns, <see cref="Reconciler"/>) against a <see cref="VirtualCloud"/> on a virtual clock, fed by a model
/// of the monitoring pipeline (Prometheus scrapes, the pool CPU rule and the alert rules with their <c>for</c>,
/// Alertmanager grouping and repeats). The oracles are computed directly. Every instance's life is recorded and billed
/// as Linode bills (<see cref="HourlyBilling"/>). Deterministic: the same inputs give the same report.
/// </summary>
public static partial class Simulator
{
    /// <summary>The factor that makes the trace's peak need exactly <paramref name="instances"/> instances at the
    /// target utilisation: instances × capacity × target / peak.</summary>
    public static double ScaleForPeakInstances(LoadTrace trace, int instances, double capacity, double targetUtilization)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentOutOfRangeException.ThrowIfLessThan(instances, 1);
        var peak = trace.Peak;
        if (peak <= 0)
        {
            throw new ArgumentException("the trace has no load at all, so it cannot be scaled to a peak", nameof(trace));
        }

        return instances * capacity * targetUtilization / peak;
    }

    /// <summary>Runs every policy and the oracle.</summary>
    public static async Task<SimulationReport> RunAsync(SimulationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = request.Options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(request));
        }

        if (request.EvaluationInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("the evaluation interval must be positive", nameof(request));
        }

        var billing = Billing(request.Options);
        var load = request.Load;
        // Throws when the billing period is not a whole number of the trace's steps (the oracle's time line).
        OracleProblem.PeriodStepsOf(billing.Period, load.Step);
        var policies = request.Policies ??
        [
            SimulationPolicy.TargetTracking(request.Pool),
            SimulationPolicy.TargetTrackingUnaware(request.Pool),
            SimulationPolicy.SeedThreshold(request.Pool, request.Options.AlertRules),
            SimulationPolicy.TargetTrackingForecast(request.Pool, request.Options),
        ];

        // A policy whose pool is the very pool of an earlier one would replay it exactly (runs are deterministic):
        // it is run once and reported under both names.
        var runs = new List<SimulationPolicy>();
        var runOf = new int[policies.Count];
        for (var i = 0; i < policies.Count; i++)
        {
            var same = runs.FindIndex(r => ReferenceEquals(r.Pool, policies[i].Pool));
            runOf[i] = same >= 0 ? same : runs.Count;
            if (same < 0)
            {
                runs.Add(policies[i]);
            }
        }

        // Policies share nothing, so they run side by side when there are cores for it; the results do not depend on it.
        var watch = Stopwatch.StartNew();
        PolicyResult[] ran;
        if (Environment.ProcessorCount > 1 && runs.Count > 1)
        {
            ran = await Task.WhenAll(runs.Select(p => Task.Run(() => RunPolicyAsync(request, p, cancellationToken), cancellationToken))).ConfigureAwait(false);
        }
        else
        {
            ran = new PolicyResult[runs.Count];
            for (var i = 0; i < runs.Count; i++)
            {
                ran[i] = await RunPolicyAsync(request, runs[i], cancellationToken).ConfigureAwait(false);
            }
        }

        var policiesElapsed = watch.Elapsed;
        watch.Restart();
        var (oracle, coverage) = Oracle(load, request.Pool.Min, request.Pool.Max, request.Options);
        var oracleElapsed = watch.Elapsed;
        var atTarget = OracleAtTarget(load, request.Pool.Min, request.Pool.Max, request.Options);
        var forecast = policies.SelectMany(p => p.Pool.Signals).OfType<ForecastConfig>().FirstOrDefault();
        PolicyResult Ratio(PolicyResult p) => p with { RatioToOracle = RatioTo(p, oracle) };
        return new SimulationReport
        {
            Minutes = load.Duration.TotalMinutes,
            Policies = policies.Select((p, i) => Ratio(ran[runOf[i]] with { Name = p.Name })).ToArray(),
            Oracle = Ratio(oracle),
            OracleAtTarget = Ratio(atTarget),
            OracleCoverage = coverage,
            Load = load,
            InstanceCapacity = request.Options.InstanceCapacity,
            TargetUtilization = request.Options.TargetUtilization,
            SloUtilization = request.Options.SloUtilization,
            Price = request.Options.Price,
            BillingPeriod = billing.Period,
            Timing = new SimulationTiming(runs.Count, policiesElapsed, oracleElapsed),
            Forecast = forecast is null ? null : ForecastBacktest.Track(load, forecast.ModelOptions, forecast.Lead),
        };
    }

    /// <summary>Actions whose direction reverses the previous action's within <paramref name="window"/>.</summary>
    public static int CountFlaps(IReadOnlyList<ScalingAction> actions, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(actions);
        var flaps = 0;
        for (var i = 1; i < actions.Count; i++)
        {
            if (actions[i].Up != actions[i - 1].Up && actions[i].At - actions[i - 1].At <= window)
            {
                flaps++;
            }
        }

        return flaps;
    }

    /// <summary>Runs one policy through the engine over the whole trace.</summary>
    public static async Task<PolicyResult> RunPolicyAsync(SimulationRequest request, SimulationPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(policy);
        var options = request.Options;
        var load = request.Load;
        var pool = policy.Pool;
        var clock = new SimulationClock(load.Start);
        var provision = options.BootTime < TimeSpan.FromSeconds(10) ? options.BootTime : TimeSpan.FromSeconds(10);
        var cloud = new VirtualCloud(pool.Name, clock, new VirtualCloudOptions
        {
            ProvisionTime = provision,
            BootTime = options.BootTime - provision,
            HealthCheckDelay = options.HealthCheckDelay,
            Billing = BillingTermsOf(options),
        });

        // Start warm: the first row's need at the target already serving (billed from the trace's start, as the
        // oracle's instances at step 0 are).
        var initial = TargetNeed(load.Rates[0], pool.Min, pool.Max, options);
        for (var i = 0; i < initial; i++)
        {
            cloud.AddInstance($"{pool.EffectiveLabelPrefix}-initial-{i + 1}", load.Start - options.BootTime - options.HealthCheckDelay);
        }

        var alerts = new AlertStateStore(clock, AlertStoreOptions.FromConfig(request.Alerts));
        var monitoring = new MonitoringModel(pool.Name, options.AlertRules, options.GroupWait, options.GroupInterval,
            options.RepeatInterval ?? request.Alerts.RepeatInterval, alerts, clock);
        var log = new ActionLog();
        var engine = new ScalingEngine([new ScalingPool(pool, cloud)], new EngineServices
        {
            Time = clock,
            Journal = new SimulationJournal(),
            DecisionLog = log,
            Alerts = alerts,
            Metrics = monitoring,
            History = new TraceLoadHistory(load, clock),
            Random = new Random(options.Seed),
        });
        var model = new SimulatedPool(cloud, options.BootTime, options.HealthCheckDelay, options.ScrapeInterval, options.RateWindow);

        var rows = load.Rates.Count;
        var capacity = new double[rows];
        var instances = new double[rows];
        var step = load.Step.Ticks;
        var stepSeconds = load.Step.TotalSeconds;
        var start = load.Start.UtcTicks;
        var end = start + (step * rows);
        var eval = request.EvaluationInterval.Ticks;
        var scrape = options.ScrapeInterval.Ticks;
        var rule = options.RuleInterval.Ticks;
        var window = options.RateWindow.Ticks;
        var perInstance = options.InstanceCapacity;
        long nextEngine = start, nextScrape = start, nextRule = start;
        var row = 0;
        var rowEnd = start + step;
        double servingSeconds = 0, existingSeconds = 0, totalInstanceSeconds = 0, violations = 0;
        var t = start;
        model.Refresh(t);
        while (t < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (model.NextTransition <= t)
            {
                model.UpdateServing(t);
            }

            if (nextScrape <= t)
            {
                model.Scrape(t);
                nextScrape += scrape;
            }

            if (nextRule <= t)
            {
                monitoring.Evaluate(t, model.CpuPercent(t, window));
                nextRule += rule;
            }

            if (monitoring.NextFlush <= t)
            {
                clock.Now = new DateTimeOffset(t, TimeSpan.Zero);
                monitoring.Flush(t);
            }

            if (nextEngine <= t)
            {
                clock.Now = new DateTimeOffset(t, TimeSpan.Zero);
                await engine.RunCycleAsync(cancellationToken).ConfigureAwait(false);
                model.Refresh(t);
                nextEngine += eval;
            }

            var next = Math.Min(Math.Min(Math.Min(nextEngine, nextScrape), Math.Min(nextRule, rowEnd)), Math.Min(model.NextTransition, monitoring.NextFlush));
            Debug.Assert(next > t, "every event moves its own next time forward");
            var dt = TimeSpan.FromTicks(next - t).TotalSeconds;
            model.Advance(dt, load.Rates[row], perInstance);
            servingSeconds += model.Serving * dt;
            existingSeconds += model.Existing * dt;
            t = next;
            if (t == rowEnd)
            {
                capacity[row] = servingSeconds / stepSeconds * perInstance;
                instances[row] = existingSeconds / stepSeconds;
                if (Violates(load.Rates[row], capacity[row], options))
                {
                    violations += stepSeconds / 60;
                }

                totalInstanceSeconds += existingSeconds;
                servingSeconds = 0;
                existingSeconds = 0;
                row++;
                rowEnd += step;
            }
        }

        // Instances that appear after the last engine cycle serve from their UP time: the lives are read at the end.
        clock.Now = new DateTimeOffset(end, TimeSpan.Zero);
        var lives = cloud.Lives().Select(l => Normalize(l, load.Start)).ToArray();
        return Result(policy.Name, totalInstanceSeconds, violations, log.Actions, capacity, instances, lives, cloud.RemovalEvents, load, options);
    }

    /// <summary>Keeps the scaling actions only: a backtest has hundreds of thousands of decisions.</summary>
    private sealed class ActionLog : IDecisionLog
    {
        public List<ScalingAction> Actions { get; } = [];

        public ValueTask RecordDecisionAsync(Decision decision, CancellationToken cancellationToken)
        {
            if (decision.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown)
            {
                Actions.Add(new ScalingAction(decision.At, decision.Action == DecisionAction.ScaleUp));
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask RecordOperationAsync(OperationEvent operationEvent, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}

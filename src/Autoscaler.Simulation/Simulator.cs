using Autoscaler.Core.Providers.Virtual;
using System.Diagnostics;
using Autoscaler.Core;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals.Alerts;

namespace Autoscaler.Simulation;

/// <summary>A policy to backtest: a name and the pool configuration the engine runs with.</summary>
/// <param name="Name">Shown in the report.</param>
/// <param name="Pool">The pool as the engine sees it (bounds, cooldowns, signals).</param>
public sealed record SimulationPolicy(string Name, PoolConfig Pool)
{
    /// <summary>The configuration's own pool, as it is.</summary>
    public const string TargetTrackingName = "target-tracking";

    /// <summary>The reference architecture's CPU alerts.</summary>
    public const string SeedThresholdName = "seed-threshold";

    /// <summary>Perfect foresight.</summary>
    public const string OracleName = "oracle";

    /// <summary>The reference architecture on the same pool: step ±1 while PoolCpuHigh / PoolCpuLow fire, with the
    /// pool's bounds, cooldowns, health and drain settings (its own signals replaced).</summary>
    public static SimulationPolicy SeedThreshold(PoolConfig pool, CpuAlertRules rules)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(rules);
        return new SimulationPolicy(SeedThresholdName, pool with
        {
            ScaleUp = pool.ScaleUp with { Step = 1, StepPercent = null },
            ScaleDown = pool.ScaleDown with { Step = 1 },
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

    /// <summary>Policies to run; null: <c>target-tracking</c> (the pool as configured) and <c>seed-threshold</c>.</summary>
    public IReadOnlyList<SimulationPolicy>? Policies { get; init; }
}

/// <summary>
/// Backtests scaling policies on a request-rate trace. Each policy runs the real <see cref="ScalingEngine"/> (signals,
/// bounds, cooldowns, <see cref="Reconciler"/>) against a <see cref="VirtualCloud"/> on a virtual clock, fed by a model
/// of the monitoring pipeline (Prometheus scrapes, the pool CPU rule and the alert rules with their <c>for</c>,
/// Alertmanager grouping and repeats). The oracle is computed directly. Deterministic: the same inputs give the same
/// report.
/// </summary>
public static class Simulator
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

        var policies = request.Policies ??
        [
            new SimulationPolicy(SimulationPolicy.TargetTrackingName, request.Pool),
            SimulationPolicy.SeedThreshold(request.Pool, request.Options.AlertRules),
        ];
        // Policies share nothing, so they run side by side when there are cores for it; the results do not depend on it.
        PolicyResult[] results;
        if (Environment.ProcessorCount > 1 && policies.Count > 1)
        {
            results = await Task.WhenAll(policies.Select(p => Task.Run(() => RunPolicyAsync(request, p, cancellationToken), cancellationToken))).ConfigureAwait(false);
        }
        else
        {
            results = new PolicyResult[policies.Count];
            for (var i = 0; i < policies.Count; i++)
            {
                results[i] = await RunPolicyAsync(request, policies[i], cancellationToken).ConfigureAwait(false);
            }
        }

        return new SimulationReport
        {
            Minutes = request.Load.Duration.TotalMinutes,
            Policies = results,
            Oracle = Oracle(request.Load, request.Pool.Min, request.Pool.Max, request.Options),
            Load = request.Load,
            InstanceCapacity = request.Options.InstanceCapacity,
            TargetUtilization = request.Options.TargetUtilization,
        };
    }

    /// <summary>Instances the oracle keeps serving during a row: ceil(load / (capacity × target)) within min..max.</summary>
    public static int OracleNeed(double load, int min, int max, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The epsilon keeps a load of exactly n × capacity × target at n instances despite binary fractions.
        var need = (int)Math.Min(int.MaxValue, Math.Ceiling((load / (options.InstanceCapacity * options.TargetUtilization)) - 1e-9));
        return Math.Clamp(need, min, Math.Max(min, max));
    }

    /// <summary>
    /// Perfect foresight with the same boot time: exactly <see cref="OracleNeed"/> instances serve during each row.
    /// Each instance is launched boot time + health-check delay before it must serve, and one that would be idle for
    /// less than that between two needs is kept rather than replaced (whichever costs less). The pool starts with the
    /// first row's need already serving, as every policy does.
    /// </summary>
    public static PolicyResult Oracle(LoadTrace load, int min, int max, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(options);
        var rows = load.Rates.Count;
        var stepSeconds = load.Step.TotalSeconds;
        var lead = (options.BootTime + options.HealthCheckDelay).TotalSeconds;
        var end = rows * stepSeconds;
        var need = new int[rows];
        var capacity = new double[rows];
        var violations = 0.0;
        for (var k = 0; k < rows; k++)
        {
            need[k] = OracleNeed(load.Rates[k], min, max, options);
            capacity[k] = need[k] * options.InstanceCapacity;
            if (load.Rates[k] > options.SloUtilization * capacity[k])
            {
                violations += stepSeconds / 60;
            }
        }

        // Each level j (the j-th instance) is an independent slot: alive from (first need − lead) to its last need,
        // bridging gaps no longer than the lead.
        var alive = new List<(double Start, double End)>();
        var instances = new double[rows];
        var top = need.Length == 0 ? 0 : need.Max();
        for (var level = 1; level <= top; level++)
        {
            double? start = null;
            double lastEnd = 0;
            var k = 0;
            while (k < rows)
            {
                if (need[k] < level)
                {
                    k++;
                    continue;
                }

                var a = k;
                while (k < rows && need[k] >= level)
                {
                    k++;
                }

                var from = a * stepSeconds;
                var to = k * stepSeconds;
                if (start is null)
                {
                    start = a == 0 ? 0 : Math.Max(0, from - lead);
                }
                else if (from - lastEnd > lead)
                {
                    alive.Add((start.Value, lastEnd));
                    start = from - lead;
                }

                lastEnd = to;
            }

            if (start is { } s)
            {
                alive.Add((s, lastEnd));
            }
        }

        var instanceSeconds = 0.0;
        var changes = new SortedDictionary<double, int>();
        foreach (var (s, e) in alive)
        {
            instanceSeconds += e - s;
            Cover(instances, s, e, stepSeconds);
            if (s > 0)
            {
                changes[s] = changes.GetValueOrDefault(s) + 1;
            }

            if (e < end)
            {
                changes[e] = changes.GetValueOrDefault(e) - 1;
            }
        }

        var actions = new List<ScalingAction>();
        foreach (var (at, delta) in changes)
        {
            if (delta != 0)
            {
                actions.Add(new ScalingAction(load.Start + TimeSpan.FromSeconds(at), delta > 0));
            }
        }

        return Result(SimulationPolicy.OracleName, instanceSeconds, violations, actions, capacity, instances, options);
    }

    /// <summary>The measures of one policy's run, the same way for the oracle and the engine's policies.</summary>
    private static PolicyResult Result(string name, double instanceSeconds, double violations, List<ScalingAction> actions,
        double[] capacity, double[] instances, SimulationOptions options)
    {
        var hours = instanceSeconds / 3600;
        return new PolicyResult
        {
            Name = name,
            InstanceHours = hours,
            SloViolationMinutes = violations,
            Actions = actions.Count,
            Flaps = CountFlaps(actions, options.FlapWindow),
            Cost = options.PricePerHour * hours,
            ScaleUps = actions.Count(a => a.Up),
            ScaleDowns = actions.Count(a => !a.Up),
            ServingCapacity = capacity,
            Instances = instances,
            ActionLog = actions,
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
        });

        // Start warm: the first row's need already serving, as the oracle does.
        var initial = OracleNeed(load.Rates[0], pool.Min, pool.Max, options);
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
                if (load.Rates[row] > options.SloUtilization * capacity[row])
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

        return Result(policy.Name, totalInstanceSeconds, violations, log.Actions, capacity, instances, options);
    }

    private static void Cover(double[] perRow, double start, double end, double stepSeconds)
    {
        if (end <= start)
        {
            return;
        }

        var first = (int)(start / stepSeconds);
        var last = Math.Min(perRow.Length - 1, (int)Math.Ceiling(end / stepSeconds) - 1);
        for (var k = first; k <= last; k++)
        {
            var overlap = Math.Min(end, (k + 1) * stepSeconds) - Math.Max(start, k * stepSeconds);
            if (overlap > 0)
            {
                perRow[k] += overlap / stepSeconds;
            }
        }
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

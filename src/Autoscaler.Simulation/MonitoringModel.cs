using System.Globalization;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Signals;

namespace Autoscaler.Simulation;

/// <summary>
/// The monitoring node of a backtest: Prometheus' rule evaluation (the pool CPU recording rule and the
/// PoolCpuHigh / PoolCpuLow alert rules with their <c>for</c> delays), Alertmanager (one group per pool and alert name,
/// group_wait, group_interval, repeat_interval, send_resolved) and the webhook that records notifications in the
/// engine's <see cref="AlertStateStore"/>. As an <see cref="IMetricSource"/> it answers target tracking's query with
/// the recording rule's latest value. Times are UTC ticks.
/// </summary>
internal sealed class MonitoringModel : IMetricSource
{
    private const string Receiver = "linode-autoscaler";
    private readonly AlertStateStore _store;
    private readonly SimulationClock _clock;
    private readonly AlertRule _high;
    private readonly AlertRule _low;
    private readonly long _groupWait;
    private readonly long _groupInterval;
    private readonly long _repeatInterval;
    private double? _cpu;

    public MonitoringModel(string pool, CpuAlertRules rules, TimeSpan groupWait, TimeSpan groupInterval, TimeSpan repeatInterval,
        AlertStateStore store, SimulationClock clock)
    {
        _store = store;
        _clock = clock;
        _groupWait = groupWait.Ticks;
        _groupInterval = groupInterval.Ticks;
        _repeatInterval = repeatInterval.Ticks;
        _high = new AlertRule(pool, rules.HighAlert, "up", rules.HighFor.Ticks, v => v > rules.HighPercent);
        _low = new AlertRule(pool, rules.LowAlert, "down", rules.LowFor.Ticks, v => v < rules.LowPercent);
    }

    /// <summary>The recording rule's value at the last evaluation (pool CPU %), or null when it had no data.</summary>
    public double? PoolCpu => _cpu;

    /// <summary>The next time Alertmanager has a group to flush, or <see cref="long.MaxValue"/>.</summary>
    public long NextFlush => Math.Min(_high.NextFlush, _low.NextFlush);

    /// <summary>Notifications delivered to the webhook so far.</summary>
    public int Notifications { get; private set; }

    /// <summary>One rule evaluation at <paramref name="now"/> with the pool CPU % (null: the query had no data, so
    /// neither alert is active).</summary>
    public void Evaluate(long now, double? cpu)
    {
        _cpu = cpu;
        _high.Evaluate(now, cpu, _groupWait);
        _low.Evaluate(now, cpu, _groupWait);
    }

    /// <summary>Flushes the Alertmanager groups due at <paramref name="now"/> to the webhook.</summary>
    public void Flush(long now)
    {
        Flush(_high, now);
        Flush(_low, now);
    }

    /// <inheritdoc />
    public ValueTask<MetricReading> ReadAsync(MetricQuery query, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_cpu is { } v ? MetricReading.Of(v) : MetricReading.Missing("empty query result (no instance scraped twice in the rate window)"));

    private void Flush(AlertRule rule, long now)
    {
        var group = rule.Group;
        if (group is null || group.NextFlush > now)
        {
            return;
        }

        var send = group.Changed || (group.Firing && now - group.LastSent >= _repeatInterval);
        if (send && (group.Firing || group.NotifiedFiring))
        {
            _store.Record(new AlertRecord(
                rule.Fingerprint,
                group.Firing ? AlertStatus.Firing : AlertStatus.Resolved,
                rule.Labels,
                rule.Annotations,
                new DateTimeOffset(group.StartsAt, TimeSpan.Zero),
                group.Firing ? null : new DateTimeOffset(group.EndsAt, TimeSpan.Zero),
                Receiver));
            Notifications++;
            group.LastSent = now;
            group.NotifiedFiring |= group.Firing;
        }

        group.Changed = false;
        if (!group.Firing)
        {
            rule.Group = null;
            return;
        }

        group.NextFlush = now + _groupInterval;
    }

    /// <summary>One alert rule's state (inactive → pending → firing) and its Alertmanager group.</summary>
    private sealed class AlertRule(string pool, string name, string direction, long forTicks, Func<double, bool> condition)
    {
        private long? _pendingSince;
        private bool _firing;

        public string Fingerprint { get; } = $"sim-{pool}-{name}";

        public IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["alertname"] = name,
            [AlertMatcher.PoolLabel] = pool,
            ["severity"] = "autoscale",
            ["direction"] = direction,
        };

        public IReadOnlyDictionary<string, string> Annotations { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["summary"] = string.Create(CultureInfo.InvariantCulture, $"simulated {name} of pool {pool}"),
        };

        public AlertGroup? Group { get; set; }

        public long NextFlush => Group?.NextFlush ?? long.MaxValue;

        public void Evaluate(long now, double? value, long groupWait)
        {
            if (value is { } v && condition(v))
            {
                _pendingSince ??= now;
                if (!_firing && now - _pendingSince.Value >= forTicks)
                {
                    _firing = true;
                    // Prometheus sends the alert at once; a new group waits group_wait, a known one its next flush.
                    if (Group is null)
                    {
                        Group = new AlertGroup { NextFlush = now + groupWait };
                    }

                    Group.Firing = true;
                    Group.StartsAt = _pendingSince.Value;
                    Group.Changed = true;
                }

                return;
            }

            _pendingSince = null;
            if (_firing)
            {
                _firing = false;
                if (Group is not null)
                {
                    Group.Firing = false;
                    Group.EndsAt = now;
                    Group.Changed = true;
                }
            }
        }
    }

    private sealed class AlertGroup
    {
        public long NextFlush { get; set; }

        public bool Firing { get; set; }

        public bool Changed { get; set; }

        public bool NotifiedFiring { get; set; }

        public long StartsAt { get; set; }

        public long EndsAt { get; set; }

        public long LastSent { get; set; }
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Autoscaler.Core.Alerts;

/// <summary>Limits of the <see cref="AlertStateStore"/>.</summary>
public sealed record AlertStoreOptions
{
    /// <summary>A firing alert not re-sent for this long counts as resolved (Alertmanager re-sends firing alerts every
    /// repeat_interval, so a few intervals of silence mean the resolve was lost). Default 12 h.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromHours(12);

    /// <summary>How long resolved alerts are kept, so late copies of their firing notifications from a lagging
    /// replica are recognised as old. Default 1 h.</summary>
    public TimeSpan ResolvedRetention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Most alerts kept; beyond it resolved and expired ones are dropped first, then the least recently seen
    /// of the largest group (alertname and <c>pool</c>) for an alert of a smaller group, else new ones are refused.
    /// Default 10,000.</summary>
    public int MaxAlerts { get; init; } = 10_000;

    /// <summary>Most bytes (UTF-8, names and values) of one alert's labels; an alert with more is refused, since
    /// labels decide what it matches and cannot be cut. Default 16 KiB.</summary>
    public int MaxLabelBytes { get; init; } = 16 * 1024;

    /// <summary>Most bytes of one alert's annotations; longer values are cut (a marker says so). Default 64 KiB.</summary>
    public int MaxAnnotationBytes { get; init; } = 64 * 1024;

    /// <summary>Most bytes of labels and annotations held over every alert; beyond it resolved and expired alerts are
    /// dropped first, then new alerts refused and updates keep the content already held. Default 64 MiB.</summary>
    public long MaxTotalBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Which alerts are worth holding, by their labels; the others are answered
    /// <see cref="AlertRecordOutcome.Ignored"/> and cost nothing. Null holds every alert. The service holds only those
    /// some pool's signal listens to (<see cref="For"/>), so a flood of unrelated alerts can never fill the store and
    /// crowd out the one that scales a pool.</summary>
    public Func<IReadOnlyDictionary<string, string>, bool>? Keep { get; init; }

    /// <summary>Options with <see cref="StaleAfter"/> from the configuration's <c>alerts</c> section.</summary>
    public static AlertStoreOptions FromConfig(Configuration.AlertsConfig alerts)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        return new AlertStoreOptions { StaleAfter = alerts.StaleAfter };
    }

    /// <summary><see cref="FromConfig"/>, keeping only alerts that some pool's signal listens to
    /// (<see cref="Signals.SignalConfig.ListensTo"/>, for alert signals <c>AlertSignalConfig.Matches</c>).</summary>
    public static AlertStoreOptions For(Configuration.AutoscalerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var signals = config.Pools.SelectMany(p => p.Signals.Select(s => (p.Name, Signal: s))).ToArray();
        return FromConfig(config.Alerts) with
        {
            Keep = labels => Array.Exists(signals, s => s.Signal.ListensTo(labels, s.Name)),
        };
    }
}

/// <summary>
/// Alert state by fingerprint, fed by the webhook and read by the engine. Idempotent: the same notification from
/// several Alertmanager replicas or repeats only refreshes the last-seen time; an older notification never overrides
/// newer state (a firing whose start is not after a known resolve is a late copy; a resolve whose end is before the
/// known start belongs to an earlier episode). Bounded: each alert's labels and annotations (see
/// <see cref="AlertStoreOptions"/>) and all of them together, so a flood of large alerts costs a known amount of memory.
/// Thread-safe.
/// </summary>
public sealed class AlertStateStore
{
    private readonly Dictionary<string, AlertState> _alerts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly AlertStoreOptions _options;
    private long _bytes;
    private long _truncated;

    /// <summary>The marker appended to an annotation value cut to fit <see cref="AlertStoreOptions.MaxAnnotationBytes"/>.</summary>
    public const string TruncationMarker = "…[truncated]";

    /// <summary>Creates an empty store.</summary>
    public AlertStateStore(TimeProvider time, AlertStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _options = options ?? new AlertStoreOptions();
    }

    /// <summary>Number of alerts held (any status).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _alerts.Count;
            }
        }
    }

    /// <summary>Bytes of labels and annotations held.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Alerts whose annotations were cut to <see cref="AlertStoreOptions.MaxAnnotationBytes"/>.</summary>
    public long Truncated => Interlocked.Read(ref _truncated);

    /// <summary>True when <paramref name="labels"/> are within <see cref="AlertStoreOptions.MaxLabelBytes"/>.</summary>
    public bool LabelsFit(IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return SizeOf(labels) <= _options.MaxLabelBytes;
    }

    /// <summary>Applies one notification's alert. <see cref="AlertRecordOutcome.Rejected"/> when its labels exceed
    /// <see cref="AlertStoreOptions.MaxLabelBytes"/> or the store is full; <see cref="AlertRecordOutcome.Ignored"/>
    /// when <see cref="AlertStoreOptions.Keep"/> does not want it. Both are decided before anything is copied.</summary>
    public AlertRecordOutcome Record(AlertRecord alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (!LabelsFit(alert.Labels))
        {
            return AlertRecordOutcome.Rejected;
        }

        if (_options.Keep is { } keep && !keep(alert.Labels))
        {
            return AlertRecordOutcome.Ignored;
        }

        if (SizeOf(alert.Annotations) > _options.MaxAnnotationBytes)
        {
            alert = alert with { Annotations = Cut(alert.Annotations, _options.MaxAnnotationBytes) };
            Interlocked.Increment(ref _truncated);
        }

        var now = _time.GetUtcNow();
        var fingerprint = string.IsNullOrEmpty(alert.Fingerprint) ? DeriveFingerprint(alert.Labels) : alert.Fingerprint;
        DateTimeOffset? endsAt = alert.EndsAt is { } e && e >= alert.StartsAt ? e : null;

        lock (_lock)
        {
            if (!_alerts.TryGetValue(fingerprint, out var known))
            {
                var size = SizeOf(alert.Labels) + SizeOf(alert.Annotations);
                if ((_alerts.Count >= _options.MaxAlerts || _bytes + size > _options.MaxTotalBytes) && !MakeRoom(now, size, GroupOf(alert.Labels)))
                {
                    return AlertRecordOutcome.Rejected;
                }

                Put(fingerprint, New(alert, fingerprint, endsAt ?? (alert.Status == AlertStatus.Resolved ? now : null), now), null);
                return AlertRecordOutcome.Added;
            }

            if (alert.Status == AlertStatus.Firing)
            {
                if (known.Status == AlertStatus.Firing)
                {
                    if (alert.StartsAt > known.StartsAt)
                    {
                        Put(fingerprint, New(alert, fingerprint, null, now), known);
                        return AlertRecordOutcome.Changed;
                    }

                    if (alert.StartsAt == known.StartsAt)
                    {
                        Put(fingerprint, known with { Labels = alert.Labels, Annotations = alert.Annotations, Receiver = alert.Receiver, LastSeenAt = now }, known);
                        return AlertRecordOutcome.Duplicate;
                    }

                    return AlertRecordOutcome.Stale;
                }

                // Known resolved: only a later start is a new episode; anything else is a late copy from before the resolve.
                if (alert.StartsAt > (known.EndsAt ?? known.StartsAt))
                {
                    Put(fingerprint, New(alert, fingerprint, null, now), known);
                    return AlertRecordOutcome.Changed;
                }

                return AlertRecordOutcome.Stale;
            }

            var end = endsAt ?? now;
            if (known.Status == AlertStatus.Firing)
            {
                if (end >= known.StartsAt)
                {
                    Put(fingerprint, known with
                    {
                        Status = AlertStatus.Resolved,
                        EndsAt = end,
                        Labels = alert.Labels,
                        Annotations = alert.Annotations,
                        Receiver = alert.Receiver,
                        LastSeenAt = now,
                    }, known);
                    return AlertRecordOutcome.Changed;
                }

                return AlertRecordOutcome.Stale;
            }

            if (end < (known.EndsAt ?? known.StartsAt))
            {
                return AlertRecordOutcome.Stale;
            }

            Put(fingerprint, known with { EndsAt = end, LastSeenAt = now }, known);
            return AlertRecordOutcome.Duplicate;
        }
    }

    /// <summary>Firing, non-expired alerts that <paramref name="matcher"/> accepts for <paramref name="pool"/>, oldest first.</summary>
    public IReadOnlyList<AlertState> FindFiring(AlertMatcher matcher, string pool)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        var now = _time.GetUtcNow();
        List<AlertState>? result = null;
        lock (_lock)
        {
            foreach (var state in _alerts.Values)
            {
                if (state.Status == AlertStatus.Firing && !IsExpiredAt(state, now) && matcher.Matches(state.Labels, pool))
                {
                    (result ??= []).Add(state);
                }
            }
        }

        if (result is null)
        {
            return [];
        }

        result.Sort(static (a, b) => a.StartsAt.CompareTo(b.StartsAt) is var c && c != 0 ? c : string.CompareOrdinal(a.Fingerprint, b.Fingerprint));
        return result;
    }

    /// <summary>The alert with this fingerprint, or null.</summary>
    public AlertState? Get(string fingerprint)
    {
        lock (_lock)
        {
            return _alerts.TryGetValue(fingerprint, out var s) ? s : null;
        }
    }

    /// <summary>True when <paramref name="state"/> is firing but was not re-sent within <see cref="AlertStoreOptions.StaleAfter"/>.</summary>
    public bool IsExpired(AlertState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return IsExpiredAt(state, _time.GetUtcNow());
    }

    /// <summary>Every alert held, oldest start first.</summary>
    public IReadOnlyList<AlertState> Snapshot()
    {
        lock (_lock)
        {
            return _alerts.Values.OrderBy(a => a.StartsAt).ThenBy(a => a.Fingerprint, StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>Drops resolved alerts past their retention and expired ones; returns how many.</summary>
    public int Prune()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return PruneLocked(now);
        }
    }

    private int PruneLocked(DateTimeOffset now)
    {
        List<string>? drop = null;
        foreach (var (fp, s) in _alerts)
        {
            var old = s.Status == AlertStatus.Resolved
                ? now - s.LastSeenAt >= _options.ResolvedRetention
                : now - s.LastSeenAt >= _options.StaleAfter + _options.ResolvedRetention;
            if (old)
            {
                (drop ??= []).Add(fp);
            }
        }

        foreach (var fp in drop ?? [])
        {
            Remove(fp);
        }

        return drop?.Count ?? 0;
    }

    private bool MakeRoom(DateTimeOffset now, long size, string group)
    {
        PruneLocked(now);
        while (_alerts.Count >= _options.MaxAlerts || _bytes + size > _options.MaxTotalBytes)
        {
            // Forget the least recently seen alert that no longer drives anything.
            AlertState? victim = null;
            foreach (var s in _alerts.Values)
            {
                if ((s.Status == AlertStatus.Resolved || IsExpiredAt(s, now)) && (victim is null || s.LastSeenAt < victim.LastSeenAt))
                {
                    victim = s;
                }
            }

            victim ??= FairShareVictim(group);
            if (victim is null)
            {
                return false;
            }

            Remove(victim.Fingerprint);
        }

        return true;
    }

    /// <summary>When every alert held still fires, the least recently seen of the largest group (same alertname and
    /// <c>pool</c> label) gives way to an alert of a smaller group: a flood of one alert, even one a pool listens to,
    /// cannot keep out another pool's or another signal's. The flooded group keeps thousands firing, so what it tells
    /// the engine is unchanged. Null when the new alert's group is already the largest (it is refused).</summary>
    private AlertState? FairShareVictim(string group)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in _alerts.Values)
        {
            var g = GroupOf(s.Labels);
            counts[g] = counts.GetValueOrDefault(g) + 1;
        }

        if (counts.Count == 0)
        {
            return null;
        }

        var largest = counts.MaxBy(kv => kv.Value);
        if (counts.GetValueOrDefault(group) + 1 >= largest.Value)
        {
            return null;
        }

        AlertState? victim = null;
        foreach (var s in _alerts.Values)
        {
            if ((victim is null || s.LastSeenAt < victim.LastSeenAt) && string.Equals(GroupOf(s.Labels), largest.Key, StringComparison.Ordinal))
            {
                victim = s;
            }
        }

        return victim;
    }

    private static string GroupOf(IReadOnlyDictionary<string, string> labels) =>
        (labels.TryGetValue("alertname", out var name) ? name : "") + "\u0000" + (labels.TryGetValue(AlertMatcher.PoolLabel, out var pool) ? pool : "");

    /// <summary>Stores <paramref name="state"/> in place of <paramref name="known"/>, keeping the byte count; an update
    /// that would overflow the budget keeps the content already held (its status and times still change).</summary>
    private void Put(string fingerprint, AlertState state, AlertState? known)
    {
        var before = known is null ? 0 : SizeOf(known.Labels) + SizeOf(known.Annotations);
        var after = SizeOf(state.Labels) + SizeOf(state.Annotations);
        if (known is not null && after > before && _bytes - before + after > _options.MaxTotalBytes)
        {
            state = state with { Labels = known.Labels, Annotations = known.Annotations };
            after = before;
        }

        _alerts[fingerprint] = state;
        _bytes += after - before;
    }

    private void Remove(string fingerprint)
    {
        if (_alerts.Remove(fingerprint, out var s))
        {
            _bytes -= SizeOf(s.Labels) + SizeOf(s.Annotations);
        }
    }

    private static long SizeOf(IReadOnlyDictionary<string, string> map)
    {
        long n = 0;
        foreach (var (k, v) in map)
        {
            n += Encoding.UTF8.GetByteCount(k) + Encoding.UTF8.GetByteCount(v);
        }

        return n;
    }

    /// <summary>Annotations cut to <paramref name="max"/> bytes: names kept in order while they fit, each value cut to
    /// what is left and marked.</summary>
    private static Dictionary<string, string> Cut(IReadOnlyDictionary<string, string> annotations, int max)
    {
        var cut = new Dictionary<string, string>(StringComparer.Ordinal);
        var marker = Encoding.UTF8.GetByteCount(TruncationMarker);
        long left = max;
        foreach (var (k, v) in annotations.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var key = Encoding.UTF8.GetByteCount(k);
            var value = Encoding.UTF8.GetByteCount(v);
            if (key + value <= left)
            {
                cut[k] = v;
                left -= key + value;
                continue;
            }

            if (key + marker > left)
            {
                break;
            }

            var room = (int)(left - key - marker);
            var chars = 0;
            var used = 0;
            while (chars < v.Length)
            {
                var width = char.IsHighSurrogate(v[chars]) && chars + 1 < v.Length ? 2 : 1;
                var bytes = Encoding.UTF8.GetByteCount(v.AsSpan(chars, width));
                if (used + bytes > room)
                {
                    break;
                }

                used += bytes;
                chars += width;
            }

            cut[k] = v[..chars] + TruncationMarker;
            left -= key + used + marker;
        }

        return cut;
    }

    private bool IsExpiredAt(AlertState state, DateTimeOffset now) =>
        state.Status == AlertStatus.Firing && now - state.LastSeenAt >= _options.StaleAfter;

    private static AlertState New(AlertRecord a, string fingerprint, DateTimeOffset? endsAt, DateTimeOffset now) =>
        new(fingerprint, a.Status, a.Labels, a.Annotations, a.StartsAt, a.Status == AlertStatus.Resolved ? endsAt : null, a.Receiver, now, now);

    private static string DeriveFingerprint(IReadOnlyDictionary<string, string> labels)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in labels.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append(k).Append('\u0000').Append(v).Append('\u0001');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())).AsSpan(0, 8));
    }
}

using System.Globalization;

namespace Autoscaler.Linode.Provider;

// The non-blocking side of the limiter: a pool's launch step takes only the creates the window allows now (its fair
// share when several pools want creates) and leaves the rest wanted for a later pass, so no engine cycle waits for the
// window. The slots taken are held for the pool's next launches, which then go without waiting.
public sealed partial class InstanceCreateRateLimiter
{
    // Pools whose last ask was not fully granted, with their place in line (a ticket: lower goes first). A pool that
    // gets a slot takes a new ticket, so when fewer slots are free than pools want them, they go round in turn.
    private readonly Dictionary<string, Contender> _wanting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _held = new(StringComparer.Ordinal);
    private long _tickets;
    private DateTimeOffset? _firstTryAt;

    /// <summary>Pools that asked within the last window for more creates than they got.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                ForgetQuietLocked(_time.GetUtcNow(), GrantWindowLocked());
                return _wanting.Count;
            }
        }
    }

    /// <summary>Takes up to <paramref name="wanted"/> creates for <paramref name="holder"/> (a pool) that fit in the
    /// window now, without waiting, and holds them for its next <see cref="TryTakeHeld"/>. When several pools want
    /// creates, each takes at most an equal share of the free slots (those waiting longest first), so no pool
    /// starves while another takes the whole window pass after pass.</summary>
    /// <returns>How many were granted (0..<paramref name="wanted"/>).</returns>
    public int TryAcquire(string holder, int wanted)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        if (wanted <= 0)
        {
            return 0;
        }

        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var window = GrantWindowLocked();
            ExpireLocked(now, window);
            ForgetQuietLocked(now, window);
            if (!_wanting.TryGetValue(holder, out var me))
            {
                me = new Contender { Ticket = ++_tickets };
                _wanting[holder] = me;
            }

            me.Wanted = wanted;
            me.AskedAt = now;
            var free = FreeLocked(now);
            var line = _wanting.OrderBy(kv => kv.Value.Ticket).ToList();
            var share = (free + line.Count - 1) / line.Count;
            var left = free;
            var granted = 0;
            foreach (var (name, contender) in line)
            {
                var take = Math.Min(Math.Min(contender.Wanted, share), left);
                if (string.Equals(name, holder, StringComparison.Ordinal))
                {
                    granted = take;
                    break;
                }

                left -= take;
            }

            if (granted > 0)
            {
                if (!_held.TryGetValue(holder, out var held))
                {
                    held = new Queue<DateTimeOffset>();
                    _held[holder] = held;
                }

                for (var i = 0; i < granted; i++)
                {
                    InsertGrantLocked(now);
                    held.Enqueue(now);
                }
            }

            if (granted >= wanted)
            {
                _wanting.Remove(holder);
            }
            else if (granted > 0)
            {
                me.Ticket = ++_tickets;
            }

            return granted;
        }
    }

    /// <summary>Uses one create <see cref="TryAcquire"/> held for <paramref name="holder"/>: true when one was held
    /// (the create may go now), false when none is (the caller waits with <see cref="AcquireAsync"/>).</summary>
    /// <remarks>The held grant is moved to now, the moment the create is actually sent, so the window counts it from
    /// then. A grant held for longer than a window is dropped (its slot stays counted until it leaves the window).</remarks>
    public bool TryTakeHeld(string holder)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        lock (_lock)
        {
            if (!_held.TryGetValue(holder, out var held))
            {
                return false;
            }

            var now = _time.GetUtcNow();
            var window = GrantWindowLocked();
            while (held.TryDequeue(out var at))
            {
                if (now - at >= window)
                {
                    continue;
                }

                var index = _grants.IndexOf(at);
                if (index >= 0)
                {
                    _grants.RemoveAt(index);
                    InsertGrantLocked(now);
                }

                return true;
            }

            _held.Remove(holder);
            return false;
        }
    }

    /// <summary>The limit in words for a pool's status ("Linode's create limit (20 per 15 s, 3 pools waiting)").</summary>
    public string Describe()
    {
        var waiting = Waiting;
        return string.Create(CultureInfo.InvariantCulture,
            $"Linode's create limit ({Limit} per {Window.TotalSeconds:0.#} s{(waiting > 1 ? $", {waiting} pools waiting" : "")})");
    }

    // Against an announced (server-counted) bucket grants are spaced one transit margin beyond the window (see AcquireAsync).
    private TimeSpan GrantWindowLocked() => Announced() is null ? Window : Window + TransitMargin;

    private void ExpireLocked(DateTimeOffset now, TimeSpan window)
    {
        var expired = 0;
        while (expired < _grants.Count && now - _grants[expired] >= window)
        {
            expired++;
        }

        _grants.RemoveRange(0, expired);
    }

    // A pool that stopped asking for a window (its launches done, or held by its own max in flight) leaves the line.
    private void ForgetQuietLocked(DateTimeOffset now, TimeSpan window)
    {
        foreach (var (name, contender) in _wanting.ToArray())
        {
            if (now - contender.AskedAt >= window)
            {
                _wanting.Remove(name);
            }
        }
    }

    // Slots free now: the limit less every grant still in the window (future ones of waiting AcquireAsync callers
    // included, which only errs on the safe side); none while the API says the window is spent, and only one until
    // the first answer announced the bucket (as AcquireAsync does).
    private int FreeLocked(DateTimeOffset now)
    {
        if (_announced is not null && !_unannounced && Announced() is null)
        {
            if (_firstTryAt is { } first && now - first >= _window)
            {
                // The first create answered without headers (or never): the configured numbers rule.
                _unannounced = true;
            }
            else
            {
                if (_grants.Count > 0 || _firstAnswer is not null)
                {
                    return 0;
                }

                _firstTryAt = now;
                _firstAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return 1;
            }
        }

        if (Announced() is { Remaining: <= 0, Reset: { } reset } && reset > now)
        {
            return 0;
        }

        return Math.Max(0, Limit - _grants.Count);
    }

    private void InsertGrantLocked(DateTimeOffset at)
    {
        var index = _grants.Count;
        while (index > 0 && _grants[index - 1] > at)
        {
            index--;
        }

        _grants.Insert(index, at);
    }

    private sealed class Contender
    {
        public long Ticket { get; set; }

        public int Wanted { get; set; }

        public DateTimeOffset AskedAt { get; set; }
    }
}

using System.Globalization;

namespace Autoscaler.Linode.Provider;

// The non-blocking side of the limiter: a pool's launch step takes only the creates the window allows now (its fair
// share when several pools want creates) and leaves the rest wanted for a later pass, so no engine cycle waits for the
// window. The slots taken are held for the pool's next launches, which then go without waiting.
public sealed partial class InstanceCreateRateLimiter
{
    // Every pool that asked, with its place in line (a ticket: lower goes first) and what it still wants. A pool that
    // gets a slot takes a new ticket, so when fewer slots are free than pools want them, they go round in turn.
    private readonly Dictionary<string, Contender> _wanting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _held = new(StringComparer.Ordinal);
    private long _tickets;
    private DateTimeOffset? _firstTryAt;

    /// <summary>Pools whose last ask wanted more creates than they got.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                var now = _time.GetUtcNow();
                return _wanting.Values.Count(c => c.InLine(now));
            }
        }
    }

    /// <summary>Takes up to <paramref name="wanted"/> creates for <paramref name="holder"/> (a pool) that fit in the
    /// window now, without waiting, and holds them for its next <see cref="TryTakeHeld"/>. When several pools want
    /// creates, each takes at most an equal share of the free slots (those served longest ago first), so no pool
    /// starves while another takes the whole window pass after pass. Zero says the pool wants none now (it leaves the
    /// line, so its share goes to the others).</summary>
    /// <returns>How many were granted (0..<paramref name="wanted"/>).</returns>
    public int TryAcquire(string holder, int wanted)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (!_wanting.TryGetValue(holder, out var me))
            {
                if (wanted <= 0)
                {
                    return 0;
                }

                me = new Contender { Ticket = ++_tickets };
                _wanting[holder] = me;
            }

            me.Wanted = Math.Max(0, wanted);
            me.AskedAt = now;
            if (wanted <= 0)
            {
                return 0;
            }

            ExpireLocked(now, GrantWindowLocked());
            var free = FreeLocked(now);
            var line = _wanting.Where(kv => kv.Value.InLine(now)).OrderBy(kv => kv.Value.Ticket).ToList();
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

                // Served: to the back of the line.
                me.Ticket = ++_tickets;
                me.Wanted -= granted;
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
        // A pool that wanted creates and then stopped asking (its engine gone) leaves the line after this; a pool that
        // simply wants none says so with a zero. Longer than any sane evaluation interval, so a pool waiting for its
        // next pass keeps its place.
        private static readonly TimeSpan QuietAfter = TimeSpan.FromMinutes(5);

        public bool InLine(DateTimeOffset now) => Wanted > 0 && now - AskedAt < QuietAfter;

        public long Ticket { get; set; }

        public int Wanted { get; set; }

        public DateTimeOffset AskedAt { get; set; }
    }
}

namespace Autoscaler.Linode;

/// <summary>One bucket of <see cref="LinodeApiBudget"/>: our requests of the last window, what the API announced, the
/// callers waiting (writes first, then reads in arrival order).</summary>
/// <param name="reserveForWrites">Reads leave the last twentieth of the bucket (at least one request) to writes.</param>
internal sealed class BudgetBucket(string name, int publishedLimit, TimeSpan publishedWindow, TimeProvider time, bool paceOwn, bool reserveForWrites)
{
    private static readonly TimeSpan MaxWindow = TimeSpan.FromMinutes(10);

    // Covers a server window counted on arrival and reset in whole seconds.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Queue<DateTimeOffset> _sends = new();
    private readonly List<Waiter> _waiters = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int? _announcedLimit;
    private TimeSpan? _announcedWindow;
    private int? _announcedRemaining;
    private DateTimeOffset _announcedReset;
    private int _sinceAnnounced;
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;
    private long _sequence;
    private long _sent;
    private long _waits;
    private double _waitedSeconds;
    private long _throttled;

    private int Limit => _announcedLimit ?? publishedLimit;

    // The window a fresh one announced (remaining = limit − 1, reset one window away), else the published one.
    private TimeSpan Window => _announcedWindow ?? publishedWindow;

    public async ValueTask<TimeSpan> AcquireAsync(bool write, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = time.GetUtcNow();
        Waiter me;
        lock (_lock)
        {
            me = new Waiter(write, ++_sequence);
            _waiters.Add(me);
        }

        try
        {
            while (true)
            {
                Task changed;
                TimeSpan wait;
                lock (_lock)
                {
                    var now = time.GetUtcNow();
                    var head = Head();
                    var wakeAt = now;
                    if (ReferenceEquals(head, me) && CanSend(now, write, maxWait, out wakeAt))
                    {
                        _waiters.Remove(me);
                        _sends.Enqueue(now);
                        _sinceAnnounced++;
                        _sent++;
                        var waited = now - started;
                        if (waited > TimeSpan.Zero)
                        {
                            _waits++;
                            _waitedSeconds += waited.TotalSeconds;
                        }

                        Signal();
                        return waited;
                    }

                    changed = _changed.Task;
                    wait = ReferenceEquals(head, me) ? wakeAt - now : Timeout.InfiniteTimeSpan;
                }

                if (wait == Timeout.InfiniteTimeSpan)
                {
                    await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var delay = Task.Delay(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, time, stop.Token);
                await Task.WhenAny(delay, changed).ConfigureAwait(false);
                await stop.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            lock (_lock)
            {
                if (_waiters.Remove(me))
                {
                    Signal();
                }
            }
        }
    }

    public TimeSpan BlockedFor(TimeSpan maxWait)
    {
        lock (_lock)
        {
            var left = _blockedUntil - time.GetUtcNow();
            return left <= TimeSpan.Zero ? TimeSpan.Zero : left > maxWait ? maxWait : left;
        }
    }

    public void Observe(RateLimitInfo info, int statusCode, TimeSpan maxWait)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (info.Limit is { } limit and > 0)
            {
                _announcedLimit = limit;
                if (info.Remaining == limit - 1 && info.Reset is { } opened && opened > now)
                {
                    // Reset is in whole epoch seconds: rounding the distance up never makes the window shorter.
                    var seconds = TimeSpan.FromSeconds(Math.Ceiling((opened - now).TotalSeconds));
                    _announcedWindow = seconds > MaxWindow ? MaxWindow : seconds;
                }
            }

            if (info.Remaining is { } remaining && info.Reset is { } reset && reset > now)
            {
                // Answers of one window arrive out of order: the lowest count left is the latest.
                _announcedRemaining = reset == _announcedReset && _announcedRemaining is { } known ? Math.Min(known, remaining) : remaining;
                _announcedReset = reset;
                _sinceAnnounced = 0;
                if (remaining <= 0)
                {
                    BlockUntil(reset, now, maxWait);
                }
            }

            if (statusCode == 429)
            {
                _throttled++;
                if (info.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero)
                {
                    BlockUntil(now + retryAfter, now, maxWait);
                }
            }

            Signal();
        }
    }

    public ApiBudgetUse Use()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            Expire(now);
            int? remaining = _announcedRemaining is { } r && _announcedReset > now ? Math.Max(0, r - _sinceAnnounced) : null;
            var window = Window;
            return new ApiBudgetUse(name, Limit, window, _sends.Count(s => now - s < window), remaining, _sent, _waits,
                _waitedSeconds, _throttled);
        }
    }

    // Writes first, then reads; each in arrival order.
    private Waiter? Head()
    {
        Waiter? head = null;
        foreach (var w in _waiters)
        {
            if (head is null || (w.Write && !head.Write) || (w.Write == head.Write && w.Sequence < head.Sequence))
            {
                head = w;
            }
        }

        return head;
    }

    private bool CanSend(DateTimeOffset now, bool write, TimeSpan maxWait, out DateTimeOffset wakeAt)
    {
        wakeAt = now;
        if (now < _blockedUntil)
        {
            wakeAt = _blockedUntil;
            return false;
        }

        // A bucket of a handful of requests (a test stub's) keeps nothing back.
        var reserve = write || !reserveForWrites || Limit < 10 ? 0 : Math.Max(1, Limit / 20);
        var allowed = Math.Max(1, Limit - reserve);
        // An API that never announces a limit does not enforce one (the emulator with its limits off): our own count
        // paces only a bucket the API has announced.
        if (paceOwn && _announcedLimit is not null)
        {
            Expire(now);
            if (_sends.Count >= allowed)
            {
                // The send that must leave the window before one more fits.
                wakeAt = _sends.ElementAt(_sends.Count - allowed) + Window + Margin;
                return false;
            }
        }

        // Another program of the same user (Prometheus' linode_sd, a person's CLI) draws on the same budget.
        if (_announcedRemaining is { } remaining && _announcedReset > now && remaining - _sinceAnnounced <= reserve)
        {
            var reset = _announcedReset;
            wakeAt = reset - now > maxWait ? now + maxWait : reset;
            return false;
        }

        return true;
    }

    private void Expire(DateTimeOffset now)
    {
        while (_sends.Count > 0 && now - _sends.Peek() >= Window + Margin)
        {
            _sends.Dequeue();
        }
    }

    private void BlockUntil(DateTimeOffset until, DateTimeOffset now, TimeSpan maxWait)
    {
        if (until - now > maxWait)
        {
            until = now + maxWait;
        }

        if (until > _blockedUntil)
        {
            _blockedUntil = until;
        }
    }

    private void Signal()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    private sealed record Waiter(bool Write, long Sequence);
}

namespace Autoscaler.Linode.Provider;

/// <summary>
/// Client-side limit on <c>POST /linode/instances</c>, shared by every pool of one account: at most
/// <see cref="Limit"/> creates in any <see cref="Window"/> (Linode publishes 10 per 30 s). Callers over the limit wait
/// their turn in arrival order instead of spending requests on certain 429s.
/// </summary>
/// <remarks>A sliding window of grant times: any interval of <see cref="Window"/> holds at most <see cref="Limit"/>
/// grants, so every fixed window the server may count also does. The client's own 429 handling stays as the safety
/// net for creates made by other programs on the same account.</remarks>
public sealed class InstanceCreateRateLimiter
{
    /// <summary>Linode's published limit on instance creation.</summary>
    public const int DefaultLimit = 10;

    /// <summary>Linode's published window for <see cref="DefaultLimit"/>.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    // Grant times in order, the latest possibly in the future (a reservation of a caller that is waiting for it).
    private readonly List<DateTimeOffset> _grants = [];
    private int _pending;

    /// <summary>A limiter of <paramref name="limit"/> creates per <paramref name="window"/> (defaults: 10 per 30 s).</summary>
    public InstanceCreateRateLimiter(TimeProvider? timeProvider = null, int limit = DefaultLimit, TimeSpan? window = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var w = window ?? DefaultWindow;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(w, TimeSpan.Zero, nameof(window));
        _time = timeProvider ?? TimeProvider.System;
        Limit = limit;
        Window = w;
    }

    /// <summary>Creates allowed per <see cref="Window"/>.</summary>
    public int Limit { get; }

    /// <summary>The sliding window.</summary>
    public TimeSpan Window { get; }

    /// <summary>Callers inside <see cref="AcquireAsync"/> waiting for their turn.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Waits until one more create fits in the window; returns how long the caller waited.</summary>
    /// <remarks>Each caller reserves its slot on arrival (the earliest time at which the window holds fewer than
    /// <see cref="Limit"/> grants), so callers are served in arrival order. A caller cancelled while waiting keeps its
    /// slot used, which only errs on the safe side.</remarks>
    public async ValueTask<TimeSpan> AcquireAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        DateTimeOffset now;
        DateTimeOffset slot;
        lock (_lock)
        {
            now = _time.GetUtcNow();
            var expired = 0;
            while (expired < _grants.Count && now - _grants[expired] >= Window)
            {
                expired++;
            }

            _grants.RemoveRange(0, expired);
            slot = now;
            if (_grants.Count >= Limit)
            {
                var due = _grants[^Limit] + Window;
                if (due > slot)
                {
                    slot = due;
                }
            }

            _grants.Add(slot);
        }

        var wait = slot - now;
        if (wait <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        Interlocked.Increment(ref _pending);
        try
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }

        return wait;
    }
}

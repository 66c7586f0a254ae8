namespace Autoscaler.Linode.Provider;

/// <summary>
/// Client-side limit on <c>POST /linode/instances</c>, shared by every pool of one account: at most
/// <see cref="Limit"/> creates in any <see cref="Window"/>. Callers over the limit wait their turn in arrival order
/// instead of spending requests on certain 429s. With <see cref="RateLimitBuckets"/> it follows the limit the API
/// announces (<c>X-RateLimit-Limit</c>, the window inferred from <c>X-RateLimit-Reset</c>) instead of the numbers it
/// was built with, and holds creates while the API says the window is spent.
/// </summary>
/// <remarks>A sliding window of grant times: any interval of <see cref="Window"/> holds at most <see cref="Limit"/>
/// grants, so every fixed window the server may count also does. Until the first answer announced the bucket, only one
/// create is in flight (a burst must not meet an unknown, smaller limit all at once). The client's own 429 handling
/// stays as the safety net for creates made by other programs on the same account.</remarks>
public sealed partial class InstanceCreateRateLimiter
{
    /// <summary>The endpoint template whose bucket the limiter follows.</summary>
    public const string CreateEndpoint = "POST /linode/instances";

    /// <summary>Linode's published limit on instance creation (its rate-limits page; the 4.176 spec's 10 per 30 s is older).</summary>
    public const int DefaultLimit = 20;

    /// <summary>Linode's published window for <see cref="DefaultLimit"/>.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(15);

    private readonly TimeProvider _time;
    private readonly RateLimitBuckets? _announced;
    private readonly Lock _lock = new();
    private readonly int _limit;
    private readonly TimeSpan _window;

    // Grant times in order, the latest possibly in the future (a reservation of a caller that is waiting for it).
    private readonly List<DateTimeOffset> _grants = [];
    private int _pending;
    private TaskCompletionSource? _firstAnswer;
    private volatile bool _unannounced;

    /// <summary>A limiter of <paramref name="limit"/> creates per <paramref name="window"/> (defaults: 20 per 15 s).</summary>
    /// <param name="announced">The client's buckets; when given, their announced create limit wins over these numbers.</param>
    public InstanceCreateRateLimiter(TimeProvider? timeProvider = null, int limit = DefaultLimit, TimeSpan? window = null,
        RateLimitBuckets? announced = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var w = window ?? DefaultWindow;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(w, TimeSpan.Zero, nameof(window));
        _time = timeProvider ?? TimeProvider.System;
        _limit = limit;
        _window = w;
        _announced = announced;
        if (announced is not null)
        {
            announced.Answered += endpoint =>
            {
                if (endpoint != CreateEndpoint)
                {
                    return;
                }

                if (Announced() is null)
                {
                    // An API that announces nothing (the emulator with its limits off): the configured numbers rule.
                    _unannounced = true;
                }

                Interlocked.Exchange(ref _firstAnswer, null)?.TrySetResult();
            };
        }
    }

    /// <summary>Creates allowed per <see cref="Window"/>: the announced limit when known, else the configured one.</summary>
    public int Limit => Announced()?.Limit ?? _limit;

    /// <summary>The sliding window: the announced one when inferred, else the configured one.</summary>
    public TimeSpan Window => Announced()?.Window ?? _window;

    /// <summary>Callers inside <see cref="AcquireAsync"/> waiting for their turn.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Waits until one more create fits in the window; returns how long the caller waited.</summary>
    /// <remarks>Each caller reserves its slot on arrival (the earliest time at which the window holds fewer than
    /// <see cref="Limit"/> grants), so callers are served in arrival order. A caller cancelled while waiting keeps its
    /// slot used, which only errs on the safe side.</remarks>
    public async ValueTask<TimeSpan> AcquireAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetUtcNow();
        var waited = TimeSpan.Zero;
        Interlocked.Increment(ref _pending);
        try
        {
            await WaitForFirstAnswerAsync(cancellationToken).ConfigureAwait(false);
            DateTimeOffset now;
            DateTimeOffset slot;
            lock (_lock)
            {
                now = _time.GetUtcNow();
                var limit = Limit;
                // Against an announced (server-counted) bucket the window is one second longer than announced: a grant
                // reaches the server's fixed window up to a few hundred ms after our clock gave it, so a burst at +15.0 s
                // could still land in the window the previous burst opened (measured: 279 × 429 over 1,000 creates).
                var window = Announced() is null ? Window : Window + TransitMargin;
                var expired = 0;
                while (expired < _grants.Count && now - _grants[expired] >= window)
                {
                    expired++;
                }

                _grants.RemoveRange(0, expired);
                slot = now;
                if (_grants.Count >= limit)
                {
                    var due = _grants[^limit] + window;
                    if (due > slot)
                    {
                        slot = due;
                    }
                }

                // The API said the window is spent (creates by another program count too): nothing before its reset.
                if (Announced() is { Remaining: <= 0, Reset: { } reset } && reset > slot)
                {
                    slot = reset;
                }

                _grants.Add(slot);
            }

            var wait = slot - now;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }

            waited = _time.GetUtcNow() - started;
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }

        return waited < TimeSpan.Zero ? TimeSpan.Zero : waited;
    }

    private RateLimitBucket? Announced() => _announced?.Get(CreateEndpoint);

    /// <summary>How much longer than an announced window grants are spaced (the budget pads its windows the same).</summary>
    public static readonly TimeSpan TransitMargin = TimeSpan.FromSeconds(1);

    // Until the API announced the bucket, the first caller goes alone and the rest wait for its answer (at most one
    // configured window, in case that answer carries no headers).
    private async Task WaitForFirstAnswerAsync(CancellationToken cancellationToken)
    {
        if (_announced is null || _unannounced || Announced() is not null)
        {
            return;
        }

        TaskCompletionSource? wait = null;
        lock (_lock)
        {
            if (_firstAnswer is null && _grants.Count == 0)
            {
                _firstAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return;
            }

            wait = _firstAnswer;
        }

        if (wait is null || Announced() is not null)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(_window, _time, timeout.Token);
        if (await Task.WhenAny(wait.Task, delay).ConfigureAwait(false) != wait.Task)
        {
            _unannounced = true;
        }

        await timeout.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }
}

namespace Linode.Emulator.Faults;

/// <summary>Fixed-window counters per token and bucket, like the real API's published limits: the numbers behind the
/// X-RateLimit-* headers, and the 429s when enforcement is on.</summary>
internal sealed class RateLimiter(EmulatorRateLimits limits, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Caller, string Bucket), Window> _windows = [];

    public bool Enforced => limits.Enabled;

    /// <summary>Counts the request against its bucket and says where the caller stands.</summary>
    public Verdict Count(string caller, bool createsInstance)
    {
        var (bucket, limit, length) = createsInstance
            ? ("linode-create", limits.CreateInstanceLimit, limits.CreateInstanceWindow)
            : ("general", limits.GeneralLimit, limits.GeneralWindow);
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_windows.TryGetValue((caller, bucket), out var window) || now >= window.Reset)
            {
                window = new Window(now + length);
                _windows[(caller, bucket)] = window;
                if (_windows.Count > 10_000)
                {
                    // Forget expired windows now and then so many throwaway tokens cannot grow the table forever.
                    foreach (var expired in _windows.Where(w => now >= w.Value.Reset).Select(w => w.Key).ToList())
                    {
                        _windows.Remove(expired);
                    }
                }
            }
            window.Used++;
            var remaining = Math.Max(0, limit - window.Used);
            return new Verdict(limit, remaining, window.Reset, window.Used > limit, window.Reset - now);
        }
    }

    private sealed class Window(DateTimeOffset reset)
    {
        public DateTimeOffset Reset { get; } = reset;

        public int Used { get; set; }
    }

    public readonly record struct Verdict(int Limit, int Remaining, DateTimeOffset Reset, bool Exceeded, TimeSpan RetryAfter);
}

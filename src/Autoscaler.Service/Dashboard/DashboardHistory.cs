namespace Autoscaler.Service.Dashboard;

/// <summary>One sample of a pool: what the engine saw and what Prometheus said at <see cref="At"/>. A metric is null
/// when it is not configured or had no value (the reason is in <see cref="Missing"/>).</summary>
public sealed record DashboardSample
{
    public DateTimeOffset At { get; init; }

    /// <summary>Requests per second through the NodeBalancer.</summary>
    public double? Requests { get; init; }

    /// <summary>The load a forecast signal expected for this moment (made its lead before), in its query's unit.</summary>
    public double? Forecast { get; init; }

    /// <summary>Aggregate CPU, percent.</summary>
    public double? Cpu { get; init; }

    /// <summary>95th percentile latency, seconds.</summary>
    public double? LatencyP95 { get; init; }

    public int Serving { get; init; }

    /// <summary>Launched and not serving yet (provisioning, booting, joining).</summary>
    public int Booting { get; init; }

    /// <summary>Being drained or removed.</summary>
    public int Draining { get; init; }

    /// <summary>Live but not serving after their grace.</summary>
    public int Unhealthy { get; init; }

    public int? Desired { get; init; }

    /// <summary>Effective minimum (a schedule may raise it).</summary>
    public int Min { get; init; }

    /// <summary>Effective maximum.</summary>
    public int Max { get; init; }

    public bool DryRun { get; init; }

    /// <summary>Why a configured metric has no value in this sample, by metric (<c>requests</c>, <c>cpu</c>, <c>latency_p95</c>).</summary>
    public IReadOnlyDictionary<string, string>? Missing { get; init; }
}

/// <summary>A pool's recent samples in a fixed-size ring: memory stays bounded however long the service runs, and
/// the oldest sample is dropped for each new one once the history is full.</summary>
public sealed class PoolHistory
{
    private readonly DashboardSample[] _ring;
    private readonly Lock _lock = new();
    private int _start;
    private int _count;

    /// <summary>Keeps at most <paramref name="capacity"/> samples.</summary>
    public PoolHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new DashboardSample[capacity];
    }

    /// <summary>Samples held.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Appends a sample; one not later than the last is ignored, so the series stays ordered.</summary>
    public bool Add(DashboardSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        lock (_lock)
        {
            if (_count > 0 && sample.At <= _ring[(_start + _count - 1) % _ring.Length].At)
            {
                return false;
            }

            if (_count < _ring.Length)
            {
                _ring[(_start + _count) % _ring.Length] = sample;
                _count++;
            }
            else
            {
                _ring[_start] = sample;
                _start = (_start + 1) % _ring.Length;
            }

            return true;
        }
    }

    /// <summary>The samples later than <paramref name="after"/> (all of them when null), oldest first.</summary>
    public IReadOnlyList<DashboardSample> Since(DateTimeOffset? after)
    {
        lock (_lock)
        {
            // Binary search over the ring's logical order: samples are strictly increasing in time.
            int lo = 0, hi = _count;
            if (after is { } a)
            {
                while (lo < hi)
                {
                    var mid = (lo + hi) / 2;
                    if (_ring[(_start + mid) % _ring.Length].At <= a)
                    {
                        lo = mid + 1;
                    }
                    else
                    {
                        hi = mid;
                    }
                }
            }

            var result = new DashboardSample[_count - lo];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = _ring[(_start + lo + i) % _ring.Length];
            }

            return result;
        }
    }
}

/// <summary>Every pool's <see cref="PoolHistory"/>.</summary>
public sealed class DashboardHistory
{
    private readonly Dictionary<string, PoolHistory> _pools;

    /// <summary>One history of <paramref name="capacity"/> samples per pool.</summary>
    public DashboardHistory(IEnumerable<string> pools, int capacity)
    {
        ArgumentNullException.ThrowIfNull(pools);
        _pools = pools.ToDictionary(p => p, _ => new PoolHistory(capacity), StringComparer.Ordinal);
    }

    /// <summary>The pool's history, or null for an unknown pool.</summary>
    public PoolHistory? Get(string pool) => _pools.GetValueOrDefault(pool);
}

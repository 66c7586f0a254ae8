using System.Numerics;

namespace Autoscaler.Load;

/// <summary>
/// Latencies in log-linear buckets (HdrHistogram's layout): exact below 128 µs, then 64 buckets per power of two, so
/// a percentile is within 1/64 (1.6 %) of the true value and memory is fixed (16 KiB) however long the run.
/// Not thread-safe: the generator records under its own lock.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits;

    // 2^36 µs is about 19 hours: longer latencies are recorded as that.
    private const long MaxMicroseconds = (1L << 36) - 1;
    private static readonly int BucketCount = Index(MaxMicroseconds) + 1;

    private readonly long[] _counts = new long[BucketCount];
    private long _maxMicroseconds;

    public long Count { get; private set; }

    public double SumMilliseconds { get; private set; }

    public double? MaxMilliseconds => Count == 0 ? null : _maxMicroseconds / 1000.0;

    public double? MeanMilliseconds => Count == 0 ? null : SumMilliseconds / Count;

    public void Record(TimeSpan latency)
    {
        var us = Math.Clamp((long)latency.TotalMicroseconds, 0, MaxMicroseconds);
        _counts[Index(us)]++;
        Count++;
        SumMilliseconds += us / 1000.0;
        _maxMicroseconds = Math.Max(_maxMicroseconds, us);
    }

    /// <summary>The latency (ms) that <paramref name="percentile"/> % of the recorded values do not exceed: the top
    /// of its bucket, never above the largest value recorded; null when nothing was recorded.</summary>
    public double? Percentile(double percentile)
    {
        if (Count == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(Math.Clamp(percentile, 0, 100) / 100 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(HighestEquivalent(i), _maxMicroseconds) / 1000.0;
            }
        }

        return _maxMicroseconds / 1000.0;
    }

    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        SumMilliseconds += other.SumMilliseconds;
        _maxMicroseconds = Math.Max(_maxMicroseconds, other._maxMicroseconds);
    }

    public void Clear()
    {
        Array.Clear(_counts);
        Count = 0;
        SumMilliseconds = 0;
        _maxMicroseconds = 0;
    }

    private static int Index(long us)
    {
        var msb = 63 - BitOperations.LeadingZeroCount((ulong)us | 1);
        var shift = Math.Max(0, msb - SubBucketBits);
        return (shift << SubBucketBits) + (int)(us >> shift);
    }

    private static long HighestEquivalent(int index)
    {
        if (index < 2 * SubBuckets)
        {
            return index;
        }

        var shift = (index >> SubBucketBits) - 1;
        var sub = index - (shift << SubBucketBits);
        return ((long)(sub + 1) << shift) - 1;
    }
}

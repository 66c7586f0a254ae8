using Autoscaler.Load;

namespace Autoscaler.Load.Tests;

public class LatencyHistogramTests
{
    [Fact]
    public void Percentile_ManyValues_WithinBucketPrecisionOfTheExactValue()
    {
        var h = new LatencyHistogram();
        var values = Enumerable.Range(1, 10_000).Select(i => i * 0.7).ToList(); // 0.7 ms .. 7 s
        foreach (var ms in values)
        {
            h.Record(TimeSpan.FromMilliseconds(ms));
        }

        foreach (var p in new[] { 50.0, 95, 99, 99.9 })
        {
            var exact = values[(int)Math.Ceiling(p / 100 * values.Count) - 1];
            Assert.InRange(h.Percentile(p)!.Value, exact * 0.98, exact * 1.02);
        }

        Assert.Equal(7000, h.MaxMilliseconds!.Value, 3);
        Assert.InRange(h.MeanMilliseconds!.Value, values.Average() - 0.01, values.Average() + 0.01);
        Assert.Equal(10_000, h.Count);
    }

    [Fact]
    public void Percentile_Empty_IsNull()
    {
        var h = new LatencyHistogram();

        Assert.Null(h.Percentile(95));
        Assert.Null(h.MaxMilliseconds);
    }

    [Fact]
    public void Percentile_NeverAboveTheLargestValue()
    {
        var h = new LatencyHistogram();
        h.Record(TimeSpan.FromMilliseconds(1234.567));

        Assert.Equal(1234.567, h.Percentile(99)!.Value, 3);
    }

    [Fact]
    public void Add_MergesCountsAndClearEmpties()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        for (var i = 0; i < 90; i++)
        {
            a.Record(TimeSpan.FromMilliseconds(10));
        }

        for (var i = 0; i < 10; i++)
        {
            b.Record(TimeSpan.FromMilliseconds(1000));
        }

        a.Add(b);
        b.Clear();

        Assert.Equal(100, a.Count);
        Assert.InRange(a.Percentile(90)!.Value, 9.8, 10.2);
        Assert.InRange(a.Percentile(95)!.Value, 980, 1000);
        Assert.Equal(0, b.Count);
        Assert.Null(b.Percentile(50));
    }
}

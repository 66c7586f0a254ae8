using Autoscaler.Service.Dashboard;

namespace Dashboard.Tests;

public sealed class PoolHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DashboardSample At(int seconds, int serving = 1) => new() { At = T0.AddSeconds(seconds), Serving = serving };

    [Fact]
    public void Add_BeyondCapacity_KeepsTheNewestInOrder()
    {
        var history = new PoolHistory(3);

        for (var i = 1; i <= 5; i++)
        {
            history.Add(At(i, serving: i));
        }

        Assert.Equal(3, history.Count);
        Assert.Equal([3, 4, 5], history.Since(null).Select(s => s.Serving));
    }

    [Fact]
    public void Since_ATime_ReturnsOnlyLaterSamplesAcrossTheRingsWrap()
    {
        var history = new PoolHistory(4);
        for (var i = 1; i <= 6; i++)
        {
            history.Add(At(i, serving: i));
        }

        Assert.Equal([5, 6], history.Since(T0.AddSeconds(4)).Select(s => s.Serving));
        Assert.Equal([3, 4, 5, 6], history.Since(T0).Select(s => s.Serving));
        Assert.Empty(history.Since(T0.AddSeconds(6)));
    }

    [Fact]
    public void Add_NotLaterThanTheLast_IsIgnored()
    {
        var history = new PoolHistory(10);
        Assert.True(history.Add(At(2)));

        Assert.False(history.Add(At(2)));
        Assert.False(history.Add(At(1)));
        Assert.Equal(1, history.Count);
    }
}

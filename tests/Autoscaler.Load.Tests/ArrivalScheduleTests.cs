using Autoscaler.Load;

namespace Autoscaler.Load.Tests;

public class ArrivalScheduleTests
{
    private static List<double> All(LoadProfile profile, ArrivalProcess process, int seed = 7)
    {
        var schedule = new ArrivalSchedule(profile, process, seed);
        var times = new List<double>();
        while (schedule.TryNext(out var at))
        {
            times.Add(at.TotalSeconds);
        }

        return times;
    }

    [Fact]
    public void TryNext_Uniform_SpacesArrivalsEvenlyAtTheRate()
    {
        var times = All(LoadProfile.Constant(50, TimeSpan.FromSeconds(2)), ArrivalProcess.Uniform);

        Assert.Equal(100, times.Count);
        Assert.Equal(0.01, times[0], 6);
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.Equal(0.02, pair.Second - pair.First, 6));
    }

    [Fact]
    public void TryNext_UniformRamp_FollowsTheRampExactly()
    {
        var profile = LoadProfile.Parse("10s@0..100");
        var times = All(profile, ArrivalProcess.Uniform);

        Assert.Equal(500, times.Count);
        // Λ(5 s) = 125: the first half of a ramp from 0 carries a quarter of its arrivals.
        Assert.Equal(125, times.Count(t => t < 5));
        Assert.True(times.Zip(times.Skip(1)).All(p => p.Second > p.First));
        Assert.True(times[^1] < 10);
    }

    [Fact]
    public void TryNext_Poisson_SameSeedSameArrivals()
    {
        var profile = LoadProfile.Parse("5s@20,5s@20..60");

        Assert.Equal(All(profile, ArrivalProcess.Poisson, seed: 42), All(profile, ArrivalProcess.Poisson, seed: 42));
        Assert.NotEqual(All(profile, ArrivalProcess.Poisson, seed: 42), All(profile, ArrivalProcess.Poisson, seed: 43));
    }

    [Fact]
    public void TryNext_Poisson_CountsFollowTheProfileOnAverage()
    {
        var profile = LoadProfile.Parse("10s@100,10s@400");

        // 20 seeds × 5000 expected arrivals: the mean is within a few standard deviations of Λ.
        var low = new List<int>();
        var high = new List<int>();
        for (var seed = 1; seed <= 20; seed++)
        {
            var times = All(profile, ArrivalProcess.Poisson, seed);
            low.Add(times.Count(t => t < 10));
            high.Add(times.Count(t => t >= 10));
            Assert.True(times.Zip(times.Skip(1)).All(p => p.Second >= p.First));
        }

        Assert.InRange(low.Average(), 1000 - 50, 1000 + 50);
        Assert.InRange(high.Average(), 4000 - 100, 4000 + 100);
        // Poisson counts vary (variance = mean); evenly spaced ones would not.
        Assert.True(low.Distinct().Count() > 5);
    }

    [Fact]
    public void TryNext_IdleStretch_SendsNothingThere()
    {
        var times = All(LoadProfile.Parse("2s@10,3s@0,2s@10"), ArrivalProcess.Poisson);

        Assert.DoesNotContain(times, t => t is > 2 and < 5);
        Assert.Contains(times, t => t > 5);
    }
}

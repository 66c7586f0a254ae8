using System.IO.Compression;
using Autoscaler.Simulation;

namespace Autoscaler.Simulation.Tests;

public sealed class SimulationTraceTests
{
    [Fact]
    public void TryParse_HeaderAndRows_GivesStepStartAndRates()
    {
        var trace = LoadTrace.TryParse(new StringReader("t_seconds,requests_per_second\n120,0.5\n180,1.25\n\n240,0\n"), "t.csv", out var errors);

        Assert.Empty(errors);
        Assert.NotNull(trace);
        Assert.Equal(TimeSpan.FromMinutes(1), trace.Step);
        Assert.Equal(DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds(120), trace.Start);
        Assert.Equal([0.5, 1.25, 0], trace.Rates);
        Assert.Equal(TimeSpan.FromMinutes(3), trace.Duration);
    }

    [Fact]
    public void TryParse_ClockStart_AnchorsTheTrace()
    {
        var start = new DateTimeOffset(1995, 7, 1, 0, 0, 0, TimeSpan.FromHours(-4));

        var trace = LoadTrace.TryParse(new StringReader("0,1\n60,2\n"), "t.csv", out _, start);

        Assert.Equal(start, trace!.Start);
    }

    [Fact]
    public void TryParse_BadRows_ReportsEveryProblemWithItsLine()
    {
        const string csv = "t_seconds,requests_per_second\n0,1\n60,1\n60,2\n120,x\n180,-2\n240\n";

        var trace = LoadTrace.TryParse(new StringReader(csv), "bad.csv", out var errors);

        Assert.Null(trace);
        Assert.Equal(
        [
            "bad.csv:4: t_seconds 60 does not increase",
            "bad.csv:5: requests_per_second 'x' is not a non-negative number",
            "bad.csv:6: requests_per_second '-2' is not a non-negative number",
            "bad.csv:7: expected two columns t_seconds,requests_per_second, got '240'",
        ], errors);
        Assert.Null(LoadTrace.TryParse(new StringReader("0,1\n60,1\n120,1\n200,1\n"), "gap.csv", out var gap));
        Assert.Equal(["gap.csv:4: rows must be evenly spaced (60 s apart), but t_seconds goes from 120 to 200"], gap);
    }

    [Fact]
    public void TryParse_OneRow_IsNotATrace()
    {
        Assert.Null(LoadTrace.TryParse(new StringReader("t_seconds,requests_per_second\n0,1\n"), "one.csv", out var errors));
        Assert.Equal(["one.csv: a trace needs at least two rows t_seconds,requests_per_second"], errors);
    }

    [Fact]
    public void TryLoad_GzipAndMissingFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"trace-{Guid.NewGuid():N}.csv.gz");
        try
        {
            using (var file = File.Create(path))
            using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            using (var writer = new StreamWriter(gzip))
            {
                writer.Write("t_seconds,requests_per_second\n0,3\n60,4\n");
            }

            Assert.Equal([3.0, 4.0], LoadTrace.TryLoad(path, out var errors)!.Rates);
            Assert.Empty(errors);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Null(LoadTrace.TryLoad("/nonexistent/trace.csv", out var missing));
        Assert.Equal(["trace file '/nonexistent/trace.csv' does not exist"], missing);
    }

    [Fact]
    public void Slice_TakesWholeRowsFromTheOffset()
    {
        var trace = new LoadTrace(Pools.Epoch, TimeSpan.FromMinutes(1), [1, 2, 3, 4, 5]);

        var slice = trace.Slice(TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(2))!;

        Assert.Equal(Pools.Epoch + TimeSpan.FromMinutes(1), slice.Start);
        Assert.Equal([2.0, 3.0], slice.Rates);
        Assert.Equal([4.0, 5.0], trace.Slice(TimeSpan.FromMinutes(3), null)!.Rates);
        Assert.Null(trace.Slice(TimeSpan.FromMinutes(5), null));
    }

    [Fact]
    public void Scale_MultipliesEveryRate()
    {
        var trace = new LoadTrace(Pools.Epoch, TimeSpan.FromMinutes(1), [1, 2.5]);

        Assert.Equal([3.0, 7.5], trace.Scale(3).Rates);
        Assert.Equal(7.5, trace.Scale(3).Peak);
        Assert.Throws<ArgumentOutOfRangeException>(() => trace.Scale(0));
    }

    [Fact]
    public void InstancePlans_CapacityFollowsTheWorkloadModel()
    {
        var plan = InstancePlans.Find("g6-standard-2")!;

        Assert.Equal((2, 0.036m, 24m), (plan.Vcpus, plan.HourlyPrice, plan.MonthlyPrice));
        Assert.Equal(new Autoscaler.Core.Billing.InstancePrice(0.036m, 24m), plan.Price);
        Assert.Equal(40, InstancePlans.Capacity(plan.Vcpus, InstancePlans.DefaultWorkMs));
        Assert.Equal(100, InstancePlans.Capacity(1, 10));
        Assert.Null(InstancePlans.Find("g7-unknown"));
    }
}

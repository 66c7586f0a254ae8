using System.Globalization;
using Autoscaler.Sandbox.Bench;

namespace Reliability.Tests;

/// <summary>
/// The short form of <c>bench --only fleet</c> (the 20 x 50 form runs in <c>make soak</c>): one real <c>serve</c>
/// process scales three pools 2 → 4 → 2 against the emulator's lightweight instances with Linode's rate limits on.
/// It must converge both ways, and its figures must agree with each other (timings are the machine's, not asserted).
/// </summary>
public sealed class FleetBenchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Fleet_ThreePoolsOfFour_ConvergesBothWaysWithConsistentFigures()
    {
        var log = new StringWriter(CultureInfo.InvariantCulture);
        var settings = new BenchSettings
        {
            Parts = new HashSet<string>(["fleet"], StringComparer.Ordinal),
            Program = ServeProgram.InOutputFolder(),
            WorkDirectory = Path.Combine(Path.GetTempPath(), $"fleet-bench-{Guid.NewGuid():N}"),
            // 5 s: each pool's evaluation makes a few paginated GETs, and three pools stay well inside Linode's 200
            // a minute.
            Fleet = new FleetSettings { Pools = 3, Instances = 4, EvaluationInterval = TimeSpan.FromSeconds(5) },
        };
        try
        {
            var report = await new BenchRunner(settings, log).RunAsync(CancellationToken.None);
            output.WriteLine(log.ToString());

            var fleet = Assert.IsType<FleetFigures>(report.Fleet);
            Assert.Null(report.Webhook);
            Assert.Equal(3, fleet.Pools);
            Assert.Equal(4, fleet.Instances);
            Assert.True(fleet.ConvergeSeconds.Up > 0 && fleet.ConvergeSeconds.Down > 0, $"converged in {fleet.ConvergeSeconds}");
            Assert.Equal(["create", "general", "images", "paginated", "stats"], fleet.Calls.Keys.Order(StringComparer.Ordinal));
            // Two members per pool at the start and two more each on the way up: at least twelve creates.
            Assert.InRange(fleet.Calls["create"].Total, 12, fleet.TotalCalls);
            Assert.Equal(fleet.TotalCalls, fleet.Calls.Values.Sum(b => b.Total));
            Assert.All(fleet.Calls.Values, b =>
            {
                Assert.InRange(b.MaxPerWindow, 0, b.MaxPerMinute);
                Assert.InRange(b.MaxPerMinute, b.Total == 0 ? 0 : 1, b.Total);
                Assert.InRange(b.MeanPerMinute, 0, b.MaxPerMinute);
            });
            Assert.Equal((20, 15.0), (fleet.Calls["create"].Limit, fleet.Calls["create"].WindowSeconds));
            Assert.Equal(200, fleet.Calls["paginated"].Limit);
            Assert.Equal(1600, fleet.Calls["general"].Limit);
            Assert.InRange(fleet.Http429, 0, fleet.TotalCalls);
            Assert.InRange(fleet.CycleP50Ms, 0, fleet.CycleP99Ms);
            Assert.True(fleet.PeakRssMiB > 0, "serve's peak memory was read");
        }
        finally
        {
            if (Directory.Exists(settings.WorkDirectory))
            {
                Directory.Delete(settings.WorkDirectory, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("POST", "/v4/linode/instances", "create")]
    [InlineData("GET", "/v4/linode/instances?page=2", "paginated")]
    [InlineData("GET", "/v4/linode/instances/17", "general")]
    [InlineData("GET", "/v4/linode/instances/17/ips", "general")]
    [InlineData("GET", "/v4/nodebalancers/3/configs/4/nodes", "paginated")]
    [InlineData("DELETE", "/v4/linode/instances/17", "general")]
    [InlineData("GET", "/v4/images", "images")]
    [InlineData("GET", "/v4/nodebalancers/3/stats", "stats")]
    [InlineData("GET", "/v4/profile", "general")]
    public void BucketOf_Call_AsLinodeCountsIt(string method, string target, string bucket) =>
        Assert.Equal(bucket, LinodeBuckets.Of(method, target));

    [Fact]
    public void MaxInWindow_CallsAcrossAMinute_BusiestSlidingWindow() =>
        Assert.Equal(3, LinodeBuckets.MaxInWindow([0, 10, 59.9, 60, 130], 60));

    [Fact]
    public void MeanPerMinute_ShortAndLongRuns_CountOverSlidingMinutes()
    {
        Assert.Equal(2, LinodeBuckets.MeanPerMinute([1, 2], 0, 30));
        // Two minutes of one call a second: every sliding minute holds 60.
        Assert.Equal(60, LinodeBuckets.MeanPerMinute([.. Enumerable.Range(0, 120).Select(i => (double)i)], 0, 120), 3);
    }

    [Fact]
    public void HistogramQuantile_Buckets_InterpolatedAsPromQL()
    {
        const string text = """
            x_bucket{le="0.1"} 50
            x_bucket{le="0.2"} 100
            x_bucket{le="+Inf"} 100
            x_count 100
            """;
        Assert.Equal(0.15, LinodeBuckets.HistogramQuantile(text, "x", 0.75), 6);
        Assert.True(double.IsNaN(LinodeBuckets.HistogramQuantile("", "x", 0.5)));
    }
}

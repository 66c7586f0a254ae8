using Autoscaler.Load;

namespace Autoscaler.Load.Tests;

public class LoadProfileTests
{
    [Fact]
    public void TryParse_ConstantsAndRamps_BuildsSegments()
    {
        Assert.True(LoadProfile.TryParse("60s@20, 30s@20..80,1m@80,500ms@0.5,1.5m@1", out var profile, out var errors), string.Join("; ", errors));

        Assert.Equal(
            [
                new LoadSegment(TimeSpan.FromSeconds(60), 20, 20),
                new LoadSegment(TimeSpan.FromSeconds(30), 20, 80),
                new LoadSegment(TimeSpan.FromSeconds(60), 80, 80),
                new LoadSegment(TimeSpan.FromMilliseconds(500), 0.5, 0.5),
                new LoadSegment(TimeSpan.FromSeconds(90), 1, 1),
            ],
            profile!.Segments);
        Assert.Equal(TimeSpan.FromSeconds(240.5), profile.Duration);
        Assert.Equal(80, profile.PeakRate);
        Assert.Equal("60s@20,30s@20..80,60s@80,500ms@0.5,90s@1", profile.Description);
    }

    [Fact]
    public void TryParse_BadSegments_ReportsEveryOneByPosition()
    {
        Assert.False(LoadProfile.TryParse("60s@20,30x@20,10s@-5,10s@20..,10s", out var profile, out var errors));

        Assert.Null(profile);
        Assert.Equal(4, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("profile segment 2 ('30x@20'): duration '30x'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("profile segment 3 ('10s@-5'): rate '-5'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("profile segment 4 ('10s@20..'): ramp '20..'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("profile segment 5 ('10s'): expected DURATION@RATE", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "profile is empty")]
    [InlineData("10s@0,5s@0..0", "every rate is 0")]
    [InlineData("0s@10", "not a positive duration")]
    [InlineData("10s@abc", "not a number")]
    [InlineData("10s@5,,10s@5", "profile segment 2 ('')")]
    public void TryParse_InvalidProfile_ExplainsWhy(string text, string expected)
    {
        Assert.False(LoadProfile.TryParse(text, out _, out var errors));

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_Invalid_ThrowsFormatExceptionWithTheProblems()
    {
        var e = Assert.Throws<FormatException>(() => LoadProfile.Parse("5@x"));

        Assert.Contains("rate 'x'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ArrivalsBy_Ramp_IsTheIntegralOfTheRate()
    {
        var profile = LoadProfile.Parse("10s@10,10s@10..30,10s@0");

        Assert.Equal(100, profile.ArrivalsBy(TimeSpan.FromSeconds(10)), 9);
        Assert.Equal(100 + 75, profile.ArrivalsBy(TimeSpan.FromSeconds(15)), 9); // 5 s from 10/s to 20/s
        Assert.Equal(300, profile.TotalArrivals, 9);
        Assert.Equal(20, profile.RateAt(TimeSpan.FromSeconds(15)), 9);
        Assert.Equal(0, profile.RateAt(TimeSpan.FromSeconds(25)));
        Assert.Equal(0, profile.RateAt(TimeSpan.FromSeconds(31)));
    }

    [Fact]
    public void TimeOfArrival_InvertsArrivalsBy_AcrossRampsAndIdleStretches()
    {
        var profile = LoadProfile.Parse("5s@0..40,5s@0,5s@40..0,5s@7");

        foreach (var n in new[] { 0.5, 1, 37.2, 99.99, 100, 150, 199.5, 200, 234.9 })
        {
            var at = profile.TimeOfArrival(n);
            Assert.NotNull(at);
            Assert.Equal(n, profile.ArrivalsBy(at.Value), 4); // TimeSpan keeps 100 ns
        }

        // The idle stretch 5..10 s produces nothing: arrival 100 is at its end, not inside it.
        Assert.Equal(10, profile.TimeOfArrival(100.0001)!.Value.TotalSeconds, 3);
        Assert.Null(profile.TimeOfArrival(235));
    }

    [Fact]
    public void TryReadTrace_ScaleAndSpeedup_CompressTimeAndScaleRates()
    {
        const string Csv = "t_seconds,requests_per_second\n0,1.5\n60,2\n120,2\n180,0.25\n";

        Assert.True(LoadProfile.TryReadTrace(new StringReader(Csv), new TraceReplay { Scale = 10, Speedup = 30 }, "t.csv", out var profile, out var errors),
            string.Join("; ", errors));

        // Each minute of trace lasts 2 s; equal neighbours merge; the last row lasts as long as the one before.
        Assert.Equal(
            [
                new LoadSegment(TimeSpan.FromSeconds(2), 15, 15),
                new LoadSegment(TimeSpan.FromSeconds(4), 20, 20),
                new LoadSegment(TimeSpan.FromSeconds(2), 2.5, 2.5),
            ],
            profile!.Segments);
        Assert.Contains("t.csv", profile.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadTrace_StartAndLength_ReplayOnlyThatPart()
    {
        const string Csv = "0,1\n60,2\n120,3\n180,4\n";

        Assert.True(LoadProfile.TryReadTrace(new StringReader(Csv),
            new TraceReplay { Start = TimeSpan.FromSeconds(90), Length = TimeSpan.FromSeconds(60), Speedup = 60 }, "t.csv", out var profile, out _));

        Assert.Equal([new LoadSegment(TimeSpan.FromSeconds(0.5), 2, 2), new LoadSegment(TimeSpan.FromSeconds(0.5), 3, 3)], profile!.Segments);
    }

    [Fact]
    public void TryReadTrace_BadRows_ReportsLineNumbers()
    {
        const string Csv = "t_seconds,requests_per_second\n0,1\n60,x\n0,2\n# note\n\n120\n180,-1\n";

        Assert.False(LoadProfile.TryReadTrace(new StringReader(Csv), new TraceReplay(), "bad.csv", out var profile, out var errors));

        Assert.Null(profile);
        Assert.Equal(
            [
                "bad.csv:3: requests_per_second 'x' is not a number of at least 0",
                "bad.csv:4: t_seconds 0 does not increase (previous row: 0)",
                "bad.csv:7: expected t_seconds,requests_per_second",
                "bad.csv:8: requests_per_second '-1' is not a number of at least 0",
            ],
            errors);
    }

    [Theory]
    [InlineData("0,1\n", 1, 1, "at least two rows")]
    [InlineData("0,0\n60,0\n", 1, 1, "every rate in the replayed part is 0")]
    [InlineData("0,1\n60,1\n", 0, 1, "speedup must be")]
    [InlineData("0,1\n60,1\n", 1, -2, "scale must be")]
    public void TryReadTrace_UnusableTrace_ExplainsWhy(string csv, double speedup, double scale, string expected)
    {
        Assert.False(LoadProfile.TryReadTrace(new StringReader(csv), new TraceReplay { Speedup = speedup, Scale = scale }, "t.csv", out _, out var errors));

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TryReadTrace_StartBeyondTheEnd_SaysWhatTheTraceCovers()
    {
        Assert.False(LoadProfile.TryReadTrace(new StringReader("0,1\n60,1\n"), new TraceReplay { Start = TimeSpan.FromHours(1) }, "t.csv", out _, out var errors));

        Assert.Contains("covers t_seconds 0 to 120", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("1.5m", 90)]
    [InlineData("1h30m", 5400)]
    [InlineData("250ms", 0.25)]
    [InlineData("2h", 7200)]
    [InlineData("12.5d", 1_080_000)]
    public void DurationText_TryParse_ReadsUnits(string text, double seconds)
    {
        Assert.True(DurationText.TryParse(text, out var duration));

        Assert.Equal(seconds, duration.TotalSeconds, 9);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-5s")]
    [InlineData("5 minutes")]
    [InlineData("1e3s")]
    [InlineData("90")]
    [InlineData("00:01:30")]
    [InlineData("400d")]
    public void DurationText_TryParse_RejectsOtherText(string text) => Assert.False(DurationText.TryParse(text, out _));
}

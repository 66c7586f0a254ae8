using Autoscaler.Common;

namespace Autoscaler.Core.Tests;

/// <summary>The one duration syntax (Autoscaler.Common) that the YAML, the command line and the emulator share;
/// Autoscaler.Cli.Tests checks that all three give the same answer.</summary>
public sealed class DurationsTests
{
    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("250ms", 250)]
    [InlineData("1.5s", 1_500)]
    [InlineData("1.5m", 90_000)]
    [InlineData(".5s", 500)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("2d", 172_800_000)]
    [InlineData("1d2h3m4s5ms", 93_784_005)]
    [InlineData(" 10s ", 10_000)]
    public void Durations_TryParse_AcceptsUnits(string text, double milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("30")]
    [InlineData("-5s")]
    [InlineData("5 minutes")]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("00:01:00")]
    [InlineData("5M")]
    [InlineData("1e3s")]
    [InlineData("1w")]
    [InlineData("1.2.3s")]
    public void Durations_TryParse_RejectsNonDurations(string text)
    {
        Assert.False(Durations.TryParse(text, out _));
    }

    [Theory]
    [InlineData("00:01:00", "write 1m")]
    [InlineData("01:30:00", "write 1h30m")]
    [InlineData("90", "a number needs a unit: write 90s for seconds")]
    [InlineData("1.5", "a number needs a unit: write 1.5s for seconds")]
    [InlineData("5M", "units are lower case: write 5m")]
    [InlineData("-5s", "a duration cannot be negative")]
    public void Durations_TryParse_RefusedHabit_HintSaysHowToWriteIt(string text, string hint)
    {
        Assert.False(Durations.TryParse(text, out _, out var given));
        Assert.Equal(hint, given);
    }

    [Fact]
    public void Durations_TryParse_Gibberish_NoHint()
    {
        Assert.False(Durations.TryParse("soon", out _, out var hint));
        Assert.Null(hint);
    }

    [Fact]
    public void Durations_Parse_Refused_ThrowsWithTheHint()
    {
        var ex = Assert.Throws<FormatException>(() => Durations.Parse("00:01:00"));
        Assert.Equal("'00:01:00' is not a duration like 30s, 5m or 1h30m; write 1m", ex.Message);
    }

    [Fact]
    public void Durations_Format_RoundTrips()
    {
        Assert.Equal("1h30m", Durations.Format(TimeSpan.FromMinutes(90)));
        Assert.Equal("0s", Durations.Format(TimeSpan.Zero));
        Assert.Equal("1m", Durations.Format(TimeSpan.FromMinutes(1)));
        Assert.Equal("2s500ms", Durations.Format(TimeSpan.FromMilliseconds(2500)));
        foreach (var span in new[] { TimeSpan.FromMilliseconds(93_784_005), TimeSpan.FromDays(3), TimeSpan.FromMilliseconds(1) })
        {
            Assert.True(Durations.TryParse(Durations.Format(span), out var back));
            Assert.Equal(span, back);
        }
    }
}

using Autoscaler.Core.Signals.Forecast;

namespace Autoscaler.Core.Tests.Forecast;

/// <summary>The seasonal model on synthetic series whose period, amplitude and breaks are known.</summary>
public sealed class LoadForecasterTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero); // a Monday
    private static readonly TimeSpan Lead = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Horizon = TimeSpan.FromMinutes(1);

    private static double Daily(int minute) => 100 + (50 * Math.Sin(2 * Math.PI * (minute % 1440) / 1440.0));

    private static LoadForecaster Feed(int minutes, Func<int, double> load, LoadForecaster? model = null)
    {
        model ??= new LoadForecaster();
        for (var m = 0; m < minutes; m++)
        {
            model.Add(Start.AddMinutes(m), load(m));
        }

        return model;
    }

    /// <summary>Feeds <paramref name="from"/>..<paramref name="to"/> and returns each forecast with the minute it is for.</summary>
    private static List<(int For, LoadForecast Forecast)> Walk(LoadForecaster model, int from, int to, Func<int, double> load)
    {
        var result = new List<(int, LoadForecast)>();
        for (var m = from; m < to; m++)
        {
            model.Add(Start.AddMinutes(m), load(m));
            result.Add((m + 1 + (int)Lead.TotalMinutes, model.Forecast(Lead, Horizon)));
        }

        return result;
    }

    [Fact]
    public void Forecast_DailySine_RecoversPeriodAndAmplitude()
    {
        var model = Feed(3 * 1440, Daily);
        var day = Walk(model, 3 * 1440, 4 * 1440, Daily);

        Assert.All(day, f => Assert.True(f.Forecast.HasValue));
        foreach (var (at, f) in day)
        {
            Assert.InRange(f.Point, Daily(at) * 0.97, Daily(at) * 1.03);
        }

        var peak = day.MaxBy(f => f.Forecast.Point);
        var trough = day.MinBy(f => f.Forecast.Point);
        Assert.InRange(peak.Forecast.Point, 147, 153); // amplitude 50 around 100
        Assert.InRange(trough.Forecast.Point, 47, 53);
        Assert.InRange(peak.For % 1440, 360 - 20, 360 + 20); // the peak a quarter period in
        Assert.InRange(trough.For % 1440, 1080 - 20, 1080 + 20);
    }

    [Fact]
    public void Forecast_WeeklySeason_WeekendForecastLowerThanWeekdays()
    {
        // Saturdays and Sundays carry half the load.
        static double Weekly(int m) => Daily(m) * ((m / 1440 % 7) >= 5 ? 0.5 : 1);
        var model = Feed((14 * 1440) + (5 * 1440), Weekly); // two weeks and Monday..Friday
        var saturday = Walk(model, 19 * 1440, (19 * 1440) + 360, Weekly);

        // The weekly season halves the daily median's error: within 30 % of the truth, where the daily alone would be 100 % off.
        foreach (var (at, f) in saturday.Skip(60))
        {
            Assert.InRange(f.Point, Weekly(at) * 0.7, Weekly(at) * 1.3);
        }
    }

    [Fact]
    public void Forecast_LessThanADay_NoForecastAndSaysWhy()
    {
        var model = Feed(1439, Daily);

        var f = model.Forecast(Lead, Horizon);

        Assert.False(f.HasValue);
        Assert.Contains("not enough history", f.Missing, StringComparison.Ordinal);
        Assert.True(double.IsNaN(f.Upper));
    }

    [Fact]
    public void Forecast_Gaps_SkippedNotTakenAsZeros()
    {
        // Day 2 lost six hours of samples around the time of day forecast.
        static double Gappy(int m) => m is >= 1440 + 200 and < 1440 + 560 ? double.NaN : Daily(m);
        var model = Feed((2 * 1440) + 360, Gappy);

        var f = model.Forecast(Lead, Horizon);

        Assert.True(f.HasValue);
        Assert.InRange(f.Point, Daily((2 * 1440) + 364) * 0.95, Daily((2 * 1440) + 364) * 1.05);
    }

    [Fact]
    public void Forecast_AllZeros_ZeroAndFinite()
    {
        var model = Feed(2 * 1440, _ => 0);

        var f = model.Forecast(Lead, Horizon);

        Assert.True(f.HasValue);
        Assert.Equal(0, f.Point);
        Assert.Equal(0, f.Upper);
    }

    [Fact]
    public void Forecast_DayOfZeros_OutvotedByTheOtherDays()
    {
        // An outage: day 3 of 4 recorded zeros all day; the median of the days keeps the season.
        static double Outage(int m) => m / 1440 == 3 ? 0 : Daily(m);
        var model = Feed((4 * 1440) + 600, Outage);

        var f = model.Forecast(Lead, Horizon);

        Assert.InRange(f.Point, Daily((4 * 1440) + 604) * 0.9, Daily((4 * 1440) + 604) * 1.1);
    }

    [Fact]
    public void Forecast_StepChange_LevelFollowsWithinTheHour()
    {
        // Flat 100 for three days, then the load doubles and stays.
        static double Step(int m) => m < 3 * 1440 ? 100 : 200;
        var model = Feed((3 * 1440) + 90, Step);

        var f = model.Forecast(Lead, Horizon);

        Assert.InRange(f.Point, 180, 220);
    }

    [Fact]
    public void Forecast_FarAboveAnyPastDay_CappedAtTheHighestPastLoadTimesCap()
    {
        // A noisy flat 100: the upper quantile (about 1.08 × the forecast) is above anything the smoothed past saw, and
        // a cap of 1 × the highest past load cuts it there.
        var random = new Random(3);
        var model = Feed(2 * 1440, _ => 100 * (1 + (0.2 * (random.NextDouble() - 0.5))),
            new LoadForecaster(new ForecastModelOptions { CapRatio = 1.0 }));

        var f = model.Forecast(Lead, Horizon);

        Assert.True(f.Capped);
        Assert.InRange(f.Upper, 100, 106); // the highest 15-minute mean of the noise
        Assert.True(f.Upper < f.Point * model.Ratio, "the cap cut the quantile");
    }

    [Fact]
    public void Forecast_NoisyDailySine_UpperQuantileAboveThePointByTheNoise()
    {
        var random = new Random(7);
        double Noisy(int m) => Daily(m) * (1 + (0.2 * (random.NextDouble() - 0.5)));
        var model = Feed(4 * 1440, Noisy);

        var f = model.Forecast(Lead, Horizon);

        // ±10 % uniform noise: the 0.9 quantile of actual / forecast is about 1.08.
        Assert.InRange(model.Ratio, 1.04, 1.14);
        Assert.True(f.Upper > f.Point);
    }
}

using Autoscaler.Core.Signals.Forecast;

namespace Autoscaler.Simulation;

/// <summary>The forecast a backtest's forecast signal saw, per trace row: the load expected for the row, made
/// <see cref="Lead"/> before it from the rows before that; NaN where there was none (the first day).</summary>
/// <param name="Lead">How far ahead each forecast was made.</param>
/// <param name="Point">The expected load of each row.</param>
/// <param name="Upper">The upper quantile recommended for each row (capped).</param>
public sealed record ForecastTrack(TimeSpan Lead, IReadOnlyList<double> Point, IReadOnlyList<double> Upper);

/// <summary>A day's forecast error: the mean absolute percentage error of the hourly mean load forecast against the
/// hourly mean load, over the day's hours with load.</summary>
/// <param name="Day">The day's start.</param>
/// <param name="Mape">The error, 0.1 for 10 %; NaN when the day had no forecast.</param>
/// <param name="Hours">The hours it was measured on.</param>
public sealed record DailyForecastError(DateTimeOffset Day, double Mape, int Hours);

/// <summary>A policy's SLO-violation minutes by where they fall.</summary>
/// <param name="Total">Every violation minute.</param>
/// <param name="AfterRise">Minutes, bursts excluded, in the hour after a daily rise (the ramps a forecast is for).</param>
/// <param name="Bursts">One-minute violations with no violation either side: bursts that no model sees coming.</param>
public sealed record ViolationSplit(double Total, double AfterRise, double Bursts);

/// <summary>
/// What a backtest says about the forecast itself: the forecast the signal saw (the same model and lead, fed the
/// trace's past only), its error per day, and where a policy's violation minutes fall — in the hour after each daily
/// rise, or one-minute bursts.
/// </summary>
public static class ForecastBacktest
{
    /// <summary>Runs <paramref name="model"/> over the trace as the signal does: after each row, the forecast
    /// <paramref name="lead"/> ahead.</summary>
    public static ForecastTrack Track(LoadTrace load, ForecastModelOptions model, TimeSpan lead)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(model);
        var rows = load.Rates.Count;
        var point = new double[rows];
        var upper = new double[rows];
        Array.Fill(point, double.NaN);
        Array.Fill(upper, double.NaN);
        var forecaster = new LoadForecaster(model with { Step = load.Step });
        var leadRows = (int)Math.Ceiling(lead / load.Step);
        for (var r = 0; r < rows; r++)
        {
            forecaster.Add(load.Start + (load.Step * r), load.Rates[r]);
            var f = forecaster.Forecast(load.Step * leadRows, load.Step, TimeSpan.Zero);
            var target = r + 1 + leadRows;
            if (f.HasValue && target < rows)
            {
                point[target] = f.Point;
                upper[target] = f.Upper;
            }
        }

        return new ForecastTrack(lead, point, upper);
    }

    /// <summary>The forecast's error per day of the trace (days counted from the trace's start).</summary>
    public static IReadOnlyList<DailyForecastError> DailyErrors(LoadTrace load, ForecastTrack track)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(track);
        var perHour = Math.Max(1, (int)Math.Round(TimeSpan.FromHours(1) / load.Step));
        var perDay = perHour * 24;
        var result = new List<DailyForecastError>();
        for (var d = 0; d * perDay < load.Rates.Count; d++)
        {
            double sum = 0;
            var hours = 0;
            for (var h = 0; h < 24; h++)
            {
                var from = (d * perDay) + (h * perHour);
                var to = Math.Min(load.Rates.Count, from + perHour);
                double actual = 0, forecast = 0;
                var n = 0;
                for (var r = from; r < to; r++)
                {
                    if (!double.IsNaN(track.Point[r]))
                    {
                        actual += load.Rates[r];
                        forecast += track.Point[r];
                        n++;
                    }
                }

                // A partial hour or an hour without load (an outage) has no percentage error.
                if (n == perHour && actual > 1e-9)
                {
                    sum += Math.Abs(forecast - actual) / actual;
                    hours++;
                }
            }

            result.Add(new DailyForecastError(load.Start + (load.Step * d * perDay), hours == 0 ? double.NaN : sum / hours, hours));
        }

        return result;
    }

    /// <summary>
    /// Where <paramref name="servingCapacity"/>'s violation minutes fall. A day's rise starts when its load (a 30-minute
    /// mean) first climbs a quarter of the way from the day's low to its high; its hour is the hour after that.
    /// </summary>
    public static ViolationSplit Split(LoadTrace load, IReadOnlyList<double> servingCapacity, double sloUtilization)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(servingCapacity);
        var rows = Math.Min(load.Rates.Count, servingCapacity.Count);
        var minutes = load.Step.TotalMinutes;
        var violates = new bool[rows];
        for (var r = 0; r < rows; r++)
        {
            violates[r] = load.Rates[r] > sloUtilization * servingCapacity[r];
        }

        var afterRise = RiseHours(load);
        double total = 0, rise = 0, bursts = 0;
        for (var r = 0; r < rows; r++)
        {
            if (!violates[r])
            {
                continue;
            }

            total += minutes;
            var alone = (r == 0 || !violates[r - 1]) && (r == rows - 1 || !violates[r + 1]);
            if (alone)
            {
                bursts += minutes;
            }
            else if (afterRise[r])
            {
                rise += minutes;
            }
        }

        return new ViolationSplit(total, rise, bursts);
    }

    /// <summary>True for the rows in the hour after each day's rise.</summary>
    public static bool[] RiseHours(LoadTrace load)
    {
        ArgumentNullException.ThrowIfNull(load);
        var rows = load.Rates.Count;
        var result = new bool[rows];
        var perHour = Math.Max(1, (int)Math.Round(TimeSpan.FromHours(1) / load.Step));
        var perDay = perHour * 24;
        var half = Math.Max(1, perHour / 4);
        var prefix = new double[rows + 1];
        for (var r = 0; r < rows; r++)
        {
            prefix[r + 1] = prefix[r] + load.Rates[r];
        }

        var smooth = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            var from = Math.Max(0, r - half);
            var to = Math.Min(rows, r + half);
            smooth[r] = (prefix[to] - prefix[from]) / Math.Max(1, to - from);
        }

        for (var d = 0; d * perDay < rows; d++)
        {
            var from = d * perDay;
            var to = Math.Min(rows, from + perDay);
            double low = double.MaxValue, high = double.MinValue;
            for (var r = from; r < to; r++)
            {
                low = Math.Min(low, smooth[r]);
                high = Math.Max(high, smooth[r]);
            }

            var threshold = low + ((high - low) / 4);
            var lowAt = from;
            for (var r = from; r < to; r++)
            {
                if (smooth[r] <= low)
                {
                    lowAt = r;
                    break;
                }
            }

            for (var r = lowAt; r < to; r++)
            {
                if (smooth[r] >= threshold)
                {
                    for (var k = r; k < Math.Min(rows, r + perHour); k++)
                    {
                        result[k] = true;
                    }

                    break;
                }
            }
        }

        return result;
    }
}

namespace Autoscaler.Core.Signals.Forecast;

/// <summary>How <see cref="LoadForecaster"/> models a load series.</summary>
public sealed record ForecastModelOptions
{
    /// <summary>Distance between samples. Default 1 minute.</summary>
    public TimeSpan Step { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The daily season; also the least history that gives a forecast. Default 1 day.</summary>
    public TimeSpan Season { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The weekly season, used once a week and a window of it are known. Default 7 days.</summary>
    public TimeSpan Week { get; init; } = TimeSpan.FromDays(7);

    /// <summary>History kept and used. Default 14 days (what AWS predictive scaling uses).</summary>
    public TimeSpan History { get; init; } = TimeSpan.FromDays(14);

    /// <summary>Width of the window a past day's value is averaged over (minute noise is not a season). Default 15 minutes.</summary>
    public TimeSpan Smoothing { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The recent window whose load, against what the seasons expected, scales the forecast. Default 1 hour.</summary>
    public TimeSpan LevelWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The upper quantile of actual / forecast recommended. Default 0.9.</summary>
    public double Quantile { get; init; } = 0.9;

    /// <summary>The forecast is capped at this × the highest smoothed load of the history. Default 1.25.</summary>
    public double CapRatio { get; init; } = 1.25;

    /// <summary>The past the forecast errors (and so the quantile) are measured on. Default 2 days.</summary>
    public TimeSpan ErrorWindow { get; init; } = TimeSpan.FromDays(2);

    /// <summary>How often the quantile and the cap are measured again. Default 1 hour.</summary>
    public TimeSpan Refit { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>A forecast made at <see cref="At"/> for <see cref="For"/>, or why there is none.</summary>
/// <param name="At">The last known sample's end (now).</param>
/// <param name="For">The time forecast (now + lead).</param>
/// <param name="Point">The expected load at <see cref="For"/> (NaN when there is none).</param>
/// <param name="Upper">The upper quantile of the load over the horizon after <see cref="For"/>, capped (NaN when there is none).</param>
/// <param name="NextHour">The highest expected load over the hour from now (scale-in keeps what it needs).</param>
/// <param name="Capped">True when <see cref="Upper"/> was cut to the cap.</param>
/// <param name="Missing">Why there is no forecast (not enough history); null when there is one.</param>
public sealed record LoadForecast(DateTimeOffset At, DateTimeOffset For, double Point, double Upper, double NextHour, bool Capped, string? Missing)
{
    /// <summary>True when there is a forecast.</summary>
    public bool HasValue => Missing is null;
}

/// <summary>
/// A seasonal forecast of one load series, fed sample by sample: the daily season is the median over past days of the
/// load around the same time of day, blended half and half with the same time of the last weeks once they are known;
/// the recent level (the last hour's load over what the seasons expected for it) scales it; the upper quantile of the
/// past errors (actual / forecast made <c>lead</c> before) gives the headroom. Gaps (NaN) are skipped, never taken as
/// zeros; a day of zeros (an outage) is outvoted by the median. Less than one season of history gives no forecast.
/// Deterministic; no clock of its own.
/// </summary>
public sealed class LoadForecaster
{
    private readonly ForecastModelOptions _options;
    private readonly long _stepTicks;
    private readonly int _season;
    private readonly int _week;
    private readonly int _keep;
    private readonly int _half;
    private readonly int _levelSteps;
    private readonly int _refitSteps;
    private double[] _values = new double[1024];
    private double[] _sums = new double[1025];
    private int[] _counts = new int[1025];
    private long _base = long.MinValue;
    private int _count;
    private long _firstValid = long.MaxValue;
    private long _refitAt = long.MinValue;
    private int _refitLead = -1;
    private double _ratio = 1;
    private double _cap = double.PositiveInfinity;

    /// <summary>A forecaster with <paramref name="options"/>.</summary>
    public LoadForecaster(ForecastModelOptions? options = null)
    {
        _options = options ?? new ForecastModelOptions();
        if (_options.Step <= TimeSpan.Zero)
        {
            throw new ArgumentException("the step must be positive", nameof(options));
        }

        _stepTicks = _options.Step.Ticks;
        _season = Steps(_options.Season);
        _week = Steps(_options.Week);
        _keep = Math.Max(Steps(_options.History), _season + 1);
        _half = Steps(_options.Smoothing) / 2;
        _levelSteps = Math.Max(1, Steps(_options.LevelWindow));
        _refitSteps = Math.Max(1, Steps(_options.Refit));
    }

    /// <summary>The options.</summary>
    public ForecastModelOptions Options => _options;

    /// <summary>The end of the last sample known (the next sample's time), or null before the first.</summary>
    public DateTimeOffset? KnownUntil => _count == 0 ? null : TimeOf(_base + _count);

    /// <summary>How much history with data is known (first sample with data to the last sample).</summary>
    public TimeSpan Known => _count == 0 || _firstValid == long.MaxValue ? TimeSpan.Zero : TimeSpan.FromTicks((_base + _count - _firstValid) * _stepTicks);

    /// <summary>The upper-quantile ratio of actual to forecast load, as last measured.</summary>
    public double Ratio => _ratio;

    /// <summary>Adds the sample of the step that starts at <paramref name="at"/> (rounded down to the step); NaN is a
    /// gap. Later samples replace earlier ones of the same step; steps skipped become gaps.</summary>
    public void Add(DateTimeOffset at, double value)
    {
        var index = at.UtcTicks / _stepTicks;
        if (!double.IsFinite(value))
        {
            value = double.NaN;
        }
        else if (value < 0)
        {
            value = 0;
        }

        if (_count == 0)
        {
            _base = index;
        }

        if (index < _base)
        {
            return;
        }

        if (index < _base + _count)
        {
            _values[index - _base] = value;
            Recount((int)(index - _base));
            if (!double.IsNaN(value) && index < _firstValid)
            {
                _firstValid = index;
            }

            return;
        }

        while (_base + _count < index)
        {
            Append(double.NaN);
        }

        Append(value);
        if (!double.IsNaN(value) && _firstValid == long.MaxValue)
        {
            _firstValid = index;
        }

        Trim();
    }

    /// <summary>Marks every step before <paramref name="end"/> that has no sample yet as a gap (time passed without
    /// data is not a zero, and not the present either).</summary>
    public void AdvanceTo(DateTimeOffset end)
    {
        var index = end.UtcTicks / _stepTicks;
        if (_count == 0)
        {
            return;
        }

        var appended = false;
        while (_base + _count < index)
        {
            Append(double.NaN);
            appended = true;
        }

        if (appended)
        {
            Trim();
        }
    }

    /// <summary>The forecast made with what is known: the load expected <paramref name="lead"/> after the last sample,
    /// the upper quantile of the load over <paramref name="horizon"/> from there, and the highest load expected over
    /// <paramref name="keepHorizon"/> from now (an hour unless given).</summary>
    public LoadForecast Forecast(TimeSpan lead, TimeSpan horizon, TimeSpan? keepHorizon = null)
    {
        var leadSteps = Math.Max(0, Steps(lead));
        var end = _base + _count;
        var now = _count == 0 ? DateTimeOffset.UnixEpoch : TimeOf(end);
        var target = now + lead;
        if (Known < _options.Season)
        {
            var hours = Known.TotalHours;
            return new LoadForecast(now, target, double.NaN, double.NaN, double.NaN, false,
                FormattableString.Invariant($"not enough history: {hours:0.#} h of the {_options.Season.TotalHours:0.#} h needed"));
        }

        if (end >= _refitAt + _refitSteps || leadSteps != _refitLead)
        {
            Refit(end, leadSteps);
        }

        var level = Level(end);
        var point = Baseline(end + leadSteps, end) * level;
        double upper = double.NaN;
        var horizonSteps = Math.Max(1, Steps(horizon));
        for (var i = end + leadSteps; i < end + leadSteps + horizonSteps; i++)
        {
            var b = Baseline(i, end);
            if (!double.IsNaN(b))
            {
                upper = double.IsNaN(upper) ? b : Math.Max(upper, b);
            }
        }

        var nextHour = double.NaN;
        for (var i = end; i < end + Steps(keepHorizon ?? TimeSpan.FromHours(1)); i += Math.Max(1, _half / 2))
        {
            var b = Baseline(i, end);
            if (!double.IsNaN(b))
            {
                nextHour = double.IsNaN(nextHour) ? b : Math.Max(nextHour, b);
            }
        }

        if (double.IsNaN(point) || double.IsNaN(upper))
        {
            return new LoadForecast(now, target, double.NaN, double.NaN, double.NaN, false, "no history at this time of day");
        }

        upper *= level * _ratio;
        nextHour *= level;
        var capped = upper > _cap;
        return new LoadForecast(now, target, point, capped ? _cap : upper, Math.Min(nextHour, _cap), capped, null);
    }

    /// <summary>The seasonal expectation at step <paramref name="i"/> from samples before <paramref name="end"/>.</summary>
    private double Baseline(long i, long end)
    {
        Span<double> days = stackalloc double[32];
        var n = 0;
        for (var j = i - _season; j + _half >= _base && n < days.Length; j -= _season)
        {
            if (j - _half >= end)
            {
                continue;
            }

            var m = Mean(j - _half, Math.Min(j + _half + 1, end));
            if (!double.IsNaN(m))
            {
                days[n++] = m;
            }
        }

        if (n == 0)
        {
            return double.NaN;
        }

        var daily = Median(days[..n]);
        Span<double> weeks = stackalloc double[4];
        var w = 0;
        for (var j = i - _week; j - _half >= _base && w < weeks.Length; j -= _week)
        {
            var m = Mean(j - _half, Math.Min(j + _half + 1, end));
            if (!double.IsNaN(m))
            {
                weeks[w++] = m;
            }
        }

        return w == 0 ? daily : (daily + Median(weeks[..w])) / 2;
    }

    /// <summary>The recent load over what the seasons expected for it, at <paramref name="end"/>.</summary>
    private double Level(long end)
    {
        double actual = 0, expected = 0;
        for (var j = Math.Max(_base, end - _levelSteps); j < end; j++)
        {
            var v = _values[j - _base];
            if (double.IsNaN(v))
            {
                continue;
            }

            var b = Baseline(j, j);
            if (double.IsNaN(b))
            {
                continue;
            }

            actual += v;
            expected += b;
        }

        // A season that expected nothing (zeros) gives no level: the seasons alone.
        return expected <= 1e-9 ? 1 : Math.Clamp(actual / expected, 0.2, 5);
    }

    /// <summary>Measures the upper quantile of actual / forecast made <paramref name="leadSteps"/> before, over the
    /// error window, and the cap.</summary>
    private void Refit(long end, int leadSteps)
    {
        _refitAt = end;
        _refitLead = leadSteps;
        var max = 0.0;
        for (var j = _base; j < end; j++)
        {
            var s = Mean(j - _half, Math.Min(j + _half + 1, end));
            if (s > max)
            {
                max = s;
            }
        }

        _cap = max > 0 ? max * _options.CapRatio : double.PositiveInfinity;

        var from = Math.Max(_base, end - Steps(_options.ErrorWindow));
        var baseFrom = Math.Max(_base, from - leadSteps - _levelSteps);
        var baselines = new double[end - baseFrom];
        for (var j = baseFrom; j < end; j++)
        {
            baselines[j - baseFrom] = Baseline(j, j);
        }

        var ratios = new List<double>((int)(end - from));
        for (var j = from; j < end; j++)
        {
            var v = _values[j - _base];
            var b = baselines[j - baseFrom];
            if (double.IsNaN(v) || double.IsNaN(b))
            {
                continue;
            }

            // The level as it was known lead steps before j.
            double actual = 0, expected = 0;
            for (var k = Math.Max(baseFrom, j - leadSteps - _levelSteps); k < j - leadSteps; k++)
            {
                var vk = _values[k - _base];
                var bk = baselines[k - baseFrom];
                if (!double.IsNaN(vk) && !double.IsNaN(bk))
                {
                    actual += vk;
                    expected += bk;
                }
            }

            var level = expected <= 1e-9 ? 1 : Math.Clamp(actual / expected, 0.2, 5);
            var forecast = b * level;
            if (forecast > 1e-9)
            {
                ratios.Add(v / forecast);
            }
        }

        if (ratios.Count < 60)
        {
            // Too few errors to measure (the first days): the minute noise around the smoothed load instead.
            ratios.Clear();
            for (var j = Math.Max(_base, end - _season); j < end; j++)
            {
                var v = _values[j - _base];
                var s = Mean(j - _half, Math.Min(j + _half + 1, end));
                if (!double.IsNaN(v) && s > 1e-9)
                {
                    ratios.Add(v / s);
                }
            }
        }

        if (ratios.Count == 0)
        {
            _ratio = 1;
            return;
        }

        ratios.Sort();
        var q = Math.Clamp(_options.Quantile, 0, 1);
        _ratio = Math.Clamp(ratios[(int)Math.Min(ratios.Count - 1, Math.Floor(q * ratios.Count))], 0.5, 5);
    }

    /// <summary>The mean of the samples with data in [<paramref name="from"/>, <paramref name="to"/>), NaN when none.</summary>
    private double Mean(long from, long to)
    {
        var a = (int)Math.Clamp(from - _base, 0, _count);
        var b = (int)Math.Clamp(to - _base, 0, _count);
        if (b <= a)
        {
            return double.NaN;
        }

        var c = _counts[b] - _counts[a];
        return c == 0 ? double.NaN : (_sums[b] - _sums[a]) / c;
    }

    private static double Median(Span<double> values)
    {
        values.Sort();
        var n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }

    private void Append(double value)
    {
        if (_count == _values.Length)
        {
            Array.Resize(ref _values, _values.Length * 2);
            Array.Resize(ref _sums, _values.Length + 1);
            Array.Resize(ref _counts, _values.Length + 1);
        }

        _values[_count] = value;
        var valid = !double.IsNaN(value);
        _sums[_count + 1] = _sums[_count] + (valid ? value : 0);
        _counts[_count + 1] = _counts[_count] + (valid ? 1 : 0);
        _count++;
    }

    private void Recount(int from)
    {
        for (var i = from; i < _count; i++)
        {
            var v = _values[i];
            var valid = !double.IsNaN(v);
            _sums[i + 1] = _sums[i] + (valid ? v : 0);
            _counts[i + 1] = _counts[i] + (valid ? 1 : 0);
        }
    }

    /// <summary>Drops what is older than the history once a quarter more has piled up (amortised).</summary>
    private void Trim()
    {
        if (_count <= _keep + (_keep / 4))
        {
            return;
        }

        var drop = _count - _keep;
        Array.Copy(_values, drop, _values, 0, _keep);
        _count = _keep;
        _base += drop;
        _sums[0] = 0;
        _counts[0] = 0;
        Recount(0);
        if (_firstValid < _base)
        {
            _firstValid = long.MaxValue;
            for (var i = 0; i < _count; i++)
            {
                if (!double.IsNaN(_values[i]))
                {
                    _firstValid = _base + i;
                    break;
                }
            }
        }
    }

    private int Steps(TimeSpan span) => (int)(span.Ticks / _stepTicks);

    private DateTimeOffset TimeOf(long index) => new(index * _stepTicks, TimeSpan.Zero);
}

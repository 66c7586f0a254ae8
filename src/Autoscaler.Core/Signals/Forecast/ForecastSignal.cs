using System.Globalization;

namespace Autoscaler.Core.Signals.Forecast;

/// <summary>
/// Raises a pool ahead of its load: reads the pool's load history (all of it once, then only what is new, at most once
/// per step), forecasts it with a <see cref="LoadForecaster"/> and recommends ceil(upper quantile <c>lead</c> ahead /
/// per_instance) when that is above the desired size. It never asks for a scale-down; it tells scale-in, through
/// <see cref="Recommendation.KeepFloor"/>, how many members the next <c>keep_horizon</c> is expected to need. Less than a
/// day of history gives no recommendation (said in its reason); a history that cannot be read holds, as missing data.
/// </summary>
public sealed class ForecastSignal : IScalingSignal
{
    private static readonly TimeSpan Horizon = TimeSpan.FromMinutes(5);
    private readonly ForecastConfig _config;
    private readonly ILoadHistory _history;
    private readonly LoadForecaster _model;
    private DateTimeOffset? _fetchedAt;
    private LoadForecast? _forecast;

    /// <summary>Creates the signal for one <c>forecast</c> entry of a pool.</summary>
    public ForecastSignal(ForecastConfig config, ILoadHistory history)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(history);
        _config = config;
        _history = history;
        _model = new LoadForecaster(config.ModelOptions);
        Name = config.DisplayName;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The last forecast made, if any (the simulator's and dashboard's overlay).</summary>
    public LoadForecast? Last { get; private set; }

    /// <inheritdoc />
    public async ValueTask<Recommendation> EvaluateAsync(SignalContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var now = context.Now;
        if (_fetchedAt is null || now - _fetchedAt.Value >= _config.Step)
        {
            var step = _config.Step.Ticks;
            var to = new DateTimeOffset(now.UtcTicks / step * step, TimeSpan.Zero);
            // After the first read, only what is new (and the last two steps again, which a late scrape may change).
            var from = _model.KnownUntil is { } known && known > to - _config.History
                ? known - _config.Step
                : to - _config.History;
            LoadHistory read;
            try
            {
                read = await _history.ReadRangeAsync(new LoadHistoryQuery(context.Pool, _config.Prometheus, _config.Query, from, to, _config.Step), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                read = LoadHistory.Missing($"{ex.GetType().Name}: {ex.Message}");
            }

            if (read.IsMissing)
            {
                return Recommendation.Missing(Name, $"load history missing ({read.MissingReason}): holding");
            }

            foreach (var (at, value) in read.Samples)
            {
                // A sample at T is the load of the step that ends at T (a rate over the step before it).
                _model.Add(at - _config.Step, value);
            }

            // Steps up to now without a sample are gaps, not zeros.
            _model.AdvanceTo(to);
            _fetchedAt = now;
            // The forecast changes only with new data: made once per read, not per cycle.
            _forecast = _model.Forecast(_config.Lead, Horizon, _config.KeepHorizon);
        }

        var forecast = _forecast!;
        Last = forecast;
        var forecastOnly = _config.Mode == ForecastMode.ForecastOnly;
        if (!forecast.HasValue)
        {
            return Recommendation.Hold(Name, $"{forecast.Missing}: no recommendation");
        }

        var need = Members(forecast.Upper);
        // What the forecast raised to stays until the rise has passed: a floor below it would let the reactive signals
        // take back, a cycle later, what the forecast just bought.
        var keep = Math.Max(need, _config.KeepHorizon > TimeSpan.Zero ? Members(forecast.NextHour) : 0);
        var why = string.Create(CultureInfo.InvariantCulture,
            $"load forecast {forecast.Point:0.##} at {forecast.For:HH:mm}, upper {forecast.Upper:0.##}{(forecast.Capped ? " (capped)" : "")}: ceil({forecast.Upper:0.##} / {_config.PerInstance:0.##}) = {need}");
        var inputs = new LazyInputs(() => new Dictionary<string, string>(6)
        {
            ["query"] = _config.Query,
            ["forecast_for"] = forecast.For.ToString("O", CultureInfo.InvariantCulture),
            ["forecast_load"] = F(forecast.Point),
            ["forecast_upper"] = F(forecast.Upper),
            ["needed"] = need.ToString(CultureInfo.InvariantCulture),
            ["keep_next"] = keep.ToString(CultureInfo.InvariantCulture),
        });
        if (forecastOnly)
        {
            var would = need > context.Desired ? $"would raise to {need}" : "would hold";
            return Recommendation.Hold(Name, $"{why}; {would}", inputs);
        }

        if (need > context.Desired)
        {
            return new Recommendation { Signal = Name, Direction = ScaleDirection.Up, Desired = need, Reason = why, Inputs = inputs, KeepFloor = keep };
        }

        return Recommendation.Hold(Name, $"{why}; desired {context.Desired} covers it", inputs) with { KeepFloor = keep > 0 ? keep : null };
    }

    private int Members(double load) => (int)Math.Ceiling((load / _config.PerInstance) - 1e-9);

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}

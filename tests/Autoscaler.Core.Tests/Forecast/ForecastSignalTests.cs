using Autoscaler.Core.Configuration;
using Autoscaler.Core.Signals;
using Autoscaler.Core.Signals.Forecast;
using Autoscaler.Core.Tests.Seams;

namespace Autoscaler.Core.Tests.Forecast;

/// <summary>The <c>forecast</c> signal: configuration, history reads, guards and what it recommends.</summary>
public sealed class ForecastSignalTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A history of a function of the minute, up to a settable now; or a failure.</summary>
    private sealed class FakeHistory(Func<int, double> load) : ILoadHistory
    {
        public string? Failure { get; set; }

        public int Reads { get; private set; }

        public ValueTask<LoadHistory> ReadRangeAsync(LoadHistoryQuery query, CancellationToken cancellationToken)
        {
            Reads++;
            if (Failure is { } f)
            {
                return ValueTask.FromResult(LoadHistory.Missing(f));
            }

            var samples = new List<(DateTimeOffset, double)>();
            for (var t = query.From; t <= query.To; t += query.Step)
            {
                var minute = (int)((t - Start).TotalMinutes) - 1;
                if (minute >= 0)
                {
                    samples.Add((t, load(minute)));
                }
            }

            return ValueTask.FromResult(new LoadHistory { Samples = samples });
        }
    }

    private static double Daily(int minute) => 100 + (50 * Math.Sin(2 * Math.PI * (minute % 1440) / 1440.0));

    private static ForecastConfig Config(ForecastMode mode = ForecastMode.Scale) =>
        new() { Prometheus = new Uri("http://127.0.0.1:9090"), Query = "sum(rate(x[1m]))", PerInstance = 12, Mode = mode };

    private static SignalContext At(TimeSpan since, int desired) => new("web", Start + since, desired, desired, desired, 0, 1, 20);

    [Fact]
    public async Task Evaluate_LessThanADayOfHistory_HoldsAndSaysSo()
    {
        var signal = new ForecastSignal(Config(), new FakeHistory(Daily));

        var rec = await signal.EvaluateAsync(At(TimeSpan.FromHours(20), 5), CancellationToken.None);

        Assert.Equal(ScaleDirection.Hold, rec.Direction);
        Assert.False(rec.MissingData);
        Assert.Null(rec.Desired);
        Assert.Contains("not enough history", rec.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_PrometheusMissing_HoldsAsMissingData()
    {
        var signal = new ForecastSignal(Config(), new FakeHistory(Daily) { Failure = "cannot reach Prometheus" });

        var rec = await signal.EvaluateAsync(At(TimeSpan.FromDays(3), 5), CancellationToken.None);

        Assert.True(rec.MissingData);
        Assert.Contains("cannot reach Prometheus", rec.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_RiseAhead_RaisesToTheUpperForecastOverPerInstance()
    {
        var history = new FakeHistory(Daily);
        var signal = new ForecastSignal(Config(), history);

        // Day 4, 06:00: the daily peak of 150 is coming; 150 × the quantile / 12 per member is more than 5.
        var rec = await signal.EvaluateAsync(At(TimeSpan.FromDays(3) + TimeSpan.FromHours(6), 5), CancellationToken.None);

        Assert.Equal(ScaleDirection.Up, rec.Direction);
        Assert.InRange(rec.Desired!.Value, 13, 15);
        Assert.Equal(rec.Desired, rec.KeepFloor);
        Assert.Equal("signals[0] forecast", signal.Name);
    }

    [Fact]
    public async Task Evaluate_SizeCoversTheForecast_HoldsAndKeepsWhatTheNextHourNeeds()
    {
        var signal = new ForecastSignal(Config(), new FakeHistory(Daily));

        var rec = await signal.EvaluateAsync(At(TimeSpan.FromDays(3) + TimeSpan.FromHours(6), 20), CancellationToken.None);

        Assert.Equal(ScaleDirection.Hold, rec.Direction);
        Assert.Null(rec.Desired);
        Assert.InRange(rec.KeepFloor!.Value, 13, 15);
    }

    [Fact]
    public async Task Evaluate_ForecastOnly_RecordsWhatItWouldDoWithoutActing()
    {
        var config = Config(ForecastMode.ForecastOnly);
        var signal = new ForecastSignal(config, new FakeHistory(Daily));

        var rec = await signal.EvaluateAsync(At(TimeSpan.FromDays(3) + TimeSpan.FromHours(6), 5), CancellationToken.None);

        Assert.Equal(ScaleDirection.Hold, rec.Direction);
        Assert.Null(rec.KeepFloor);
        Assert.Contains("would raise to", rec.Reason, StringComparison.Ordinal);
        Assert.True(rec.Inputs.ContainsKey("forecast_load"));
        var status = config.Status(new SignalStatusContext("web", rec, Start, null, TimeSpan.FromMinutes(5)));
        Assert.StartsWith("forecast only:", status!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_EveryCycleWithinAStep_ReadsTheHistoryOnce()
    {
        var history = new FakeHistory(Daily);
        var signal = new ForecastSignal(Config(), history);
        var now = TimeSpan.FromDays(2);

        await signal.EvaluateAsync(At(now, 5), CancellationToken.None);
        await signal.EvaluateAsync(At(now + TimeSpan.FromSeconds(15), 5), CancellationToken.None);
        await signal.EvaluateAsync(At(now + TimeSpan.FromSeconds(30), 5), CancellationToken.None);
        await signal.EvaluateAsync(At(now + TimeSpan.FromSeconds(60), 5), CancellationToken.None);

        Assert.Equal(2, history.Reads);
    }

    [Fact]
    public void Parse_ForecastEntry_ReadsEveryKey()
    {
        var result = SeamSchemas.Schema.Parse("""
            pools:
              web:
                min: 1
                max: 6
                signals:
                  - forecast: { prometheus: http://127.0.0.1:9090, query: 'sum(rate(r[1m]))', per_instance: 12, lead: 2m, quantile: 0.8, history: 7d, cap: 1.5, keep_horizon: 0s, mode: forecast_only }
            """, new Dictionary<string, string>());

        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => e.Message)));
        var f = Assert.IsType<ForecastConfig>(result.Config!.Pools[0].Signals[0]);
        Assert.Equal((12.0, TimeSpan.FromMinutes(2), 0.8, TimeSpan.FromDays(7), 1.5, TimeSpan.Zero, ForecastMode.ForecastOnly),
            (f.PerInstance, f.Lead, f.Quantile, f.History, f.Cap, f.KeepHorizon, f.Mode));
        Assert.Contains("mode: forecast_only", f.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadForecastEntry_ReportsEveryFieldNamingThePool()
    {
        var result = SeamSchemas.Schema.Parse("""
            pools:
              web:
                min: 1
                max: 6
                signals:
                  - forecast: { prometheus: http://127.0.0.1:9090, query: '', per_instance: 0, quantile: 1.5, history: 2h, cap: 0.5, mode: sometimes }
            """, new Dictionary<string, string>());

        Assert.False(result.IsValid);
        var text = string.Join("\n", result.Errors.Select(e => e.Message));
        foreach (var field in new[] { "query", "per_instance", "quantile", "history", "cap", "mode" })
        {
            Assert.Contains($"forecast.{field}", text, StringComparison.Ordinal);
        }

        Assert.Contains("web", text, StringComparison.Ordinal);
    }
}

using System.Globalization;
using Cronos;

namespace Autoscaler.Core.Signals.Schedule;

/// <summary>
/// A recurring window: active for <see cref="ScheduleConfig.Duration"/> after each cron occurrence (in the configured
/// time zone, daylight-saving aware); while active it imposes its min and/or max on the pool.
/// </summary>
public sealed class ScheduleSignal : IBoundsSignal
{
    private readonly ScheduleConfig _config;
    private readonly CronExpression _cron;
    private readonly TimeZoneInfo _zone;

    /// <summary>Creates the signal; throws <see cref="ArgumentException"/> for an expression or zone the configuration
    /// validation would have rejected.</summary>
    public ScheduleSignal(ScheduleConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        if (!ScheduleSignalKind.TryParseCron(config.Cron, out var cron, out var error))
        {
            throw new ArgumentException($"invalid cron expression '{config.Cron}': {error}", nameof(config));
        }

        _cron = cron!;
        _zone = config.TimeZone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(config.TimeZone);
        Name = config.DisplayName;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The schedule's configuration (its min and max).</summary>
    public ScheduleConfig Config => _config;

    /// <summary>The start of the window active at <paramref name="now"/>, or null.</summary>
    public DateTimeOffset? ActiveWindowStart(DateTimeOffset now)
    {
        var start = _cron.GetPreviousOccurrence(now, _zone, inclusive: true);
        return start is { } s && now < s + _config.Duration ? s : null;
    }

    /// <inheritdoc />
    public (int? Min, int? Max)? BoundsAt(DateTimeOffset now) =>
        ActiveWindowStart(now) is null ? null : (_config.Min, _config.Max);

    /// <inheritdoc />
    public ValueTask<Recommendation> EvaluateAsync(SignalContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var inputs = new Dictionary<string, string> { ["cron"] = _config.Cron, ["timezone"] = _zone.Id };
        if (ActiveWindowStart(context.Now) is not { } start)
        {
            return ValueTask.FromResult(Recommendation.Hold(Name, "schedule inactive", inputs));
        }

        var end = start + _config.Duration;
        inputs["window"] = $"{start.ToString("O", CultureInfo.InvariantCulture)}/{end.ToString("O", CultureInfo.InvariantCulture)}";
        var bounds = string.Join(", ", new[]
        {
            _config.Min is { } mn ? $"min {mn}" : null,
            _config.Max is { } mx ? $"max {mx}" : null,
        }.Where(s => s is not null));
        return ValueTask.FromResult(Recommendation.Hold(Name, $"schedule active until {end.ToString("u", CultureInfo.InvariantCulture)}: {bounds}", inputs) with
        {
            MinFloor = _config.Min,
            MaxCeiling = _config.Max,
        });
    }
}

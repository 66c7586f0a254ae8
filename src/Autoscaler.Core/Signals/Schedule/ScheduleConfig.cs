using System.Globalization;
using Autoscaler.Common;

namespace Autoscaler.Core.Signals.Schedule;

/// <summary>Raise the floor (and/or set the ceiling) while a cron window is active.</summary>
public sealed record ScheduleConfig : SignalConfig
{
    /// <summary>Cron expression of the window starts (5 fields, or 6 with seconds).</summary>
    public required string Cron { get; init; }

    /// <summary>How long each window lasts.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Floor while active.</summary>
    public int? Min { get; init; }

    /// <summary>Ceiling while active.</summary>
    public int? Max { get; init; }

    /// <summary>IANA time zone of the cron expression; null is UTC.</summary>
    public string? TimeZone { get; init; }

    /// <inheritdoc />
    public override string DisplayName => $"signals[{Index}] schedule";

    /// <inheritdoc />
    public override string Describe() =>
        $"schedule: {{ cron: '{Cron}', duration: {Durations.Format(Duration)}, min: {Min?.ToString(CultureInfo.InvariantCulture) ?? "~"}, max: {Max?.ToString(CultureInfo.InvariantCulture) ?? "~"}, timezone: {TimeZone ?? "UTC"} }}";

    /// <inheritdoc />
    public override IScalingSignal CreateSignal(SignalBuildContext context) => new ScheduleSignal(this);
}

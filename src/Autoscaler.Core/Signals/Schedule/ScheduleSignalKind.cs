using Autoscaler.Core.Configuration;
using Cronos;

namespace Autoscaler.Core.Signals.Schedule;

/// <summary>The <c>schedule</c> signal kind: <c>schedule: { cron, duration, min, max, timezone }</c>.</summary>
public sealed class ScheduleSignalKind : ISignalKind
{
    /// <inheritdoc />
    public string Name => "schedule";

    /// <inheritdoc />
    public string Description => "schedule";

    /// <inheritdoc />
    public bool Claims(MapReader entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Has("schedule");
    }

    /// <inheritdoc />
    public SignalConfig? Read(MapReader entry, SignalReadContext context)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(context);
        var m = entry.Map("schedule", required: true);
        if (m is null)
        {
            return null;
        }

        var ctx = m.Context;
        var prefix = m.Prefix;
        var cron = m.String("cron", required: true);
        if (cron is not null && !TryParseCron(cron, out _, out var cronError))
        {
            m.Error($"{ctx}{prefix}cron '{cron}' is not a valid cron expression: {cronError}", m.Raw("cron"));
        }

        var duration = m.Duration("duration", required: true);
        if (duration == TimeSpan.Zero)
        {
            m.Error($"{ctx}{prefix}duration must be > 0", m.Raw("duration"));
        }

        var min = m.Int("min");
        var max = m.Int("max");
        if (min is null && max is null)
        {
            m.Error($"{ctx}{prefix.TrimEnd('.')} needs min or max");
        }

        if (min is < 0)
        {
            m.Error($"{ctx}{prefix}min must be >= 0", m.Raw("min"));
        }

        if (max is < 1)
        {
            m.Error($"{ctx}{prefix}max must be >= 1", m.Raw("max"));
        }

        if (min is not null && max is not null && min > max)
        {
            m.Error($"{ctx}{prefix}min ({min}) is greater than {prefix}max ({max})", m.Raw("min"));
        }
        else if (min is not null && max is null && context.PoolMax is { } poolMax && min > poolMax)
        {
            m.Error($"{ctx}{prefix}min ({min}) is greater than max ({poolMax}); set {prefix}max too", m.Raw("min"));
        }

        var zone = m.String("timezone");
        if (zone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            m.Error($"{ctx}{prefix}timezone '{zone}' is not a known time zone", m.Raw("timezone"));
        }

        m.Done();
        if (cron is null || duration is null)
        {
            return null;
        }

        return new ScheduleConfig { Index = context.Index, Cron = cron, Duration = duration.Value, Min = min, Max = max, TimeZone = zone };
    }

    /// <summary>Parses 5-field (minute precision) or 6-field (with seconds) cron expressions and @macros.</summary>
    internal static bool TryParseCron(string text, out CronExpression? expression, out string? error)
    {
        expression = null;
        error = null;
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;
        var format = fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        try
        {
            expression = CronExpression.Parse(text.Trim(), format);
            return true;
        }
        catch (CronFormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }
}

using System.Globalization;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Signals.Alerts;

/// <summary>Step the pool while a matching alert fires. The one place that decides whether an alert belongs to this
/// signal of a pool is <see cref="Matches"/>: the signal, the webhook and the health report all ask it.</summary>
public sealed record AlertSignalConfig : SignalConfig
{
    /// <summary>Required <c>alertname</c> label, or null to match on <see cref="Labels"/> only.</summary>
    public string? AlertName { get; init; }

    /// <summary>Labels that must all be equal on the alert.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Up or down.</summary>
    public ScaleDirection Action { get; init; } = ScaleDirection.Up;

    /// <summary>The matcher of <see cref="AlertName"/> and <see cref="Labels"/> (an alert with a <c>pool</c> label must also name the pool).</summary>
    public AlertMatcher Matcher => new(AlertName, Labels);

    /// <inheritdoc />
    public override string DisplayName => $"signals[{Index}] alert {AlertName ?? string.Join(",", Labels.Select(kv => kv.Key + "=" + kv.Value))} ({(Action == ScaleDirection.Up ? "up" : "down")})";

    /// <summary>True when an alert with <paramref name="labels"/> is one this signal of <paramref name="pool"/> acts on.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels, string pool) => Matcher.Matches(labels, pool);

    /// <inheritdoc />
    public override bool ListensTo(IReadOnlyDictionary<string, string> labels, string pool) => Matches(labels, pool);

    /// <inheritdoc />
    public override string Describe() =>
        $"{{ alert: {AlertName ?? "~"}, labels: {{{string.Join(", ", Labels.Select(kv => kv.Key + ": " + kv.Value))}}}, action: {(Action == ScaleDirection.Up ? "up" : "down")} }}";

    /// <inheritdoc />
    public override IScalingSignal CreateSignal(SignalBuildContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new AlertStepSignal(this, context.Pool.ScaleUp, context.Pool.ScaleDown,
            context.Alerts ?? throw new ArgumentException($"pool '{context.Pool.Name}' has alert signals but no alert store was given", nameof(context)));
    }

    /// <summary>Firing while a matching alert is believed; expired when every matching firing alert stopped being re-sent
    /// (treated as resolved, which no recommendation mentions).</summary>
    public override SignalStatus? Status(SignalStatusContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Alerts is not { } alerts)
        {
            return null;
        }

        var matcher = Matcher;
        var held = alerts.Snapshot().Where(s => s.Status == AlertStatus.Firing && matcher.Matches(s.Labels, context.Pool)).ToArray();
        var live = held.Where(s => !alerts.IsExpired(s)).ToArray();
        if (live.Length > 0)
        {
            return new SignalStatus(SignalState.Firing, context.Recommendation?.Reason ?? $"{Names(live)} firing", context.DecidedAt);
        }

        if (held.Length == 0)
        {
            return null;
        }

        var newest = held.MaxBy(s => s.LastSeenAt)!;
        return new SignalStatus(SignalState.Expired,
            $"{Names(held)} expired: firing since {Time(held.Min(s => s.StartsAt))} but not re-sent by Alertmanager since "
            + $"{Time(newest.LastSeenAt)} (alerts.repeat_interval × expire_after_repeats = {Span(context.StaleAfter)}); treated as resolved, "
            + "no scaling from it until Alertmanager sends it again",
            newest.LastSeenAt);
    }

    private static string Names(IEnumerable<AlertState> alerts) =>
        string.Join(", ", alerts.Select(s => $"{s.AlertName ?? "alert"} [{s.Fingerprint}]"));

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Span(TimeSpan t) => t.TotalHours >= 1 && t.TotalHours == Math.Floor(t.TotalHours)
        ? t.TotalHours.ToString("0", CultureInfo.InvariantCulture) + "h"
        : t.TotalMinutes >= 1 && t.TotalMinutes == Math.Floor(t.TotalMinutes)
            ? t.TotalMinutes.ToString("0", CultureInfo.InvariantCulture) + "m"
            : t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}

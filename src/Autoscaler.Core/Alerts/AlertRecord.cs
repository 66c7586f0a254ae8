namespace Autoscaler.Core.Alerts;

/// <summary>Alertmanager's status of an alert in a notification.</summary>
public enum AlertStatus
{
    /// <summary>The alert is active.</summary>
    Firing,

    /// <summary>The alert has ended.</summary>
    Resolved,
}

/// <summary>
/// One alert of one Alertmanager notification, as the webhook parsed it. The webhook builds these; the store decides
/// what they mean given what it already knows.
/// </summary>
/// <param name="Fingerprint">Alertmanager's fingerprint (a hash of the labels); empty to derive it from the labels.</param>
/// <param name="Status">Firing or resolved.</param>
/// <param name="Labels">All labels, including <c>alertname</c>.</param>
/// <param name="Annotations">Annotations.</param>
/// <param name="StartsAt">When the alert (this episode) started.</param>
/// <param name="EndsAt">When it ended (resolved), or null / a placeholder for firing alerts.</param>
/// <param name="Receiver">The receiver that sent it.</param>
public sealed record AlertRecord(
    string Fingerprint,
    AlertStatus Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt,
    string? Receiver)
{
    /// <summary>The <c>alertname</c> label, or null.</summary>
    public string? AlertName => Labels.TryGetValue("alertname", out var n) ? n : null;
}

/// <summary>What the store knows about one alert.</summary>
/// <param name="Fingerprint">Identity.</param>
/// <param name="Status">Status as last accepted from Alertmanager.</param>
/// <param name="Labels">Labels of the last accepted notification.</param>
/// <param name="Annotations">Annotations of the last accepted notification.</param>
/// <param name="StartsAt">Start of the current episode.</param>
/// <param name="EndsAt">End, when resolved.</param>
/// <param name="Receiver">Receiver of the last accepted notification.</param>
/// <param name="FirstSeenAt">When this episode was first received.</param>
/// <param name="LastSeenAt">When a notification confirming the current state was last received.</param>
public sealed record AlertState(
    string Fingerprint,
    AlertStatus Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt,
    string? Receiver,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset LastSeenAt)
{
    /// <summary>The <c>alertname</c> label, or null.</summary>
    public string? AlertName => Labels.TryGetValue("alertname", out var n) ? n : null;
}

/// <summary>What <see cref="AlertStateStore.Record"/> did with a notification.</summary>
public enum AlertRecordOutcome
{
    /// <summary>A fingerprint not known before.</summary>
    Added,

    /// <summary>The state changed (new episode, or firing → resolved).</summary>
    Changed,

    /// <summary>Same state as known (a repeat or another replica's copy): only the last-seen time moved.</summary>
    Duplicate,

    /// <summary>Older than what is known (out of order): ignored.</summary>
    Stale,

    /// <summary>The store is full of other firing alerts, or the labels are over their cap: ignored.</summary>
    Rejected,

    /// <summary>No pool's signal listens to it (<see cref="AlertStoreOptions.Keep"/>): not held.</summary>
    Ignored,
}

/// <summary>
/// Which alerts a signal listens to: an optional <c>alertname</c> and labels that must all be equal. When the alert
/// carries a <c>pool</c> label it must also name the pool being evaluated (unless <see cref="Labels"/> sets
/// <c>pool</c> itself), so one rule <c>... by (pool)</c> can serve several pools without crosstalk.
/// </summary>
/// <param name="AlertName">Required alertname, or null.</param>
/// <param name="Labels">Required labels.</param>
public sealed record AlertMatcher(string? AlertName, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>The label that ties an alert to a pool.</summary>
    public const string PoolLabel = "pool";

    /// <summary>True when <paramref name="labels"/> satisfy this matcher for <paramref name="pool"/>.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels, string pool)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (AlertName is not null && !(labels.TryGetValue("alertname", out var name) && string.Equals(name, AlertName, StringComparison.Ordinal)))
        {
            return false;
        }

        foreach (var (key, value) in Labels)
        {
            if (!labels.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        if (!Labels.ContainsKey(PoolLabel) && labels.TryGetValue(PoolLabel, out var alertPool)
            && !string.Equals(alertPool, pool, StringComparison.Ordinal))
        {
            return false;
        }

        return true;
    }
}

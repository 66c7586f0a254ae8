using Autoscaler.Core.Alerts;

namespace Autoscaler.Core.Signals;

/// <summary>How a pool's signal stands, for <c>/api/v1/pools</c>, <c>status</c> and <c>/metrics</c>.</summary>
public enum SignalState
{
    /// <summary>Evaluated with data; nothing to say.</summary>
    Ok,

    /// <summary>A matching alert fires (and was re-sent recently enough to be believed).</summary>
    Firing,

    /// <summary>The last evaluation had no usable data (Prometheus unreachable, an error, NaN, an empty result):
    /// the signal holds.</summary>
    MissingData,

    /// <summary>A matching alert was firing but Alertmanager stopped re-sending it: it is treated as resolved.</summary>
    Expired,

    /// <summary>Not evaluated yet.</summary>
    Unknown,
}

/// <summary>A signal's state and why.</summary>
/// <param name="State">Its state.</param>
/// <param name="Detail">Why, in words.</param>
/// <param name="At">When the state was observed.</param>
public sealed record SignalStatus(SignalState State, string Detail, DateTimeOffset? At);

/// <summary>What a signal's <see cref="SignalConfig.Status"/> may look at.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="Recommendation">The signal's part of the pool's last decision, when there is one.</param>
/// <param name="DecidedAt">When that decision was taken.</param>
/// <param name="Alerts">Alert state, when the host has one.</param>
/// <param name="StaleAfter">How long a firing alert is believed without being re-sent.</param>
public sealed record SignalStatusContext(string Pool, Recommendation? Recommendation, DateTimeOffset? DecidedAt, AlertStateStore? Alerts, TimeSpan StaleAfter);

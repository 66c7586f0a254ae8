namespace Autoscaler.Core.Signals;

/// <summary>
/// A signal's opinion: a direction and the desired size it wants, why, and the inputs it used. Schedules express
/// bounds through <see cref="MinFloor"/>/<see cref="MaxCeiling"/> instead of a size; a signal without usable data says
/// so with <see cref="MissingData"/>, which blocks every scale-down of that evaluation.
/// </summary>
public sealed record Recommendation
{
    /// <summary>The signal's name (e.g. <c>signals[1] target_tracking</c>).</summary>
    public required string Signal { get; init; }

    /// <summary>Up, down or hold.</summary>
    public ScaleDirection Direction { get; init; }

    /// <summary>Desired size wanted (null for holds without an opinion).</summary>
    public int? Desired { get; init; }

    /// <summary>Human-readable why.</summary>
    public required string Reason { get; init; }

    /// <summary>Inputs used (metric value, target, matching alerts…), for the audit trail.</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; init; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    /// <summary>The signal had no usable data (metric missing, NaN, error).</summary>
    public bool MissingData { get; init; }

    /// <summary>A minimum this signal imposes now (active schedule).</summary>
    public int? MinFloor { get; init; }

    /// <summary>A maximum this signal imposes now (active schedule).</summary>
    public int? MaxCeiling { get; init; }

    /// <summary>Members the signal expects to be needed soon (a forecast's next hour): a scale-down never goes below
    /// it. It never raises the pool by itself.</summary>
    public int? KeepFloor { get; init; }

    /// <summary>A hold without opinion.</summary>
    public static Recommendation Hold(string signal, string reason, IReadOnlyDictionary<string, string>? inputs = null) =>
        new() { Signal = signal, Direction = ScaleDirection.Hold, Reason = reason, Inputs = inputs ?? System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty };

    /// <summary>A hold because the data is missing.</summary>
    public static Recommendation Missing(string signal, string reason, IReadOnlyDictionary<string, string>? inputs = null) =>
        Hold(signal, reason, inputs) with { MissingData = true };
}

namespace Autoscaler.Core.Signals;

/// <summary>
/// A kind of signal (<c>alert</c>, <c>target_tracking</c>, <c>schedule</c>…): recognises its entries in a pool's
/// <c>signals</c> list and reads and validates them into its <see cref="SignalConfig"/>. Register it once in a
/// <see cref="SignalKinds"/>; the configuration, the engine, the API and the dashboard then handle it like any other.
/// </summary>
public interface ISignalKind
{
    /// <summary>The kind's name, e.g. <c>target_tracking</c>.</summary>
    string Name { get; }

    /// <summary>How an error message lists it among the kinds, e.g. <c>an alert signal (alert and/or labels, with action)</c>.</summary>
    string Description { get; }

    /// <summary>True when <paramref name="entry"/> is of this kind (it has the kind's key); must not read it.</summary>
    bool Claims(Configuration.MapReader entry);

    /// <summary>Reads and validates <paramref name="entry"/>, recording every problem; null when it cannot be used.
    /// The caller reports the keys nobody read.</summary>
    SignalConfig? Read(Configuration.MapReader entry, SignalReadContext context);
}

/// <summary>Where a signal entry sits.</summary>
/// <param name="Index">Position in the pool's <c>signals</c> list.</param>
/// <param name="PoolMax">The pool's <c>max</c>, when it was read (bounds must fit it).</param>
public sealed record SignalReadContext(int Index, int? PoolMax)
{
    /// <summary><c>signals[2]</c>.</summary>
    public string Path => $"signals[{Index}]";
}

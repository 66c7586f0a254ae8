namespace Autoscaler.Core.Signals;

/// <summary>What a signal sees of a pool when it is evaluated.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="Now">Evaluation time.</param>
/// <param name="Desired">The pool's current desired size.</param>
/// <param name="Live">Members counted as capacity (serving or launching, not being removed or replaced).</param>
/// <param name="Serving">Members whose node is UP.</param>
/// <param name="Launching">Members launched and not serving yet.</param>
/// <param name="Min">Configured minimum.</param>
/// <param name="Max">Configured maximum.</param>
public sealed record SignalContext(string Pool, DateTimeOffset Now, int Desired, int Live, int Serving, int Launching, int Min, int Max);

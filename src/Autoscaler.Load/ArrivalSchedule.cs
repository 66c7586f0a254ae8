namespace Autoscaler.Load;

/// <summary>How arrivals are spaced around the profile's rate.</summary>
public enum ArrivalProcess
{
    /// <summary>Independent arrivals (exponential gaps at the current rate): the bursts real users make.</summary>
    Poisson,

    /// <summary>Evenly spaced arrivals at the current rate: repeatable counts, smoother plots.</summary>
    Uniform,
}

/// <summary>
/// The send times of an open-loop run, computed from the profile alone (never from responses). Both processes invert
/// the profile's cumulative rate Λ: uniform arrivals sit at Λ = k + ½, Poisson arrivals at the partial sums of
/// unit-exponential draws (time rescaling), which follows ramps and steps exactly.
/// </summary>
public sealed class ArrivalSchedule
{
    private readonly LoadProfile _profile;
    private readonly ArrivalProcess _process;
    private readonly Random _random;
    private double _next;

    public ArrivalSchedule(LoadProfile profile, ArrivalProcess process, int seed)
    {
        ArgumentNullException.ThrowIfNull(profile);
        _profile = profile;
        _process = process;
        // Seeded on purpose: a run is repeatable given its seed; this is not a security use.
#pragma warning disable CA5394
        _random = new Random(seed);
#pragma warning restore CA5394
        _next = process == ArrivalProcess.Uniform ? 0.5 : UnitExponential();
    }

    /// <summary>The next send time, as an offset from the start of the run; false when the profile is over.</summary>
    public bool TryNext(out TimeSpan at)
    {
        if (_profile.TimeOfArrival(_next) is not { } time)
        {
            at = default;
            return false;
        }

        at = time;
        _next += _process == ArrivalProcess.Uniform ? 1 : UnitExponential();
        return true;
    }

#pragma warning disable CA5394
    private double UnitExponential() => -Math.Log(1 - _random.NextDouble());
#pragma warning restore CA5394
}

namespace Autoscaler.Simulation;

/// <summary>The virtual time of a backtest: it only moves when the simulator moves it, so a run is deterministic and
/// as fast as the code. No timers: nothing the engine runs waits on the clock.</summary>
public sealed class SimulationClock : TimeProvider
{
    private DateTimeOffset _now;

    /// <summary>Starts at <paramref name="start"/>.</summary>
    public SimulationClock(DateTimeOffset start) => _now = start;

    /// <summary>The current virtual time.</summary>
    public DateTimeOffset Now
    {
        get => _now;
        set
        {
            if (value < _now)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"virtual time cannot go back from {_now:O}");
            }

            _now = value;
        }
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _now;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}

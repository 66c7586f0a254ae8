using Autoscaler.Core;
using Autoscaler.Core.Audit;

namespace Autoscaler.Service.Storage;

/// <summary>The JSON shape of a stored decision (recommendations flattened to plain records).</summary>
internal sealed record StoredDecision
{
    public required string Pool { get; init; }

    public DateTimeOffset At { get; init; }

    public int Current { get; init; }

    public int Serving { get; init; }

    public int PreviousDesired { get; init; }

    public int Desired { get; init; }

    public int Min { get; init; }

    public int Max { get; init; }

    public ScaleDirection Direction { get; init; }

    public DecisionAction Action { get; init; }

    public int Delta { get; init; }

    public SkipReason? Skip { get; init; }

    public required string Reason { get; init; }

    public List<Core.Signals.Recommendation> Recommendations { get; init; } = [];

    public Dictionary<string, string> Inputs { get; init; } = [];

    public static StoredDecision From(Decision d) => new()
    {
        Pool = d.Pool,
        At = d.At,
        Current = d.Current,
        Serving = d.Serving,
        PreviousDesired = d.PreviousDesired,
        Desired = d.Desired,
        Min = d.Min,
        Max = d.Max,
        Direction = d.Direction,
        Action = d.Action,
        Delta = d.Delta,
        Skip = d.Skip,
        Reason = d.Reason,
        Recommendations = [.. d.Recommendations],
        Inputs = new Dictionary<string, string>(d.Inputs, StringComparer.Ordinal),
    };

    public Decision ToDecision() => new()
    {
        Pool = Pool,
        At = At,
        Current = Current,
        Serving = Serving,
        PreviousDesired = PreviousDesired,
        Desired = Desired,
        Min = Min,
        Max = Max,
        Direction = Direction,
        Action = Action,
        Delta = Delta,
        Skip = Skip,
        Reason = Reason,
        Recommendations = Recommendations,
        Inputs = Inputs,
    };
}

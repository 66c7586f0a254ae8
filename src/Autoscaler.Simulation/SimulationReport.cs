using System.Text.Encodings.Web;
using System.Text.Json;

namespace Autoscaler.Simulation;

/// <summary>A scaling action of a backtest: when, and which way.</summary>
/// <param name="At">Decision time.</param>
/// <param name="Up">True for a scale-up.</param>
public readonly record struct ScalingAction(DateTimeOffset At, bool Up);

/// <summary>How one policy did over the trace.</summary>
public sealed record PolicyResult
{
    /// <summary>Policy name: <c>target-tracking</c>, <c>seed-threshold</c> or <c>oracle</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Instance-hours billed: every instance from its creation to its deletion, within the trace.</summary>
    public required double InstanceHours { get; init; }

    /// <summary>Minutes whose load exceeded <see cref="SimulationOptions.SloUtilization"/> × the serving capacity.</summary>
    public required double SloViolationMinutes { get; init; }

    /// <summary>Scaling actions (changes of the desired size).</summary>
    public required int Actions { get; init; }

    /// <summary>Actions that reverse the previous action's direction within the flap window.</summary>
    public required int Flaps { get; init; }

    /// <summary><see cref="InstanceHours"/> × the price per instance-hour, when the price is known.</summary>
    public double? Cost { get; init; }

    /// <summary>Scale-ups among <see cref="Actions"/>.</summary>
    public int ScaleUps { get; init; }

    /// <summary>Scale-downs among <see cref="Actions"/>.</summary>
    public int ScaleDowns { get; init; }

    /// <summary>Mean serving capacity (requests per second) during each trace row.</summary>
    public required IReadOnlyList<double> ServingCapacity { get; init; }

    /// <summary>Mean number of existing (billed) instances during each trace row.</summary>
    public required IReadOnlyList<double> Instances { get; init; }

    /// <summary>The actions, in order.</summary>
    public IReadOnlyList<ScalingAction> ActionLog { get; init; } = [];
}

/// <summary>The outcome of <see cref="Simulator.RunAsync"/>.</summary>
public sealed record SimulationReport
{
    /// <summary>Length of the replayed trace, in minutes.</summary>
    public required double Minutes { get; init; }

    /// <summary>The engine-driven policies, in the order run.</summary>
    public required IReadOnlyList<PolicyResult> Policies { get; init; }

    /// <summary>The perfect-foresight lower bound.</summary>
    public required PolicyResult Oracle { get; init; }

    /// <summary>The (scaled) load that was replayed.</summary>
    public required LoadTrace Load { get; init; }

    /// <summary>Requests per second one instance serves at 100 % CPU.</summary>
    public required double InstanceCapacity { get; init; }

    /// <summary>Target utilisation used by the oracle.</summary>
    public required double TargetUtilization { get; init; }

    /// <summary>The policy called <paramref name="name"/> (the oracle included), or null.</summary>
    public PolicyResult? Find(string name) =>
        string.Equals(name, Oracle.Name, StringComparison.Ordinal) ? Oracle : Policies.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));

    /// <summary>Writes <c>{"minutes", "policies": [{name, instanceHours, sloViolationMinutes, actions, flaps, cost}],
    /// "oracle": {…}}</c>; cost is null when the price is unknown.</summary>
    public void WriteJson(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteNumber("minutes", Math.Round(Minutes, 3));
        json.WriteStartArray("policies");
        foreach (var p in Policies)
        {
            WritePolicy(json, p);
        }

        json.WriteEndArray();
        json.WritePropertyName("oracle");
        WritePolicy(json, Oracle);
        json.WriteEndObject();
    }

    private static void WritePolicy(Utf8JsonWriter json, PolicyResult p)
    {
        json.WriteStartObject();
        json.WriteString("name", p.Name);
        json.WriteNumber("instanceHours", Math.Round(p.InstanceHours, 3));
        json.WriteNumber("sloViolationMinutes", Math.Round(p.SloViolationMinutes, 3));
        json.WriteNumber("actions", p.Actions);
        json.WriteNumber("flaps", p.Flaps);
        if (p.Cost is { } cost)
        {
            json.WriteNumber("cost", Math.Round(cost, 2));
        }
        else
        {
            json.WriteNull("cost");
        }

        json.WriteEndObject();
    }
}

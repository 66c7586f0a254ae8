using System.Text.Json;
using System.Text.Json.Serialization;
using Autoscaler.Core.Audit;

namespace Autoscaler.Sandbox.Demo;

/// <summary>One second of the run as the demo saw it.</summary>
public sealed record DemoSample
{
    /// <summary>Seconds since the load started.</summary>
    public required double Seconds { get; init; }

    public required string Phase { get; init; }

    /// <summary>Requests per second the profile asks for.</summary>
    public required double OfferedRps { get; init; }

    /// <summary>Requests sent in the load generator's last closed second.</summary>
    public double SentRps { get; init; }

    /// <summary>Requests answered 2xx/3xx in that second.</summary>
    public double OkRps { get; init; }

    /// <summary>Failed requests in that second (5xx, timeouts, refused, dropped).</summary>
    public long Errors { get; init; }

    public double? P95Ms { get; init; }

    /// <summary>The pool's CPU as Prometheus records it (null before it has data).</summary>
    public double? CpuPercent { get; init; }

    /// <summary>Desired size as the engine holds it.</summary>
    public int? Desired { get; init; }

    /// <summary>Members counted as capacity (serving or on their way).</summary>
    public int Instances { get; init; }

    public int Serving { get; init; }

    public int Booting { get; init; }

    public int Draining { get; init; }

    /// <summary>Requests per second the serving instances can take at 100 % CPU.</summary>
    public double CapacityRps { get; init; }
}

/// <summary>Something that happened: an alert reaching the webhook, a decision, an operation's end.</summary>
/// <param name="Seconds">Seconds since the load started (negative during start-up).</param>
/// <param name="Kind">alert | decision | operation.</param>
/// <param name="Text">One line for people.</param>
public sealed record DemoEvent(double Seconds, string Kind, string Text);

/// <summary>A scale-up or scale-down the autoscaler decided, for the summary.</summary>
public sealed record DemoDecision(double Seconds, string Action, int From, int To, string Reason);

/// <summary>The request totals of the load generator.</summary>
public sealed record DemoRequests(long Total, long Errors, double? P95Ms);

/// <summary>What <c>--summary FILE</c> writes.</summary>
public sealed record DemoSummary
{
    public required int ScaleUps { get; init; }

    public required int ScaleDowns { get; init; }

    public required int PeakInstances { get; init; }

    public required int FinalInstances { get; init; }

    public required int MinInstances { get; init; }

    public required int MaxInstances { get; init; }

    /// <summary>Pool-tagged instances neither in the NodeBalancer nor in an open operation at the end, plus any
    /// instance at all still in the emulator after the clean-up.</summary>
    public required int LeakedInstances { get; init; }

    /// <summary>From the webhook's receipt of the first firing PoolCpuHigh to the first Linode API call of the
    /// scale-up it caused; null when no scale-up followed it.</summary>
    public required long? AlertToFirstApiCallMs { get; init; }

    /// <summary>The call <see cref="AlertToFirstApiCallMs"/> ends at, e.g. <c>GET /linode/instances</c>.</summary>
    public string? FirstApiCall { get; init; }

    /// <summary>From the start of the spike to the first new instance's node UP in the NodeBalancer.</summary>
    public required double? SpikeToServingSeconds { get; init; }

    /// <summary>The shortest <see cref="SpikeToServingSeconds"/> the settings allow: scrape interval + rule
    /// <c>for</c> + group_wait + boot time + one health-check interval.</summary>
    public required double SpikeToServingFloorSeconds { get; init; }

    public required DemoRequests Requests { get; init; }

    /// <summary>The profile run, in the loadgen's <c>DURATION@RATE</c> syntax.</summary>
    public required string Profile { get; init; }

    public required int Seed { get; init; }

    /// <summary>Requests per second one instance serves.</summary>
    public required double InstanceCapacityRps { get; init; }

    /// <summary>Seconds from the load's start to the pool back at its minimum, when it got there.</summary>
    public double? BackToMinSeconds { get; init; }

    public required double ElapsedSeconds { get; init; }

    /// <summary>USD billed this month by the autoscaler's reckoning (its billing model over the pool's lifetimes) at the
    /// end of the run; null when it could not be read.</summary>
    public decimal? BilledUsd { get; init; }

    /// <summary>The emulator's <c>balance_uninvoiced</c> read at the same moment: the cloud's own arithmetic.</summary>
    public decimal? BalanceUninvoicedUsd { get; init; }

    public required IReadOnlyList<DemoDecision> Decisions { get; init; }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // A file for people and tools, never embedded in HTML: keep "+" and arrows readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    internal static DemoDecision From(Decision d, DateTimeOffset loadStart) => new(
        Math.Round((d.At - loadStart).TotalSeconds, 1),
        d.Action == DecisionAction.ScaleUp ? "scale_up" : "scale_down",
        d.PreviousDesired,
        d.Desired,
        d.Reason);
}

/// <summary>Everything a run produced: the summary, its timeline and audit trail, and what was left after the
/// clean-up (tests check it is nothing).</summary>
public sealed record DemoResult
{
    public required DemoSummary Summary { get; init; }

    public required IReadOnlyList<DemoSample> Samples { get; init; }

    public required IReadOnlyList<DemoEvent> Events { get; init; }

    /// <summary>Every decision of the pool's audit trail, oldest first.</summary>
    public required IReadOnlyList<Decision> Decisions { get; init; }

    /// <summary>Every operation event of the pool's audit trail, oldest first.</summary>
    public required IReadOnlyList<OperationEvent> Operations { get; init; }

    public required string WorkDirectory { get; init; }

    public string? PlotPath { get; init; }

    public string? SummaryPath { get; init; }

    /// <summary>Process ids of the programs the demo ran (Prometheus, Alertmanager).</summary>
    public required IReadOnlyList<int> ChildProcessIds { get; init; }

    /// <summary>Every loopback endpoint that listened during the run (emulator, autoscaler, Prometheus,
    /// Alertmanager, NodeBalancer, instances).</summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>Problems found after the clean-up (an instance left, a listener still open); empty when clean.</summary>
    public required IReadOnlyList<string> Leftovers { get; init; }
}

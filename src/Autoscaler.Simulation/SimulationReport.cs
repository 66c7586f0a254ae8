using Autoscaler.Core.Providers.Virtual;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Autoscaler.Core.Billing;

namespace Autoscaler.Simulation;

/// <summary>A scaling action of a backtest: when, and which way.</summary>
/// <param name="At">Decision time.</param>
/// <param name="Up">True for a scale-up.</param>
public readonly record struct ScalingAction(DateTimeOffset At, bool Up);

/// <summary>How one policy did over the trace.</summary>
public sealed record PolicyResult
{
    /// <summary>Policy name: <c>target-tracking</c>, <c>seed-threshold</c>, <c>oracle</c>…</summary>
    public required string Name { get; init; }

    /// <summary>
    /// USD Linode bills for <see cref="Lives"/>: every started billing period from create to delete, at most the
    /// monthly price per calendar month (<see cref="HourlyBilling"/>); an instance alive at the trace's end is billed
    /// up to the end. Null when the price is unknown.
    /// </summary>
    public decimal? BilledCost { get; init; }

    /// <summary>Billing periods of <see cref="Lives"/> (each life's ceil(lifetime / period), caps not applied).</summary>
    public long BilledPeriods { get; init; }

    /// <summary><see cref="BilledPeriods"/> × the period, in hours.</summary>
    public double BilledHours { get; init; }

    /// <summary>Continuous instance-hours: every instance from its creation to its deletion, within the trace.</summary>
    public required double InstanceHours { get; init; }

    /// <summary>Paid instance-hours not serving: billed periods × period − the time each instance served inside them
    /// (from its node's first UP to its release).</summary>
    public double PaidIdleHours { get; init; }

    /// <summary><see cref="BilledCost"/> over the oracle's (in billed periods when the price is unknown); null when the
    /// oracle's bill is 0.</summary>
    public double? RatioToOracle { get; init; }

    /// <summary>Minutes whose load exceeded <see cref="SimulationOptions.SloUtilization"/> × the serving capacity.</summary>
    public required double SloViolationMinutes { get; init; }

    /// <summary>Scaling actions (changes of the desired size).</summary>
    public required int Actions { get; init; }

    /// <summary>Actions that reverse the previous action's direction within the flap window.</summary>
    public required int Flaps { get; init; }

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

    /// <summary>Every instance's life, the bill's input (times rounded to milliseconds, none before the trace's start).</summary>
    public IReadOnlyList<InstanceLife> Lives { get; init; } = [];

    /// <summary>Releases (removals started) and take-backs (removals cancelled), in order.</summary>
    public IReadOnlyList<RemovalEvent> RemovalEvents { get; init; } = [];
}

/// <summary>Wall time of a backtest's parts.</summary>
/// <param name="EngineRuns">Engine runs made (a policy whose pool is an earlier one's is not run again).</param>
/// <param name="Policies">All engine runs (side by side when there are several cores).</param>
/// <param name="Oracle">The exact oracle (its min-cost flow and replay).</param>
public sealed record SimulationTiming(int EngineRuns, TimeSpan Policies, TimeSpan Oracle);

/// <summary>The outcome of <see cref="Simulator.RunAsync"/>.</summary>
public sealed record SimulationReport
{
    /// <summary>Length of the replayed trace, in minutes.</summary>
    public required double Minutes { get; init; }

    /// <summary>The engine-driven policies, in the order run.</summary>
    public required IReadOnlyList<PolicyResult> Policies { get; init; }

    /// <summary>The cheapest bill that never misses the SLO: a lower bound for every policy's bill.</summary>
    public required PolicyResult Oracle { get; init; }

    /// <summary>Perfect foresight at the target utilisation (the previous reference), billed the same way.</summary>
    public required PolicyResult OracleAtTarget { get; init; }

    /// <summary>Where the oracle's demand could not be met within min..max; both lists expected empty.</summary>
    public OracleCoverage OracleCoverage { get; init; } = new([], []);

    /// <summary>The (scaled) load that was replayed.</summary>
    public required LoadTrace Load { get; init; }

    /// <summary>Requests per second one instance serves at 100 % CPU.</summary>
    public required double InstanceCapacity { get; init; }

    /// <summary>Target utilisation (the policies' warm start and <c>oracle-at-target</c>).</summary>
    public required double TargetUtilization { get; init; }

    /// <summary>Utilisation above which a minute violates the SLO (the oracle's demand).</summary>
    public double SloUtilization { get; init; } = 0.9;

    /// <summary>The price billed, or null when unknown.</summary>
    public InstancePrice? Price { get; init; }

    /// <summary>The billing period.</summary>
    public TimeSpan BillingPeriod { get; init; } = HourlyBilling.DefaultPeriod;

    /// <summary>The forecast the forecast policy's signal saw (made its lead ahead), when a policy has one.</summary>
    public ForecastTrack? Forecast { get; init; }

    /// <summary>Where a policy's violation minutes fall (the hour after each daily rise, one-minute bursts).</summary>
    public ViolationSplit SplitOf(PolicyResult policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return ForecastBacktest.Split(Load, policy.ServingCapacity, SloUtilization);
    }

    /// <summary>How long the backtest took (wall time; not part of report.json, which depends on the inputs only).</summary>
    public SimulationTiming? Timing { get; init; }

    /// <summary>Every result: the engine's policies, then <c>oracle-at-target</c> and <c>oracle</c>.</summary>
    public IEnumerable<PolicyResult> All => Policies.Append(OracleAtTarget).Append(Oracle);

    /// <summary>The policy called <paramref name="name"/> (the oracles included), or null.</summary>
    public PolicyResult? Find(string name) => All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));

    /// <summary>
    /// Writes <c>{"minutes", "traceStart", "billing": {periodSeconds, hourly, monthly}, "policies": [{name, billedCost,
    /// ratioToOracle, billedHours, instanceHours, paidIdleHours, sloViolationMinutes, actions, flaps}], "oracle": {…,
    /// uncoveredSteps, stepsOverMax}, "oracleAtTarget": {…}}</c>; billedCost and hourly are null when the price is unknown.
    /// </summary>
    public void WriteJson(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteNumber("minutes", Math.Round(Minutes, 3));
        json.WriteString("traceStart", Load.Start.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        json.WriteStartObject("billing");
        json.WriteNumber("periodSeconds", BillingPeriod.TotalSeconds);
        WriteMoney(json, "hourly", Price?.Hourly);
        WriteMoney(json, "monthly", Price?.Monthly);
        json.WriteEndObject();
        json.WriteStartArray("policies");
        foreach (var p in Policies)
        {
            json.WriteStartObject();
            WritePolicy(json, p);
            WriteSplit(json, p);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartObject("oracle");
        WritePolicy(json, Oracle);
        json.WriteNumber("uncoveredSteps", OracleCoverage.UncoveredSteps.Count);
        json.WriteNumber("stepsOverMax", OracleCoverage.StepsOverMax.Count);
        json.WriteEndObject();
        json.WriteStartObject("oracleAtTarget");
        WritePolicy(json, OracleAtTarget);
        json.WriteEndObject();
        if (Forecast is { } forecast)
        {
            json.WriteStartObject("forecast");
            json.WriteNumber("leadSeconds", forecast.Lead.TotalSeconds);
            json.WriteStartArray("days");
            foreach (var day in ForecastBacktest.DailyErrors(Load, forecast))
            {
                json.WriteStartObject();
                json.WriteString("day", day.Day.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture));
                if (double.IsNaN(day.Mape))
                {
                    json.WriteNull("mape");
                }
                else
                {
                    json.WriteNumber("mape", Math.Round(day.Mape, 4));
                }

                json.WriteNumber("hours", day.Hours);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private void WriteSplit(Utf8JsonWriter json, PolicyResult p)
    {
        var split = SplitOf(p);
        json.WriteNumber("violationMinutesAfterRise", Math.Round(split.AfterRise, 3));
        json.WriteNumber("violationBurstMinutes", Math.Round(split.Bursts, 3));
    }

    /// <summary>
    /// Writes <c>policy,id,created_s,serving_s,released_s,deleted_s</c>: one row per instance per result (the oracles'
    /// planned instances too), seconds from the trace's start to millisecond precision, empty when it never happened
    /// (an instance without deleted_s is alive at the trace's end and billed up to it). Exactly what the bills were
    /// computed from.
    /// </summary>
    public void WriteInstancesCsv(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("policy,id,created_s,serving_s,released_s,deleted_s\n");
        var line = new StringBuilder();
        foreach (var p in All)
        {
            foreach (var life in p.Lives)
            {
                line.Clear();
                line.Append(p.Name).Append(',').Append(life.Id).Append(',');
                Seconds(line, life.Created).Append(',');
                Seconds(line, life.Serving).Append(',');
                Seconds(line, life.Released).Append(',');
                Seconds(line, life.Deleted).Append('\n');
                writer.Write(line);
            }
        }
    }

    private StringBuilder Seconds(StringBuilder line, DateTimeOffset? at)
    {
        if (at is not { } t)
        {
            return line;
        }

        var ms = (t - Load.Start).Ticks / TimeSpan.TicksPerMillisecond;
        line.Append((ms / 1000).ToString(CultureInfo.InvariantCulture));
        if (ms % 1000 != 0)
        {
            line.Append('.').Append((ms % 1000).ToString("000", CultureInfo.InvariantCulture).TrimEnd('0'));
        }

        return line;
    }

    private static void WritePolicy(Utf8JsonWriter json, PolicyResult p)
    {
        json.WriteString("name", p.Name);
        WriteMoney(json, "billedCost", p.BilledCost);
        if (p.RatioToOracle is { } ratio)
        {
            json.WriteNumber("ratioToOracle", Math.Round(ratio, 4));
        }
        else
        {
            json.WriteNull("ratioToOracle");
        }

        json.WriteNumber("billedHours", Math.Round(p.BilledHours, 3));
        json.WriteNumber("instanceHours", Math.Round(p.InstanceHours, 3));
        json.WriteNumber("paidIdleHours", Math.Round(p.PaidIdleHours, 3));
        json.WriteNumber("sloViolationMinutes", Math.Round(p.SloViolationMinutes, 3));
        json.WriteNumber("actions", p.Actions);
        json.WriteNumber("flaps", p.Flaps);
    }

    private static void WriteMoney(Utf8JsonWriter json, string name, decimal? value)
    {
        if (value is { } v)
        {
            // Exact: the bill is a sum of prices, and a reader recomputing it should match to the last digit.
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Engine;
using Autoscaler.Core.Pools;
using Autoscaler.Service.Storage;

namespace Autoscaler.Service.Api;

/// <summary>JSON conventions of the HTTP API: snake_case names, enums as snake_case strings.</summary>
public static class ApiJson
{
    /// <summary>Options for the API's bodies (server and clients).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Converters = { new KnownEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        // Source-generated metadata only (ApiJsonContext): no reflection, so the native AOT daemon serves it as is.
        TypeInfoResolver = ApiJsonContext.Default,
        WriteIndented = false,
        // Messages quote names ('web'); the relaxed encoder keeps them readable. Bodies are served as application/json only.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The metadata of <typeparamref name="T"/> under <see cref="Options"/> (from ApiJsonContext).</summary>
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> Info<T>() =>
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary><paramref name="value"/> as the API's JSON body (Results.Json with source-generated metadata).</summary>
    public static Microsoft.AspNetCore.Http.IResult Result<T>(T value, int? statusCode = null) =>
        Microsoft.AspNetCore.Http.Results.Json(value, Info<T>(), statusCode: statusCode);
}

/// <summary><c>GET /api/v1/pools</c>.</summary>
public sealed record PoolsResponse(IReadOnlyList<PoolDto> Pools)
{
    /// <summary>The Linode API budget per bucket (absent without Linode pools).</summary>
    public IReadOnlyList<ApiBudgetDto>? ApiBudget { get; init; }

    /// <summary>Set when a standby forwarded the read to the leader (see <see cref="Ha.LeaderReadProxy"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Ha.ServedBy? ServedBy { get; init; }
}

/// <summary>One Linode rate-limit bucket: its limit per window, our use of the last window, what the API says is left,
/// how many requests waited for budget and how many were refused (429).</summary>
public sealed record ApiBudgetDto(string Bucket, int Limit, double WindowSeconds, int Used, int? Remaining, long Waits, long Throttled)
{
    /// <summary>From the client's figures.</summary>
    public static ApiBudgetDto From(Autoscaler.Linode.ApiBudgetUse use)
    {
        ArgumentNullException.ThrowIfNull(use);
        return new(use.Bucket, use.Limit, use.Window.TotalSeconds, use.Used, use.Remaining, use.Waits, use.Throttled);
    }
}

/// <summary>A pool's state.</summary>
public sealed record PoolDto
{
    public required string Pool { get; init; }

    /// <summary>Set when a standby forwarded the read to the leader (see <see cref="Ha.LeaderReadProxy"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Ha.ServedBy? ServedBy { get; init; }

    public int? Desired { get; init; }

    public int Min { get; init; }

    public int Max { get; init; }

    /// <summary>Members counted as capacity.</summary>
    public int Actual { get; init; }

    public int Serving { get; init; }

    public int Launching { get; init; }

    public int Removing { get; init; }

    /// <summary>Surplus members kept serving until their paid period ends (counted in <see cref="Actual"/>).</summary>
    public int Kept { get; init; }

    public bool DryRun { get; init; }

    public DateTimeOffset? ObservedAt { get; init; }

    public DateTimeOffset? ScaleUpCooldownUntil { get; init; }

    public DateTimeOffset? ScaleDownCooldownUntil { get; init; }

    public IReadOnlyList<MemberDto> Members { get; init; } = [];

    public DecisionDto? LastDecision { get; init; }

    public IReadOnlyList<OperationDto> Operations { get; init; } = [];

    /// <summary>Launches wanted but held by the cloud's create limit at the last pass (a later pass starts them).</summary>
    public int LaunchesWaiting { get; init; }

    /// <summary>Why <see cref="LaunchesWaiting"/> launches wait, or null.</summary>
    public string? LaunchesWaitingFor { get; init; }

    public CountersDto Counters { get; init; } = new();

    /// <summary>Each signal's state: whether the engine can see (missing data, an expired alert) and why.</summary>
    public IReadOnlyList<Signals.SignalStatusDto> Signals { get; init; } = [];

    /// <summary>USD billed so far this calendar month (UTC) by the billing model; null when the pool's prices are unknown.</summary>
    public decimal? BilledCostUsd { get; init; }

    /// <summary>USD the month comes to if every live member lives to its end; null when the prices are unknown.</summary>
    public decimal? ProjectedCostUsd { get; init; }

    /// <summary>The pool's monthly budget (budget.monthly_usd), when configured.</summary>
    public decimal? BudgetUsd { get; init; }

    internal static PoolDto From(PoolStatus s, bool dryRun, PoolBill? bill = null) => new()
    {
        Pool = s.Pool,
        Desired = s.Desired,
        Min = s.Min,
        Max = s.Max,
        Actual = s.View?.Live ?? 0,
        Serving = s.View?.Serving ?? 0,
        Launching = s.View?.Launching ?? 0,
        Removing = s.View?.Removing ?? 0,
        Kept = s.View?.Kept ?? 0,
        DryRun = dryRun,
        ObservedAt = s.View?.At,
        ScaleUpCooldownUntil = s.ScaleUpCooldownUntil,
        ScaleDownCooldownUntil = s.ScaleDownCooldownUntil,
        Members = s.View?.Members.Select(m => MemberDto.From(m, bill)).ToArray() ?? [],
        BilledCostUsd = bill?.BilledUsd,
        ProjectedCostUsd = bill?.ProjectedUsd,
        LastDecision = s.LastDecision is { } d ? DecisionDto.From(d) : null,
        Operations = s.Operations.Select(OperationDto.From).ToArray(),
        LaunchesWaiting = s.LaunchesWaiting,
        LaunchesWaitingFor = s.LaunchesWaitingFor,
        Counters = new CountersDto
        {
            ScaleUps = s.Counters.ScaleUps,
            ScaleDowns = s.Counters.ScaleDowns,
            Launched = s.Counters.Launched,
            Removed = s.Counters.Removed,
            OrphansRemoved = s.Counters.OrphansRemoved,
            OperationFailures = s.Counters.OperationFailures,
            EvaluationErrors = s.Counters.EvaluationErrors,
            Skips = s.Counters.Skips.ToDictionary(kv => Metrics.ServiceMetrics.Snake(kv.Key.ToString()), kv => kv.Value, StringComparer.Ordinal),
        },
    };
}

/// <summary>A member as the engine last saw it.</summary>
public sealed record MemberDto
{
    public required string Id { get; init; }

    public required string Label { get; init; }

    public InstanceState State { get; init; }

    public MemberLifecycle Lifecycle { get; init; }

    public NodeStatus? NodeStatus { get; init; }

    public NodeMode? NodeMode { get; init; }

    public string? Address { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public bool Protected { get; init; }

    public bool BeingRemoved { get; init; }

    public bool ReplaceDue { get; init; }

    /// <summary>Why its node stays DOWN, as the provider tells (e.g. the firewall that drops the balancer's range).</summary>
    public string? Diagnosis { get; init; }

    /// <summary>End of the billing period already paid (deleting before it costs nothing more); null when the pool's
    /// billing terms are unknown.</summary>
    public DateTimeOffset? PaidUntil { get; init; }

    /// <summary>When a kept member is to be released (drained, removed, deleted) so that its delete lands before its
    /// paid period ends; null when the member is not kept.</summary>
    public DateTimeOffset? ReleaseAt { get; init; }

    internal static MemberDto From(MemberView m, PoolBill? bill = null) => new()
    {
        Id = m.Member.Id,
        Label = m.Member.Label,
        State = m.Member.State,
        Lifecycle = m.Lifecycle,
        NodeStatus = m.Member.Node?.Status,
        NodeMode = m.Member.Node?.Mode,
        Address = m.Member.Address,
        CreatedAt = m.Member.CreatedAt,
        Protected = m.Member.Protected,
        BeingRemoved = m.BeingRemoved,
        ReplaceDue = m.ReplaceDue,
        Diagnosis = m.Diagnosis,
        // The billing model's figure; for a kept member the engine's (it may keep it through the next period).
        PaidUntil = m.ReleaseAt is not null && m.PaidUntil is { } kept ? kept
            : bill is not null && bill.PaidUntil.TryGetValue(m.Member.Id, out var paid) ? paid : m.PaidUntil,
        ReleaseAt = m.ReleaseAt,
    };
}

/// <summary>An open operation.</summary>
public sealed record OperationDto
{
    public required string Id { get; init; }

    public OperationKind Kind { get; init; }

    public OperationPhase Phase { get; init; }

    public string? MemberId { get; init; }

    public string? Label { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset PhaseSince { get; init; }

    public string Reason { get; init; } = "";

    internal static OperationDto From(OperationRecord o) => new()
    {
        Id = o.Id,
        Kind = o.Kind,
        Phase = o.Phase,
        MemberId = o.MemberId,
        Label = o.Label,
        CreatedAt = o.CreatedAt,
        PhaseSince = o.PhaseSince,
        Reason = o.Reason,
    };
}

/// <summary>A pool's running totals since the service started.</summary>
public sealed record CountersDto
{
    public long ScaleUps { get; init; }

    public long ScaleDowns { get; init; }

    public long Launched { get; init; }

    public long Removed { get; init; }

    public long OrphansRemoved { get; init; }

    public long OperationFailures { get; init; }

    public long EvaluationErrors { get; init; }

    public IReadOnlyDictionary<string, long> Skips { get; init; } = new Dictionary<string, long>();
}

/// <summary>A decision with its reason, inputs and outcome.</summary>
public sealed record DecisionDto
{
    public DateTimeOffset At { get; init; }

    public required string Pool { get; init; }

    public DecisionAction Action { get; init; }

    public Core.ScaleDirection Direction { get; init; }

    public SkipReason? Skip { get; init; }

    public int PreviousDesired { get; init; }

    public int Desired { get; init; }

    public int Current { get; init; }

    public int Serving { get; init; }

    public int Min { get; init; }

    public int Max { get; init; }

    public int Delta { get; init; }

    public string Reason { get; init; } = "";

    public IReadOnlyDictionary<string, string> Inputs { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<RecommendationDto> Recommendations { get; init; } = [];

    internal static DecisionDto From(Decision d) => new()
    {
        At = d.At,
        Pool = d.Pool,
        Action = d.Action,
        Direction = d.Direction,
        Skip = d.Skip,
        PreviousDesired = d.PreviousDesired,
        Desired = d.Desired,
        Current = d.Current,
        Serving = d.Serving,
        Min = d.Min,
        Max = d.Max,
        Delta = d.Delta,
        Reason = d.Reason,
        Inputs = d.Inputs,
        Recommendations = d.Recommendations.Select(r => new RecommendationDto
        {
            Signal = r.Signal,
            Direction = r.Direction,
            Desired = r.Desired,
            Reason = r.Reason,
            MissingData = r.MissingData,
        }).ToArray(),
    };
}

/// <summary>One signal's recommendation inside a decision.</summary>
public sealed record RecommendationDto
{
    public string Signal { get; init; } = "";

    public Core.ScaleDirection Direction { get; init; }

    public int? Desired { get; init; }

    public string Reason { get; init; } = "";

    public bool MissingData { get; init; }
}

/// <summary>An operation step.</summary>
public sealed record OperationEventDto
{
    public required string OperationId { get; init; }

    public OperationKind Kind { get; init; }

    public OperationEventType Event { get; init; }

    public OperationPhase Phase { get; init; }

    public string? MemberId { get; init; }

    public string? Label { get; init; }

    public string Detail { get; init; } = "";
}

/// <summary><c>GET /api/v1/events</c>.</summary>
public sealed record EventsResponse(IReadOnlyList<EventDto> Events);

/// <summary>An entry of the audit trail: <see cref="Type"/> <c>decision</c> or <c>operation</c>.</summary>
public sealed record EventDto
{
    public required string Type { get; init; }

    public DateTimeOffset At { get; init; }

    public required string Pool { get; init; }

    public DecisionDto? Decision { get; init; }

    public OperationEventDto? Operation { get; init; }

    internal static EventDto From(StoredEvent e) => e.Decision is { } d
        ? new EventDto { Type = "decision", At = d.At, Pool = d.Pool, Decision = DecisionDto.From(d) }
        : new EventDto
        {
            Type = "operation",
            At = e.Operation!.At,
            Pool = e.Operation.Pool,
            Operation = new OperationEventDto
            {
                OperationId = e.Operation.OperationId,
                Kind = e.Operation.Kind,
                Event = e.Operation.Type,
                Phase = e.Operation.Phase,
                MemberId = e.Operation.MemberId,
                Label = e.Operation.Label,
                Detail = e.Operation.Detail,
            },
        };
}

/// <summary><c>POST /api/v1/pools/{pool}/scale</c> body.</summary>
public sealed record ScaleRequest(int? Desired);

/// <summary><c>POST /api/v1/pools/{pool}/scale</c> answer.</summary>
public sealed record ScaleResponse(string Pool, int PreviousDesired, int Desired, string Message);

/// <summary>An error answer; <see cref="Min"/>/<see cref="Max"/> come with out-of-bounds scale requests.</summary>
public sealed record ErrorResponse(string Error)
{
    public IReadOnlyList<string>? Problems { get; init; }

    public int? Min { get; init; }

    public int? Max { get; init; }
}

/// <summary>One target group of Prometheus' <c>http_sd_configs</c>.</summary>
public sealed record HttpSdTargetGroup(IReadOnlyList<string> Targets, IReadOnlyDictionary<string, string> Labels);

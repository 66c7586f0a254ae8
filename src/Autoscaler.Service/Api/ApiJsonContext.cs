using System.Text.Json;
using System.Text.Json.Serialization;
using Autoscaler.Core.Audit;
using Autoscaler.Service.Dashboard;
using Autoscaler.Service.Ha;
using Autoscaler.Service.Storage;
using Autoscaler.Service.Webhook;

namespace Autoscaler.Service.Api;

/// <summary>
/// Source-generated metadata for every body of the HTTP API (server and <see cref="AutoscalerApiClient"/>), so
/// <see cref="ApiJson.Options"/> needs no reflection: the native AOT daemon (src/Autoscaler.Daemon) cannot emit
/// serializers at run time. The JIT build resolves through the same metadata, so the tests cover it.
/// </summary>
[JsonSerializable(typeof(PoolsResponse))]
[JsonSerializable(typeof(PoolDto))]
[JsonSerializable(typeof(EventsResponse))]
[JsonSerializable(typeof(ScaleRequest))]
[JsonSerializable(typeof(ScaleResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(IReadOnlyList<HttpSdTargetGroup>))]
[JsonSerializable(typeof(HttpSdTargetGroup[]))]
[JsonSerializable(typeof(List<HttpSdTargetGroup>))]
[JsonSerializable(typeof(DashboardInfo))]
[JsonSerializable(typeof(SeriesResponse))]
[JsonSerializable(typeof(AlertsResponse))]
[JsonSerializable(typeof(DryRunRequest))]
[JsonSerializable(typeof(DryRunResponse))]
[JsonSerializable(typeof(DryRunAllResponse))]
[JsonSerializable(typeof(WebhookResponse))]
[JsonSerializable(typeof(LeaderResponse))]
[JsonSerializable(typeof(StandbyRefusal))]
public sealed partial class ApiJsonContext : JsonSerializerContext;

/// <summary>The journal's JSON columns (decisions and operation events), as <see cref="SqliteStore"/> and
/// <see cref="PostgresStore"/> write them through <see cref="DecisionRows"/>.</summary>
[JsonSerializable(typeof(Decision))]
[JsonSerializable(typeof(OperationEvent))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;

/// <summary>The journal's serializer settings. A class of its own, not the context's partial: static initializers
/// of one class spread over two files run in no promised order, and <c>Default</c> read before the generated part set
/// it is null (the JIT build then falls back to reflection unseen; native AOT fails).</summary>
internal static class StoreJson
{
    /// <summary>Web defaults, enums by name (as written since the first journal).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new KnownEnumConverter(namingPolicy: null) },
        TypeInfoResolver = StoreJsonContext.Default,
    };

    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<Decision> Decision { get; } =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<Decision>)Options.GetTypeInfo(typeof(Decision));

    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<OperationEvent> Operation { get; } =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<OperationEvent>)Options.GetTypeInfo(typeof(OperationEvent));
}

/// <summary>
/// Enums as strings, for the enums of Core and Service that bodies carry. <see cref="JsonStringEnumConverter"/>
/// (non-generic) builds its converter with MakeGenericType, which native AOT cannot promise; this lists them. An enum
/// not listed fails loudly (in the tests too) rather than being written as a number.
/// </summary>
public sealed class KnownEnumConverter(JsonNamingPolicy? namingPolicy) : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert)
    {
        ArgumentNullException.ThrowIfNull(typeToConvert);
        return typeToConvert.IsEnum;
    }

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        typeToConvert == typeof(Core.ScaleDirection) ? Of<Core.ScaleDirection>(options)
        : typeToConvert == typeof(Core.Alerts.AlertStatus) ? Of<Core.Alerts.AlertStatus>(options)
        : typeToConvert == typeof(Core.Pools.InstanceState) ? Of<Core.Pools.InstanceState>(options)
        : typeToConvert == typeof(Core.Pools.NodeStatus) ? Of<Core.Pools.NodeStatus>(options)
        : typeToConvert == typeof(Core.Pools.NodeMode) ? Of<Core.Pools.NodeMode>(options)
        : typeToConvert == typeof(Core.Pools.MemberLifecycle) ? Of<Core.Pools.MemberLifecycle>(options)
        : typeToConvert == typeof(Core.Pools.OperationKind) ? Of<Core.Pools.OperationKind>(options)
        : typeToConvert == typeof(Core.Pools.OperationPhase) ? Of<Core.Pools.OperationPhase>(options)
        : typeToConvert == typeof(Core.Pools.OperationOutcome) ? Of<Core.Pools.OperationOutcome>(options)
        : typeToConvert == typeof(Core.Configuration.VictimPolicy) ? Of<Core.Configuration.VictimPolicy>(options)
        : typeToConvert == typeof(Core.Configuration.BillingMode) ? Of<Core.Configuration.BillingMode>(options)
        : typeToConvert == typeof(Core.Signals.SignalState) ? Of<Core.Signals.SignalState>(options)
        : typeToConvert == typeof(Core.Signals.Forecast.ForecastMode) ? Of<Core.Signals.Forecast.ForecastMode>(options)
        : typeToConvert == typeof(DecisionAction) ? Of<DecisionAction>(options)
        : typeToConvert == typeof(SkipReason) ? Of<SkipReason>(options)
        : typeToConvert == typeof(OperationEventType) ? Of<OperationEventType>(options)
        : throw new NotSupportedException($"no JSON converter for the enum {typeToConvert.Name}: add it to KnownEnumConverter");

    private JsonConverter Of<TEnum>(JsonSerializerOptions options)
        where TEnum : struct, Enum =>
        new JsonStringEnumConverter<TEnum>(namingPolicy).CreateConverter(typeof(TEnum), options);
}

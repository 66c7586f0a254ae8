using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Autoscaler.Linode.Json;

/// <summary>Maps the API's snake_case (or upper-case) strings to enum members and back.</summary>
/// <remarks>The API adds values over time (node status "Unknown" next to "unknown", new event statuses), so an
/// unrecognised string becomes the member numbered 0, which every enum here names <c>Unknown</c>; the raw string
/// stays available on the model where it matters.</remarks>
public static class LinodeEnums
{
    private static readonly ConcurrentDictionary<Type, Dictionary<string, object>> ReadMaps = new();
    private static readonly ConcurrentDictionary<(Type, object), string> WriteNames = new();

    /// <summary>Parses ignoring case and underscores; unknown or empty values give <c>default(TEnum)</c>.</summary>
    public static TEnum Parse<TEnum>(string? value)
        where TEnum : struct, Enum =>
        value is not null && GetReadMap(typeof(TEnum)).TryGetValue(Normalize(value), out var parsed)
            ? (TEnum)parsed
            : default;

    /// <summary>The API's spelling of a member: <c>ShuttingDown</c> → <c>shutting_down</c>.</summary>
    public static string ToApiString<TEnum>(TEnum value)
        where TEnum : struct, Enum => ToApiString(typeof(TEnum), value);

    internal static string ToApiString(Type enumType, object value) =>
        WriteNames.GetOrAdd((enumType, value), static key =>
            JsonNamingPolicy.SnakeCaseLower.ConvertName(Enum.GetName(key.Item1, key.Item2) ?? key.Item2.ToString()!));

    internal static object ParseBoxed(Type enumType, string? value) =>
        value is not null && GetReadMap(enumType).TryGetValue(Normalize(value), out var parsed)
            ? parsed
            : Enum.ToObject(enumType, 0);

    private static Dictionary<string, object> GetReadMap(Type enumType) =>
        ReadMaps.GetOrAdd(enumType, static type =>
        {
            var map = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var name in Enum.GetNames(type))
            {
                map[Normalize(name)] = Enum.Parse(type, name);
            }

            return map;
        });

    private static string Normalize(string value) =>
        value.Replace("_", string.Empty, StringComparison.Ordinal)
            .Replace("-", string.Empty, StringComparison.Ordinal)
            .ToUpperInvariant();
}

/// <summary>System.Text.Json converter for every enum of this library (see <see cref="LinodeEnums"/>).</summary>
public sealed class LinodeEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert)
    {
        ArgumentNullException.ThrowIfNull(typeToConvert);
        return typeToConvert.IsEnum && typeToConvert.Assembly == typeof(LinodeEnumConverterFactory).Assembly;
    }

    // One line per enum instead of MakeGenericType: native AOT compiles only the instantiations it can see.
    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        typeToConvert == typeof(Models.BalancingAlgorithm) ? new Converter<Models.BalancingAlgorithm>()
        : typeToConvert == typeof(Models.CipherSuite) ? new Converter<Models.CipherSuite>()
        : typeToConvert == typeof(Models.ConfigProtocol) ? new Converter<Models.ConfigProtocol>()
        : typeToConvert == typeof(Models.EventStatus) ? new Converter<Models.EventStatus>()
        : typeToConvert == typeof(Models.HealthCheck) ? new Converter<Models.HealthCheck>()
        : typeToConvert == typeof(Models.InstanceStatus) ? new Converter<Models.InstanceStatus>()
        : typeToConvert == typeof(LinodeErrorKind) ? new Converter<LinodeErrorKind>()
        : typeToConvert == typeof(Models.NodeMode) ? new Converter<Models.NodeMode>()
        : typeToConvert == typeof(Models.NodeStatus) ? new Converter<Models.NodeStatus>()
        : typeToConvert == typeof(Models.ProxyProtocol) ? new Converter<Models.ProxyProtocol>()
        : typeToConvert == typeof(Models.SessionStickiness) ? new Converter<Models.SessionStickiness>()
        : typeToConvert == typeof(SortOrder) ? new Converter<SortOrder>()
        : throw new NotSupportedException($"no JSON converter for the enum {typeToConvert.Name}: add it to LinodeEnumConverterFactory");

    private sealed class Converter<TEnum> : JsonConverter<TEnum>
        where TEnum : struct, Enum
    {
        public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String ? LinodeEnums.Parse<TEnum>(reader.GetString()) : default;

        public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) =>
            writer.WriteStringValue(LinodeEnums.ToApiString(value));
    }
}

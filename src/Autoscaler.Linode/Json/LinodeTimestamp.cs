using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Autoscaler.Linode.Json;

/// <summary>The API's timestamp format: UTC, no zone designator, no fraction (<c>2018-01-01T00:01:01</c>).</summary>
public static class LinodeTimestamp
{
    /// <summary>The layout the API writes and expects in filters.</summary>
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss";

    // The API itself sends the first form; the others are accepted because proxies, fixtures and other emulators
    // add a zone or a fraction, and rejecting a whole list over that would be worse than reading it.
    private static readonly string[] AcceptedFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ss",
    ];

    /// <summary>Parses an API timestamp; a value without a zone is UTC.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        if (!string.IsNullOrWhiteSpace(text) && DateTimeOffset.TryParseExact(
                text.Trim(),
                AcceptedFormats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Parses an API timestamp or throws <see cref="FormatException"/>.</summary>
    public static DateTimeOffset Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a Linode timestamp.");

    /// <summary>Formats a moment the way the API does (converted to UTC, seconds precision).</summary>
    public static string ToString(DateTimeOffset value) =>
        value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);
}

/// <summary>Reads and writes <see cref="DateTimeOffset"/> in the API's timestamp format.</summary>
public sealed class LinodeTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"Expected a timestamp string, got {reader.TokenType}.");
        }

        var text = reader.GetString();
        return LinodeTimestamp.TryParse(text, out var value)
            ? value
            : throw new JsonException($"'{text}' is not a Linode timestamp.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(LinodeTimestamp.ToString(value));
    }
}

using System.Text.Json.Serialization;

namespace Autoscaler.Linode.Models;

/// <summary>One page of a collection: <c>{"data":[...],"page":1,"pages":3,"results":300}</c>.</summary>
public sealed record Page<T>
{
    public IReadOnlyList<T> Data { get; init; } = [];

    [JsonPropertyName("page")]
    public int PageNumber { get; init; } = 1;

    public int Pages { get; init; } = 1;

    public int Results { get; init; }
}

/// <summary>One <c>{reason, field}</c> entry of an error body.</summary>
/// <param name="Reason">Human-readable text from the API.</param>
/// <param name="Field">The JSON path of the offending field (dot-separated), when one field is at fault.</param>
public sealed record LinodeApiError(string Reason, string? Field = null)
{
    public override string ToString() => Field is null ? Reason : $"{Field}: {Reason}";
}

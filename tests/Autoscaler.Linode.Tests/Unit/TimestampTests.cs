using System.Text.Json;
using Autoscaler.Linode.Json;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Tests.Unit;

public sealed class TimestampTests
{
    private static readonly DateTimeOffset Expected = new(2018, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Theory]
    [InlineData("2018-01-02T03:04:05")]
    [InlineData("2018-01-02T03:04:05Z")]
    [InlineData("2018-01-02T03:04:05.000")]
    [InlineData("2018-01-02T03:04:05.0000000Z")]
    [InlineData("2018-01-02T05:04:05+02:00")]
    public void TryParse_ApiAndTolerantForms_GiveSameUtcMoment(string text)
    {
        Assert.True(LinodeTimestamp.TryParse(text, out var value));
        Assert.Equal(Expected, value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("01/02/2018 03:04:05")]
    [InlineData("2018-13-02T03:04:05")]
    public void TryParse_Garbage_Fails(string text) => Assert.False(LinodeTimestamp.TryParse(text, out _));

    [Fact]
    public void ToString_AnyOffset_WritesUtcWithoutZoneOrFraction() =>
        Assert.Equal("2018-01-02T03:04:05",
            LinodeTimestamp.ToString(new DateTimeOffset(2018, 1, 2, 4, 4, 5, 678, TimeSpan.FromHours(1))));

    [Fact]
    public void Deserialize_InstanceTimestamps_AreUtc()
    {
        var instance = JsonSerializer.Deserialize<Instance>(
            """{"id":1,"created":"2018-01-02T03:04:05","updated":"2018-01-02T03:04:05Z","status":"running"}""",
            LinodeJson.Options)!;
        Assert.Equal(Expected, instance.Created);
        Assert.Equal(Expected, instance.Updated);
    }

    [Fact]
    public void Deserialize_NullTimestamp_IsNull()
    {
        var backups = JsonSerializer.Deserialize<InstanceBackups>("""{"enabled":false,"last_successful":null}""",
            LinodeJson.Options)!;
        Assert.Null(backups.LastSuccessful);
    }

    [Fact]
    public void Deserialize_BadTimestamp_ThrowsJsonException() =>
        Assert.Throws<JsonException>(() =>
            JsonSerializer.Deserialize<Instance>("""{"created":"not a time"}""", LinodeJson.Options));
}

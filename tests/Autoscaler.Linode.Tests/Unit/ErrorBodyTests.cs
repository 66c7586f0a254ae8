using System.Net;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Tests.Unit;

public sealed class ErrorBodyTests
{
    [Fact]
    public void Parse_SeveralErrors_KeepsEveryReasonAndField()
    {
        var errors = LinodeErrorBody.Parse(
            """{"errors":[{"reason":"Label must be unique","field":"label"},{"reason":"region is required","field":"region"},{"reason":"Bad things"}]}""",
            HttpStatusCode.BadRequest, "application/json");
        Assert.Equal(
            [new LinodeApiError("Label must be unique", "label"), new LinodeApiError("region is required", "region"),
             new LinodeApiError("Bad things")],
            errors);
    }

    [Fact]
    public void Parse_NullOrEmptyField_IsNull()
    {
        var errors = LinodeErrorBody.Parse("""{"errors":[{"reason":"a","field":null},{"reason":"b","field":""}]}""",
            HttpStatusCode.BadRequest, "application/json");
        Assert.All(errors, e => Assert.Null(e.Field));
    }

    [Fact]
    public void Parse_HtmlBody_DescribesStatusAndSnippet()
    {
        var error = Assert.Single(LinodeErrorBody.Parse("<html><body>Bad gateway\r\n</body></html>",
            HttpStatusCode.BadGateway, "text/html"));
        Assert.Contains("502", error.Reason, StringComparison.Ordinal);
        Assert.Contains("text/html", error.Reason, StringComparison.Ordinal);
        Assert.Contains("Bad gateway", error.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Reason);
    }

    [Fact]
    public void Parse_LongBody_IsTruncated()
    {
        var error = Assert.Single(LinodeErrorBody.Parse(new string('x', 5000), HttpStatusCode.InternalServerError, null));
        Assert.True(error.Reason.Length < 300, error.Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"errors":[]}""")]
    [InlineData("""{"errors":"nope"}""")]
    [InlineData("[1,2]")]
    public void Parse_NoUsableErrors_GivesOneDescribingTheStatus(string body)
    {
        var error = Assert.Single(LinodeErrorBody.Parse(body, HttpStatusCode.NotFound, "application/json"));
        Assert.Contains("404", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400, """{"errors":[{"reason":"Linode busy."}]}""", typeof(LinodeBusyException), LinodeErrorKind.Busy)]
    [InlineData(400, """{"errors":[{"reason":"x","field":"y"}]}""", typeof(LinodeValidationException), LinodeErrorKind.Validation)]
    [InlineData(401, """{"errors":[{"reason":"Invalid Token"}]}""", typeof(LinodeUnauthorizedException), LinodeErrorKind.Unauthorized)]
    [InlineData(403, """{"errors":[{"reason":"Unauthorized"}]}""", typeof(LinodeForbiddenException), LinodeErrorKind.Forbidden)]
    [InlineData(404, """{"errors":[{"reason":"Not found"}]}""", typeof(LinodeNotFoundException), LinodeErrorKind.NotFound)]
    [InlineData(429, """{"errors":[{"reason":"Too many requests"}]}""", typeof(LinodeRateLimitedException), LinodeErrorKind.RateLimited)]
    [InlineData(500, "oops", typeof(LinodeServerException), LinodeErrorKind.ServerError)]
    [InlineData(503, "", typeof(LinodeServerException), LinodeErrorKind.ServerError)]
    [InlineData(409, "", typeof(LinodeApiException), LinodeErrorKind.Other)]
    public void ToException_ByStatus_GivesTypedException(int status, string body, Type expectedType, LinodeErrorKind kind)
    {
        var errors = LinodeErrorBody.Parse(body, (HttpStatusCode)status, "application/json");
        var exception = LinodeErrorBody.ToException((HttpStatusCode)status, "GET", "/v4/x", errors, RateLimitInfo.None,
            attempts: 1, maintenance: false);
        Assert.IsType(expectedType, exception);
        Assert.Equal(kind, exception.Kind);
        Assert.Equal(status, (int)exception.StatusCode);
        Assert.Contains("GET /v4/x", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToException_ValidationMessage_ListsFieldsAndAttempts()
    {
        var errors = LinodeErrorBody.Parse(
            """{"errors":[{"reason":"Label must be unique","field":"label"},{"reason":"region is required","field":"region"}]}""",
            HttpStatusCode.BadRequest, "application/json");
        var exception = LinodeErrorBody.ToException(HttpStatusCode.BadRequest, "POST", "/v4/linode/instances", errors,
            RateLimitInfo.None, attempts: 3, maintenance: false);
        Assert.Equal(
            "Linode API POST /v4/linode/instances failed with 400 BadRequest after 3 attempts: label: Label must be unique; region: region is required",
            exception.Message);
        Assert.Equal(["region is required"], exception.ReasonsFor("region"));
    }

    [Fact]
    public void Redact_TokenEchoedByServer_IsReplaced()
    {
        const string token = "abc123secretTOKEN";
        var errors = LinodeErrorBody.Redact(
            [new LinodeApiError($"Token {token} is invalid", $"x.{token}")], token);
        Assert.DoesNotContain(token, errors[0].Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(token, errors[0].Field!, StringComparison.Ordinal);
        Assert.Contains("***", errors[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RateLimitInfo_Headers_AreParsed()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.Add("X-RateLimit-Limit", "800");
        response.Headers.Add("X-RateLimit-Remaining", "0");
        response.Headers.Add("X-RateLimit-Reset", "1700000000");
        response.Headers.Add("Retry-After", "7");
        var info = RateLimitInfo.From(response.Headers, DateTimeOffset.UnixEpoch);
        Assert.Equal(800, info.Limit);
        Assert.Equal(0, info.Remaining);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), info.Reset);
        Assert.Equal(TimeSpan.FromSeconds(7), info.RetryAfter);
    }

    [Fact]
    public void RateLimitInfo_DateRetryAfter_IsRelativeToNow()
    {
        var now = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.Add("Retry-After", now.AddSeconds(12).ToString("R"));
        Assert.Equal(TimeSpan.FromSeconds(12), RateLimitInfo.From(response.Headers, now).RetryAfter);
    }

    [Fact]
    public void RateLimitInfo_GarbageHeaders_AreIgnored()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("X-RateLimit-Limit", "lots");
        response.Headers.TryAddWithoutValidation("X-RateLimit-Reset", "-5");
        Assert.Same(RateLimitInfo.None, RateLimitInfo.From(response.Headers, DateTimeOffset.UnixEpoch));
    }
}

using Microsoft.Extensions.Options;

namespace Autoscaler.Linode.Tests.Unit;

public sealed class OptionsTests
{
    private const string Token = "tok-0123456789abcdef";

    [Fact]
    public void Validate_DefaultsWithToken_HasNoErrors() =>
        Assert.Empty(new LinodeClientOptions { Token = Token }.Validate());

    [Fact]
    public void Validate_ManyProblems_ReportsEveryOne()
    {
        var options = new LinodeClientOptions
        {
            BaseUrl = "ftp://example.com",
            Token = "",
            AttemptTimeout = TimeSpan.Zero,
            MaxRetries = -1,
            PageSize = 10,
            MaxRetryAfter = TimeSpan.FromSeconds(-1),
            UserAgent = " ",
        };
        var errors = options.Validate();
        Assert.Contains(errors, e => e.StartsWith("BaseUrl:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Token:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("AttemptTimeout:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("MaxRetries:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("PageSize:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("MaxRetryAfter:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("UserAgent:", StringComparison.Ordinal));
        Assert.Equal(7, errors.Count);
    }

    [Fact]
    public void Validate_TotalShorterThanAttempt_IsReported() =>
        Assert.Contains(new LinodeClientOptions
        {
            Token = Token,
            AttemptTimeout = TimeSpan.FromSeconds(10),
            TotalTimeout = TimeSpan.FromSeconds(5),
        }.Validate(), e => e.Contains("shorter than AttemptTimeout", StringComparison.Ordinal));

    [Fact]
    public void Validate_TokenWithNewline_ReportsWithoutEchoingIt()
    {
        var errors = new LinodeClientOptions { Token = "secret-part\nX-Evil: 1" }.Validate();
        var error = Assert.Single(errors);
        Assert.DoesNotContain("secret-part", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://example.com/v4")]
    [InlineData("http://10.0.0.1/v4")]
    public void Validate_PlainHttpToRemoteHost_IsRejectedUnlessAllowed(string url)
    {
        Assert.Single(new LinodeClientOptions { Token = Token, BaseUrl = url }.Validate());
        Assert.Empty(new LinodeClientOptions { Token = Token, BaseUrl = url, AllowInsecureHttp = true }.Validate());
    }

    [Theory]
    [InlineData("https://api.linode.com/v4", "https://api.linode.com/v4/")]
    [InlineData("https://api.linode.com/v4/", "https://api.linode.com/v4/")]
    [InlineData("https://api.linode.com/v4beta", "https://api.linode.com/v4beta/")]
    [InlineData("http://127.0.0.1:8081", "http://127.0.0.1:8081/v4/")]
    [InlineData("http://127.0.0.1:8081/", "http://127.0.0.1:8081/v4/")]
    [InlineData("http://localhost:8081/prefix/v4", "http://localhost:8081/prefix/v4/")]
    public void GetApiBaseUri_Variants_EndInVersionAndSlash(string baseUrl, string expected) =>
        Assert.Equal(expected, new LinodeClientOptions { Token = Token, BaseUrl = baseUrl }.GetApiBaseUri().ToString());

    [Theory]
    [InlineData("https://api.linode.com/v4?x=1")]
    [InlineData("https://user:pw@api.linode.com/v4")]
    [InlineData("not a url")]
    public void Validate_BadBaseUrl_IsReported(string baseUrl) =>
        Assert.Contains(new LinodeClientOptions { Token = Token, BaseUrl = baseUrl }.Validate(),
            e => e.StartsWith("BaseUrl:", StringComparison.Ordinal));

    [Fact]
    public void ToString_WithToken_DoesNotContainIt()
    {
        var text = new LinodeClientOptions { Token = Token }.ToString();
        Assert.DoesNotContain(Token, text, StringComparison.Ordinal);
        Assert.Contains("Token = ***", text, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultUserAgent_NamesProjectAndVersion() =>
        Assert.Matches(@"^linode-autoscaler/\d+\.\d+\.\d+", LinodeClientOptions.DefaultUserAgent);

    [Fact]
    public void ThrowIfInvalid_Invalid_ThrowsWithEveryFailure()
    {
        var exception = Assert.Throws<OptionsValidationException>(
            () => new LinodeClientOptions { Token = "", PageSize = 1000 }.ThrowIfInvalid());
        Assert.Equal(2, exception.Failures.Count());
    }

    [Fact]
    public void Create_InvalidOptions_ThrowsBeforeAnyRequest() =>
        Assert.Throws<OptionsValidationException>(() => LinodeClient.Create(new LinodeClientOptions()));
}

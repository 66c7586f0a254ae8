using Autoscaler.Service.Storage;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests;

public sealed class PostgresAddressTests
{
    [Fact]
    public void TryParse_Url_ReadsEveryPartAndRedactsThePassword()
    {
        Assert.True(PostgresAddress.TryParse("postgres://app:s3cr%40t@db.example:15432/autoscaler?sslmode=require", out var b, out var error), error);
        Assert.Equal(("db.example", 15432, "app", "s3cr@t", "autoscaler"), (b!.Host, b.Port, b.Username, b.Password, b.Database));
        Assert.Equal(Npgsql.SslMode.Require, b.SslMode);
        Assert.Equal("postgres://app@db.example:15432/autoscaler", PostgresAddress.Redacted(b));
    }

    [Fact]
    public void TryParse_KeyValue_Accepted()
    {
        Assert.True(PostgresAddress.TryParse("Host=127.0.0.1;Port=5433;Username=app;Password=pw;Database=a", out var b, out _));
        Assert.Equal(5433, b!.Port);
    }

    [Theory]
    [InlineData("postgres://app:hunter2@/autoscaler", "host")]
    [InlineData("postgres://hunter2@db.example/", "database")]
    [InlineData("postgres://app:hunter2@db.example/a?sslmode=hunter2", "key=value")]
    [InlineData("postgres://app:hunter2@db.example/a?password=hunter2", "unknown parameter 'password'")]
    [InlineData("Host=db;Password=hunter2;Bogus=hunter2", "key=value")]
    public void TryParse_Invalid_ErrorNamesTheProblemNeverThePassword(string url, string expected)
    {
        Assert.False(PostgresAddress.TryParse(url, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_WrongPassword_ErrorNamesTheDatabaseNotThePassword()
    {
        var url = await SharedPostgres.NewDatabaseAsync("pw");
        var wrong = url.Replace("autoscaler:", "autoscaler:hunter2", StringComparison.Ordinal);
        var ex = await Assert.ThrowsAsync<IOException>(() => PostgresStore.OpenAsync(wrong));
        Assert.Contains("postgres://autoscaler@127.0.0.1", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.ToString(), StringComparison.Ordinal);
    }
}

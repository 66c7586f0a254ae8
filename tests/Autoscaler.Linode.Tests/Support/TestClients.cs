using Microsoft.Extensions.Logging;

namespace Autoscaler.Linode.Tests.Support;

internal static class TestClients
{
    public const string Token = "test-token-5f1c0b9e7d2a4c6b8e0f";

    /// <summary>Generous for a loaded CI machine; retries fast so tests stay quick.</summary>
    public static LinodeClientOptions Options(string baseUrl, Action<LinodeClientOptions>? configure = null)
    {
        var options = new LinodeClientOptions
        {
            BaseUrl = baseUrl,
            Token = Token,
            AttemptTimeout = TimeSpan.FromSeconds(30),
            TotalTimeout = TimeSpan.FromMinutes(2),
            MaxRetries = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
            MaxRetryAfter = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return options;
    }

    public static StandaloneLinodeClient Create(string baseUrl, Action<LinodeClientOptions>? configure = null,
        TimeProvider? time = null, ILoggerFactory? loggerFactory = null) =>
        LinodeClient.Create(Options(baseUrl, configure), time, loggerFactory);

    /// <summary>Polls until the condition holds (never a fixed sleep), failing after a generous deadline.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>Polls an asynchronous condition until it holds, failing after a generous deadline.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            try
            {
                await Task.Delay(10, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }
        }
    }
}

using System.Globalization;

namespace Reliability.Tests.Support;

/// <summary>Short forms for <c>make test</c>, long forms for <c>make soak</c>: the environment decides.</summary>
internal static class Soak
{
    /// <summary><c>SOAK_ITERATIONS</c> (set by <c>make soak</c>, 50 there); unset means the short CI form.</summary>
    public static int? Requested { get; } = int.TryParse(Environment.GetEnvironmentVariable("SOAK_ITERATIONS"), NumberStyles.None,
        CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    public static bool IsSoak => Requested is not null;

    /// <summary>Kill -9 iterations: 5 in CI, <c>SOAK_ITERATIONS</c> in a soak.</summary>
    public static int CrashIterations => Requested ?? 5;

    /// <summary><c>RELIABILITY_SEED</c> replays a run (every test prints the seed it used); otherwise a fresh one.</summary>
    public static int Seed(string test)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_SEED"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed))
        {
            return seed;
        }

        return Random.Shared.Next(1, int.MaxValue) ^ test.Length;
    }
}

/// <summary>A temporary folder removed on dispose (a run's config, journal and logs live there).</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autoscaler-reliability", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        // RELIABILITY_KEEP=1 keeps the config, the journal and every serve log for a look afterwards.
        if (Environment.GetEnvironmentVariable("RELIABILITY_KEEP") == "1")
        {
            return;
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

internal static class Wait
{
    /// <summary>Polls until <paramref name="condition"/> returns null (converged) or the deadline passes; then fails
    /// with what was wrong last. Never a fixed sleep: a loaded machine only makes it take longer.</summary>
    public static async Task UntilAsync(Func<Task<string?>> condition, string what, TimeSpan timeout, TimeSpan? every = null)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        string? last = "not checked";
        while (true)
        {
            try
            {
                last = await condition();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Autoscaler.Linode.LinodeException)
            {
                last = $"{e.GetType().Name}: {e.Message}";
            }

            if (last is null)
            {
                return;
            }

            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0} s waiting for {what}: {last}");
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(100));
        }
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, TimeSpan? every = null) =>
        UntilAsync(async () => await condition() ? null : "not yet", what, timeout, every);
}

/// <summary>Seconds on the sandbox's monotonic clock, for reports and for comparing with the proxy's exchanges and the
/// serve logs' lines.</summary>
internal static class Clock
{
    public static double Now => Autoscaler.Sandbox.SandboxClock.Now;
}

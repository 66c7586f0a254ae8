using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Workload.Tests;

/// <summary>Starts the real Workload in-process on free loopback ports.</summary>
internal static partial class WorkloadHarness
{
    public static async Task<WorkloadApp> StartAsync(
        TimeProvider time, int vcpus = 1, int workMs = 50, int queue = 64, CpuMode mode = CpuMode.Virtual)
    {
        var app = WorkloadApp.Build(
            new WorkloadOptions
            {
                Address = IPAddress.Loopback,
                Port = 0,
                MetricsPort = 0,
                Vcpus = vcpus,
                WorkMs = workMs,
                Queue = queue,
                Mode = mode,
            },
            time,
            logging => logging.ClearProviders());
        await app.StartAsync();
        return app;
    }

    public static HttpClient Client() => new(new SocketsHttpHandler { UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Polls a condition (real time) so tests wait for real things without fixed sleeps.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(deadline) > TimeSpan.FromSeconds(seconds))
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Parses the text exposition format into "name{labels}" → value.</summary>
    public static Dictionary<string, double> ParseMetrics(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: '{line}'");
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            samples[match.Groups["series"].Value] = value;
        }

        return samples;
    }

    public static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient client, WorkloadApp app) =>
        ParseMetrics(await client.GetStringAsync(app.MetricsUri));

    [GeneratedRegex("""^(?<series>[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (?<value>\S+)$""")]
    private static partial Regex SampleLine();
}

using System.CommandLine;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Autoscaler.Cli.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Cli.Tests;

/// <summary>The simulate command run in-process, temporary folders, and the repository's files.</summary>
internal static class SimulateHarness
{
    public static Task<(int ExitCode, string Output, string Error)> SimulateAsync(params string[] args) => SimulateAsync(null, args);

    public static async Task<(int ExitCode, string Output, string Error)> SimulateAsync(HttpClient? http, params string[] args)
    {
        var root = new RootCommand { SimulateCommand.Create(TimeProvider.System, http) };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(["simulate", .. args]).InvokeAsync(
            new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null }, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>The repository's root, found from this source file (tests run from bin/).</summary>
    public static string RepoRoot([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", ".."));

    public static string ExampleConfig => Path.Combine(RepoRoot(), "examples", "simulate.yaml");

    public static string NasaJuly => Path.Combine(RepoRoot(), "tests", "Autoscaler.Cli.Tests", "SimulateData", "nasa_http_1995_jul01-28_1min.csv.gz");

    /// <summary>A pool like the example's, with the given type and extra YAML lines under the pool.</summary>
    public static string Config(TempDir dir, string type = "g6-standard-1", string signals = "      - target_tracking: { prometheus: http://127.0.0.1:9090, query: pool_cpu, target: 60 }", string pools = "")
    {
        var path = Path.Combine(dir.Path, "autoscaler.yaml");
        File.WriteAllText(path, $"""
            engine: {"{ evaluation_interval: 15s }"}
            pools:
              web:
                region: us-east
                type: {type}
                image: linode/debian12
                min: 1
                max: 8
                nodebalancer: {"{ label: web-nb, port: 80 }"}
                health: {"{ grace: 120s }"}
                scale_up: {"{ cooldown: 0s }"}
                scale_down: {"{ cooldown: 60s }"}
                signals:
            {signals}
            {pools}
            """);
        return path;
    }

    /// <summary>A CSV trace of <paramref name="rates"/>, one a minute.</summary>
    public static string Trace(TempDir dir, IEnumerable<double> rates)
    {
        var path = Path.Combine(dir.Path, "trace.csv");
        File.WriteAllLines(path, rates.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"{i * 60},{r}")).Prepend("t_seconds,requests_per_second"));
        return path;
    }

    public static JsonDocument ReadReport(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, SimulateCommand.ReportFile)));

    public static JsonElement Policy(JsonDocument report, string name) =>
        name == "oracle" ? report.RootElement.GetProperty("oracle") : report.RootElement.GetProperty("policies").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);
}

/// <summary>A folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("simulate-test-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A loopback stand-in for Prometheus' range query API: <see cref="Answer"/> gives each request's status and
/// body from its query, start, end and step.</summary>
internal sealed class PrometheusStub : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PrometheusStub(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public List<(string Query, double Start, double End, double Step)> Requests { get; } = [];

    public required Func<string, double, double, double, (int Status, string Body)> Answer { get; init; }

    public static async Task<PrometheusStub> StartAsync(Func<string, double, double, double, (int Status, string Body)> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{Autoscaler.Load.Tests.LoadHarness.UniqueLoopback()}:0");
        var app = builder.Build();
        PrometheusStub? stub = null;
        app.MapGet("/api/v1/query_range", (HttpContext context) =>
        {
            var q = context.Request.Query;
            double D(string key) => double.Parse(q[key].ToString(), CultureInfo.InvariantCulture);
            var (query, start, end, step) = (q["query"].ToString(), D("start"), D("end"), D("step"));
            lock (stub!.Requests)
            {
                stub.Requests.Add((query, start, end, step));
            }

            var (status, body) = stub.Answer(query, start, end, step);
            return Results.Text(body, "application/json", statusCode: status);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub = new PrometheusStub(app, new Uri(address)) { Answer = answer };
        return stub;
    }

    /// <summary>A successful matrix answer with one series whose value at time t is <paramref name="value"/>(t).</summary>
    public static string Matrix(double start, double end, double step, Func<double, double> value)
    {
        var points = new List<string>();
        for (var t = start; t <= end + 1e-6; t += step)
        {
            points.Add(string.Create(CultureInfo.InvariantCulture, $"[{t:0.###},\"{value(t):0.######}\"]"));
        }

        return $$$"""{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[{{{string.Join(",", points)}}}]}]}}""";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

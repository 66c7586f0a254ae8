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

    public static JsonElement Policy(JsonDocument report, string name) => name switch
    {
        "oracle" => report.RootElement.GetProperty("oracle"),
        "oracle-at-target" => report.RootElement.GetProperty("oracleAtTarget"),
        _ => report.RootElement.GetProperty("policies").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name),
    };

    /// <summary>Every result of report.json: the engine's policies, oracle-at-target and the oracle.</summary>
    public static IReadOnlyList<JsonElement> AllPolicies(JsonDocument report) =>
        [.. report.RootElement.GetProperty("policies").EnumerateArray(), Policy(report, "oracle-at-target"), Policy(report, "oracle")];

    /// <summary>
    /// Recomputes every result's bill from instances.csv with this test's own arithmetic and holds report.json to it,
    /// then checks the oracle's promise: no result bills less, and it misses the SLO only where max forbids.
    /// Own arithmetic: a life (deleted_s, or the trace's end while alive) is billed ceil(seconds / period) periods, at
    /// least one; each period is charged in the calendar month (UTC) in which it starts, at most the monthly price per
    /// instance per month.
    /// </summary>
    public static void AssertBillsFromInstancesCsv(string dir)
    {
        using var report = ReadReport(dir);
        var root = report.RootElement;
        var start = DateTimeOffset.Parse(root.GetProperty("traceStart").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var endMs = (long)Math.Round(root.GetProperty("minutes").GetDouble() * 60_000);
        var billing = root.GetProperty("billing");
        var periodMs = (long)Math.Round(billing.GetProperty("periodSeconds").GetDouble() * 1000);
        decimal? hourly = billing.GetProperty("hourly").ValueKind == JsonValueKind.Null ? null : billing.GetProperty("hourly").GetDecimal();
        decimal? monthly = billing.GetProperty("monthly").ValueKind == JsonValueKind.Null ? null : billing.GetProperty("monthly").GetDecimal();

        static long? Ms(string field) => field.Length == 0 ? null : (long)Math.Round(decimal.Parse(field, CultureInfo.InvariantCulture) * 1000);
        var bills = new Dictionary<string, (decimal Cost, long Periods, double IdleMs, int Lives)>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Path.Combine(dir, SimulateCommand.InstancesFile)).Skip(1))
        {
            var f = line.Split(',');
            Assert.Equal(6, f.Length);
            var created = Ms(f[2])!.Value;
            var deleted = Ms(f[5]) ?? endMs;
            var periods = Math.Max(1, (deleted - created + periodMs - 1) / periodMs);
            var perMonth = new Dictionary<(int, int), long>();
            for (var j = 0L; j < periods; j++)
            {
                var at = start.AddMilliseconds(created + (j * periodMs)).UtcDateTime;
                perMonth[(at.Year, at.Month)] = perMonth.GetValueOrDefault((at.Year, at.Month)) + 1;
            }

            var cost = perMonth.Values.Sum(n => hourly is { } h ? Math.Min(n * h, monthly ?? decimal.MaxValue) : 0m);
            var serving = Ms(f[3]);
            var served = serving is { } sv ? Math.Max(0, (Ms(f[4]) ?? deleted) - sv) : 0;
            var b = bills.GetValueOrDefault(f[0]);
            bills[f[0]] = (b.Cost + cost, b.Periods + periods, b.IdleMs + ((periods * periodMs) - served), b.Lives + 1);
        }

        var all = AllPolicies(report);
        var oracle = Policy(report, "oracle");
        foreach (var p in all)
        {
            var name = p.GetProperty("name").GetString()!;
            var mine = bills.GetValueOrDefault(name);
            var figures = $"{name}: report {p.GetProperty("billedCost")} USD / {p.GetProperty("billedHours")} h, instances.csv {mine.Cost} USD / {mine.Periods} periods";
            if (hourly is null)
            {
                Assert.Equal(JsonValueKind.Null, p.GetProperty("billedCost").ValueKind);
            }
            else
            {
                Assert.True(mine.Cost == p.GetProperty("billedCost").GetDecimal(), figures);
            }

            Assert.Equal(mine.Periods * periodMs / 3_600_000.0, p.GetProperty("billedHours").GetDouble(), 3);
            Assert.Equal(mine.IdleMs / 3_600_000.0, p.GetProperty("paidIdleHours").GetDouble(), 2);
            // The oracle is the cheapest bill that misses no minute: a policy that lets minutes go over the SLO (the
            // billing hold trades a few for paid hours) may bill less on a short trace, never one that misses none.
            var violations = p.GetProperty("sloViolationMinutes").GetDouble();
            Assert.True(Bill(p) >= Bill(oracle) || violations > 0,
                $"the oracle bills no more than {name}, which missed no minute: {Bill(p)} < {Bill(oracle)}");
        }

        if (oracle.GetProperty("uncoveredSteps").GetInt32() == 0)
        {
            Assert.Equal(0, oracle.GetProperty("sloViolationMinutes").GetDouble());
        }

        double Bill(JsonElement p) => hourly is null ? p.GetProperty("billedHours").GetDouble() : (double)p.GetProperty("billedCost").GetDecimal();
    }
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

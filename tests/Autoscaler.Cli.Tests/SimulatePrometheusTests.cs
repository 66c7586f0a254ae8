using Autoscaler.Simulation;
using static Autoscaler.Cli.Tests.SimulateHarness;

namespace Autoscaler.Cli.Tests;

public sealed class SimulatePrometheusTests
{
    private static readonly DateTimeOffset From = new(2025, 7, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Simulate_PrometheusRangeQuery_BacktestsItsValues()
    {
        await using var prometheus = await PrometheusStub.StartAsync((_, start, end, step) =>
            (200, PrometheusStub.Matrix(start, end, step, t => t - From.ToUnixTimeSeconds() < 3600 ? 1 : 4)));
        using var dir = new TempDir();
        const string query = "sum(rate(http_requests_total{job=\"web\"}[1m]))";

        var (exit, output, error) = await SimulateAsync("--prometheus", prometheus.Url.ToString(), "--query", query,
            "--from", "2025-07-01T00:00:00Z", "--to", "2025-07-01T02:00:00Z", "--step", "60s",
            "--peak-instances", "4", "--config", SimulateHarness.Config(dir), "--report", dir.Path);

        Assert.True(exit == 0, error);
        var request = Assert.Single(prometheus.Requests);
        Assert.Equal((query, From.ToUnixTimeSeconds(), From.ToUnixTimeSeconds() + 7200.0, 60.0), request);
        Assert.Contains($"simulate: {query} from {prometheus.Url}: 121 rows of 60s (0.08 days from 2025-07-01 00:00:00Z)", output, StringComparison.Ordinal);
        using var report = ReadReport(dir.Path);
        Assert.Equal(121, report.RootElement.GetProperty("minutes").GetDouble());
        // The peak (4 requests/s) is scaled to 4 instances at 60 % of 20: 1 instance for the first hour, then 4.
        Assert.Equal((60 + (4 * 61)) / 60.0, Policy(report, "oracle-at-target").GetProperty("instanceHours").GetDouble(), 1);
        AssertBillsFromInstancesCsv(dir.Path);
    }

    [Fact]
    public async Task Fetch_LongRange_IsReadInChunksUnderPrometheusLimit()
    {
        var origin = From.ToUnixTimeSeconds();
        await using var prometheus = await PrometheusStub.StartAsync((_, start, end, step) =>
            (200, PrometheusStub.Matrix(start, end, step, t => (t - origin) / 60)));
        using var http = new HttpClient();
        var points = (2 * PrometheusRangeSource.ChunkPoints) + 500;

        var result = await PrometheusRangeSource.FetchAsync(http, prometheus.Url, "q", From, From + TimeSpan.FromMinutes(points - 1), TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.Null(result.Error);
        Assert.Equal(0, result.MissingSteps);
        Assert.Equal(Enumerable.Range(0, points).Select(i => (double)i), result.Trace!.Rates);
        Assert.Equal(3, prometheus.Requests.Count);
        Assert.All(prometheus.Requests, r => Assert.True((r.End - r.Start) / 60 < 11_000));
        Assert.Equal(origin + (PrometheusRangeSource.ChunkPoints * 60.0), prometheus.Requests[1].Start);
    }

    [Fact]
    public async Task Simulate_StepsWithoutData_CountAsZeroAndAreReported()
    {
        var origin = From.ToUnixTimeSeconds();
        // No sample for the 10 minutes from 00:30 (a scrape outage, or no requests at all).
        await using var prometheus = await PrometheusStub.StartAsync((_, start, end, step) =>
            (200, PrometheusStub.Matrix(start, end, step, t => 2).Replace(string.Join(",", Enumerable.Range(30, 10).Select(m => $"[{origin + (m * 60)},\"2\"]")) + ",", "", StringComparison.Ordinal)));
        using var dir = new TempDir();

        var (exit, output, error) = await SimulateAsync("--prometheus", prometheus.Url.ToString(), "--query", "q",
            "--from", "2025-07-01T00:00:00Z", "--to", "2025-07-01T01:00:00Z", "--scale", "1", "--config", SimulateHarness.Config(dir), "--report", dir.Path);

        Assert.True(exit == 0, error);
        Assert.Contains("10 of 61 steps had no value and count as 0 requests/s", output, StringComparison.Ordinal);
        AssertBillsFromInstancesCsv(dir.Path);
    }

    [Theory]
    [InlineData(200, """{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"pool":"web"},"values":[]},{"metric":{"pool":"api"},"values":[]}]}}""",
        "simulate: the query gives 2 series ({\"pool\":\"web\"}; {\"pool\":\"api\"}); aggregate it to one, e.g. sum(rate(http_requests_total[1m]))")]
    [InlineData(400, """{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}""",
        "simulate: Prometheus refused the query (400, bad_data): 1:5: parse error: unexpected end of input")]
    [InlineData(200, """{"status":"success","data":{"resultType":"vector","result":[]}}""", "simulate: the query gives a vector, not a range vector")]
    [InlineData(502, "<html>bad gateway</html>", "simulate: Prometheus answered 502 Bad Gateway without a JSON body")]
    [InlineData(200, """{"status":"success","data":{"resultType":"matrix","result":[]}}""", "simulate: the query returned no data between 2025-07-01T00:00:00.0000000+00:00")]
    public async Task Simulate_PrometheusProblem_ExplainsIt(int status, string body, string expected)
    {
        await using var prometheus = await PrometheusStub.StartAsync((_, _, _, _) => (status, body));
        using var dir = new TempDir();

        var (exit, output, error) = await SimulateAsync("--prometheus", prometheus.Url.ToString(), "--query", "q",
            "--from", "2025-07-01T00:00:00Z", "--to", "2025-07-01T01:00:00Z", "--scale", "1", "--config", SimulateHarness.Config(dir), "--report", dir.Path);

        Assert.Equal(1, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Simulate_PrometheusDown_SaysItCannotReachIt()
    {
        var url = Autoscaler.Load.Tests.LoadHarness.RefusingEndpoint();
        using var dir = new TempDir();

        var (exit, _, error) = await SimulateAsync("--prometheus", url.ToString(), "--query", "q",
            "--from", "now-1h", "--to", "now", "--scale", "1", "--config", SimulateHarness.Config(dir), "--report", dir.Path);

        Assert.Equal(1, exit);
        Assert.Contains($"simulate: cannot reach Prometheus at {url}", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--prometheus", "ftp://127.0.0.1/", "--query", "q", "--from", "now-1h", "--to", "now" }, "--prometheus must be an http or https URL")]
    [InlineData(new[] { "--prometheus", "http://127.0.0.1:9/", "--from", "now-1h", "--to", "now" }, "--prometheus needs --query PROMQL")]
    [InlineData(new[] { "--prometheus", "http://127.0.0.1:9/", "--query", "q", "--to", "now" }, "--prometheus needs --from TIME")]
    [InlineData(new[] { "--prometheus", "http://127.0.0.1:9/", "--query", "q", "--from", "now", "--to", "now-1h" }, "must be after --from")]
    [InlineData(new[] { "--prometheus", "http://127.0.0.1:9/", "--query", "q", "--from", "now-1h", "--to", "now", "--step", "0" }, "--step '0' is not a positive duration")]
    [InlineData(new[] { "--prometheus", "http://127.0.0.1:9/", "--query", "q", "--from", "now-1h", "--to", "now", "--trace-start", "1h" }, "--trace-start only apply to --trace")]
    public async Task Simulate_BadPrometheusArguments_SaysWhatIsWrong(string[] args, string expected)
    {
        using var dir = new TempDir();

        var (exit, _, error) = await SimulateAsync(["--scale", "1", "--config", SimulateHarness.Config(dir), "--report", dir.Path, .. args]);

        Assert.Equal(2, exit);
        Assert.StartsWith("simulate: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}

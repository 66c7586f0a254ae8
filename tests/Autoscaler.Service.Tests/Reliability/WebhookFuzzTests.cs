using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Autoscaler.Service.Tests.Support;
using Xunit.Abstractions;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>Runs alone: the memory figure is the managed heap of the whole test process.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Reliability, alone";
}

/// <summary>
/// The webhook under ≥ 10,000 generated bad bodies (and ~1,000 odd but valid ones) over real HTTP: every answer is the
/// predicted 400/413 naming the problem (or 200 for the valid ones), none is a 5xx, nothing scales, the engine keeps
/// running and the managed heap does not grow. Reproduce a failure with <c>FUZZ_SEED</c>.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class WebhookFuzzTests(ITestOutputHelper output)
{
    private const int MaxBody = 32 * 1024;
    private const int Broken = 10_000;
    private const int Odd = 1_000;
    private const int DefaultSeed = 20_260_107;
    private const int WarmUp = 300;

    [Fact]
    public async Task Webhook_TenThousandGeneratedBadBodies_OnlyPredicted4xxNoActionMemoryFlat()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;
        var cases = new FuzzBodies(seed, MaxBody).Generate(Broken, Odd);
        Assert.True(cases.Count(c => c.Status != 200) >= 10_000);

        await using var service = await FakeService.StartAsync(dir => TestConfig.Parse($$"""
            linode: { url: "http://127.0.0.1:1/v4", token: {{TestConfig.LinodeToken}} }
            listen: 127.0.0.1:0
            webhook: { auth: { bearer_token: {{TestConfig.WebhookToken}} }, max_body_bytes: {{MaxBody}} }
            engine: { evaluation_interval: 250ms }
            journal: { path: {{dir.File("autoscaler.db")}} }
            pools:
            {{TestConfig.Pool(min: 0, max: 3, extra: "    scale_up: { step: 1, cooldown: 0s }\n    scale_down: { step: 1, cooldown: 0s, drain: 0s }")}}
            """));
        var pool = service.Pools["web"];
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = service.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var failures = new ConcurrentQueue<string>();
        var outcomes = new ConcurrentDictionary<(string Kind, int Status), int>();

        await RunAsync(http, cases.Take(WarmUp), failures, outcomes);
        var cyclesBefore = service.Host.Loop.Cycles;
        var heapBefore = SettledHeap();
        await RunAsync(http, cases.Skip(WarmUp), failures, outcomes);
        var heapAfter = SettledHeap();

        var table = string.Join("\n", outcomes.OrderBy(o => o.Key.Kind, StringComparer.Ordinal).ThenBy(o => o.Key.Status)
            .Select(o => $"  {o.Key.Kind,-20} {o.Key.Status} × {o.Value}"));
        output.WriteLine($"seed {seed}: {cases.Count} bodies ({cases.Count(c => c.Status != 200)} refused, {cases.Count(c => c.Status == 200)} accepted)\n{table}");
        output.WriteLine($"managed heap after warm-up {heapBefore / 1024.0 / 1024:0.0} MiB, after the run {heapAfter / 1024.0 / 1024:0.0} MiB; "
            + $"engine cycles during the run {service.Host.Loop.Cycles - cyclesBefore}; launches {pool.Cloud.Launches}");
        Assert.True(failures.IsEmpty, $"seed {seed}: {failures.Count} unexpected answer(s):\n" + string.Join("\n", failures.Take(15)));

        // Nothing scaled: no launch or removal reached the provider, no scaling decision was taken.
        Assert.DoesNotContain(pool.Calls, c => c is "launch" or "drain" or "remove");
        var counters = service.Host.Engine.GetStatus("web").Counters;
        Assert.Equal(0, counters.ScaleUps);
        Assert.Equal(0, counters.ScaleDowns);
        Assert.True(heapAfter - heapBefore < 50L * 1024 * 1024, $"managed heap grew by {(heapAfter - heapBefore) / 1024.0 / 1024:0.0} MiB");
        Assert.True(service.Host.Loop.Cycles > cyclesBefore, "the engine loop stopped evaluating during the run");

        // The refusals were counted, each under its reason.
        var metrics = await http.GetStringAsync("metrics");
        foreach (var (outcome, counted) in new (string, Func<FuzzCase, bool>)[]
        {
            ("bad_request", c => c.Status == 400 && c.Kind != "wrong_content_type"),
            ("unsupported_media_type", c => c.Kind == "wrong_content_type"),
            ("too_large", c => c.Status == 413),
            ("accepted", c => c.Status == 200),
        })
        {
            var n = cases.Count(counted);
            Assert.Contains($"autoscaler_webhook_requests_total{{outcome=\"{outcome}\"}} {n.ToString(CultureInfo.InvariantCulture)}", metrics, StringComparison.Ordinal);
        }

        // And the service still works: the one body that should scale does.
        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(TestConfig.Notification("PoolCpuHigh", fingerprint: "after-fuzz")) };
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
        using var ok = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        await Wait.UntilAsync(() => pool.Cloud.Launches >= 1, "a launch for the valid notification sent after the fuzz");
    }

    private static async Task RunAsync(HttpClient http, IEnumerable<FuzzCase> cases, ConcurrentQueue<string> failures,
        ConcurrentDictionary<(string, int), int> outcomes)
    {
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (c, ct) =>
        {
            var (status, problem) = await SendAsync(http, c, ct);
            outcomes.AddOrUpdate((c.Kind, status), 1, (_, n) => n + 1);
            if (problem is not null && failures.Count < 100)
            {
                failures.Enqueue($"{problem}\n    {c.Describe()}");
            }
        });
    }

    /// <summary>Sends one case; the status and what was wrong with the answer, if anything.</summary>
    private static async Task<(int Status, string? Problem)> SendAsync(HttpClient http, FuzzCase c, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "hook");
        HttpContent content = c.Chunked ? new StreamContent(new UnseekableStream(c.Body)) : new ByteArrayContent(c.Body);
        if (c.ContentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }

        request.Content = content;
        request.Headers.TransferEncodingChunked = c.Chunked ? true : null;
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            return (0, $"no answer: {ex.Message}");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(ct);
            if (status != c.Status)
            {
                return (status, $"want {c.Status}, got {status}: {Cut(text)}");
            }

            if (text.Length > 8 * 1024)
            {
                return (status, $"an answer of {text.Length} characters");
            }

            JsonElement json;
            try
            {
                json = JsonDocument.Parse(text).RootElement;
            }
            catch (JsonException)
            {
                return (status, $"the answer is not JSON: {Cut(text)}");
            }

            if (status == 200)
            {
                return (status, json.GetProperty("status").GetString() == "ok" ? null : $"200 without status ok: {Cut(text)}");
            }

            if (!json.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.String)
            {
                return (status, $"no error message: {Cut(text)}");
            }

            var said = error.GetString() + "\n" + (json.TryGetProperty("problems", out var problems) && problems.ValueKind == JsonValueKind.Array
                ? string.Join("\n", problems.EnumerateArray().Select(p => p.GetString()))
                : "");
            var missing = c.Expect.Where(e => !said.Contains(e, StringComparison.Ordinal)).ToArray();
            return (status, missing.Length == 0 ? null : $"the answer does not say {string.Join(" / ", missing.Select(m => "'" + m + "'"))}: {Cut(said)}");
        }
    }

    /// <summary>Managed heap after a full, compacting collection.</summary>
    private static long SettledHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Cut(string s) => s.Length <= 400 ? s : s[..400] + "…";

    /// <summary>Without a length, so the client sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

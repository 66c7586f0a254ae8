using System.Globalization;
using System.Text;
using Autoscaler.Core.Alerts;
using Autoscaler.Service.Commands;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Jenkins;
using Autoscaler.Service.Tests.Jenkins;
using Autoscaler.Service.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autoscaler.Service.Tests.Security;

/// <summary>
/// Issue 15's attacks on what a webhook notification sets off, each shown failing: fingerprints invented to start
/// unbounded processes (finding 1), megabyte alerts filling memory (2), a Jenkins answer luring the credentials to
/// another host or crashing the run (3), a command reading the service's secrets or failing on E2BIG (4).
/// </summary>
public sealed class CommandHardeningTests
{
    private static async Task<double> MetricAsync(Prometheus.CollectorRegistry registry, string series)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        var text = Encoding.UTF8.GetString(stream.ToArray());
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static byte[] Body(string notification) => Encoding.UTF8.GetBytes(notification);

    [Fact]
    public async Task Dispatch_200DistinctFingerprints_NeverMoreRunsThanTheCommandAndGlobalCaps()
    {
        using var dir = new TempDir();
        var script = dir.File("hold.sh");
        await File.WriteAllTextAsync(script, $"touch \"{dir.Path}/started.$$\"\nwhile [ ! -f \"{dir.Path}/release\" ]; do sleep 0.05; done\n");
        // max (per fingerprint) is 0 = unlimited, as in the review: only the new caps stand in the way.
        CommandConfig[] commands =
        [
            new() { Cmd = "/bin/sh", Args = [script], Label = "a", MaxConcurrent = 2, DedupeWindow = TimeSpan.Zero },
            new() { Cmd = "/bin/sh", Args = [script], Label = "b", MaxConcurrent = 50, DedupeWindow = TimeSpan.Zero },
        ];
        var registry = Prometheus.Metrics.NewCustomRegistry();
        using var dispatcher = new CommandDispatcher(commands, registry, TimeProvider.System, NullLogger<CommandDispatcher>.Instance, maxConcurrent: 5);

        for (var i = 0; i < 200; i++)
        {
            Assert.True(dispatcher.Enqueue(Body(TestConfig.Notification("PoolCpuHigh", fingerprint: "fp" + i.ToString(CultureInfo.InvariantCulture)))));
        }

        // a: 2 run, 198 over its own cap; b: 3 run (the global 5 is then full), 197 over the global cap.
        await Wait.UntilAsync(async () => await MetricAsync(registry, "autoscaler_command_skips_total{command=\"b\",reason=\"max_concurrent_total\"}") >= 197,
            "every notification dispatched");
        Assert.Equal(198, await MetricAsync(registry, "autoscaler_command_skips_total{command=\"a\",reason=\"max_concurrent\"}"));
        Assert.Equal(5, dispatcher.Running);
        await Wait.UntilAsync(() => Directory.GetFiles(dir.Path, "started.*").Length == 5, "the five runs started");
        Assert.Equal(5, Directory.GetFiles(dir.Path, "started.*").Length);

        await File.WriteAllTextAsync(dir.File("release"), "");
        await Wait.UntilAsync(() => dispatcher.Running == 0, "the runs to end");
        Assert.Equal(2, await MetricAsync(registry, "autoscaler_command_runs_total{command=\"a\",result=\"succeeded\"}"));
        Assert.Equal(3, await MetricAsync(registry, "autoscaler_command_runs_total{command=\"b\",result=\"succeeded\"}"));
    }

    [Fact]
    public async Task Run_ServiceHoldsSecretsAnd140KbAnnotation_CommandSeesNeitherSecretNorE2big()
    {
        using var dir = new TempDir();
        var script = dir.File("env.sh");
        await File.WriteAllTextAsync(script, $"env > \"{dir.Path}/env.tmp\" && mv \"{dir.Path}/env.tmp\" \"{dir.Path}/env.txt\"\n");
        var before = Environment.GetEnvironmentVariable("LINODE_TOKEN");
        Environment.SetEnvironmentVariable("LINODE_TOKEN", "linode-secret-in-the-service-env");
        Environment.SetEnvironmentVariable("AS_HARDEN_WEBHOOK_TOKEN", "hook-secret-in-the-service-env");
        Environment.SetEnvironmentVariable("AS_HARDEN_PASSED", "allowed-value");
        try
        {
            CommandConfig[] commands = [new() { Cmd = "/bin/sh", Args = [script], Label = "env", PassEnv = ["AS_HARDEN_PASSED"] }];
            var registry = Prometheus.Metrics.NewCustomRegistry();
            using var dispatcher = new CommandDispatcher(commands, registry, TimeProvider.System, NullLogger<CommandDispatcher>.Instance);
            // 140 KB in one annotation: too long for one execve string (128 KiB), which failed the start with E2BIG.
            var big = new string('x', 140 * 1024);
            var body = TestConfig.Notification("PoolCpuHigh", fingerprint: "big")
                .Replace("\"commonAnnotations\":{}", "\"commonAnnotations\":{\"big\":\"" + big + "\"}", StringComparison.Ordinal);
            dispatcher.Enqueue(Body(body));

            await Wait.UntilAsync(() => File.Exists(dir.File("env.txt")), "the command's environment");
            var lines = await File.ReadAllLinesAsync(dir.File("env.txt"));
            var env = lines.Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => l.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);
            Assert.False(env.ContainsKey("LINODE_TOKEN"), "the Linode token reached the command");
            Assert.DoesNotContain(lines, l => l.Contains("secret-in-the-service-env", StringComparison.Ordinal));
            Assert.Equal("allowed-value", env["AS_HARDEN_PASSED"]);
            Assert.True(env.ContainsKey("PATH"));
            Assert.Equal("firing", env["AMX_STATUS"]);
            Assert.True(env["AMX_ANNOTATION_big"].Length < CommandEnvironment.MaxStringBytes, "the long value was cut");
            Assert.True(env["AMX_ANNOTATION_big"].Length > 100 * 1024, "as much as fits was kept");
            Assert.Contains("AMX_ANNOTATION_big", env["AMX_TRUNCATED"], StringComparison.Ordinal);
            await Wait.UntilAsync(async () => await MetricAsync(registry, "autoscaler_command_runs_total{command=\"env\",result=\"succeeded\"}") >= 1, "a succeeded run");
            Assert.Equal(0, await MetricAsync(registry, "autoscaler_command_runs_total{command=\"env\",result=\"start_failed\"}"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("LINODE_TOKEN", before);
            Environment.SetEnvironmentVariable("AS_HARDEN_WEBHOOK_TOKEN", null);
            Environment.SetEnvironmentVariable("AS_HARDEN_PASSED", null);
        }
    }

    [Fact]
    public void Build_ManyLongValues_EachWithinExecveAndTheWholeWithinBudget()
    {
        var amx = Enumerable.Range(0, 20).ToDictionary(i => "AMX_ANNOTATION_a" + i.ToString(CultureInfo.InvariantCulture), _ => new string('é', 100_000));

        var (env, truncated) = CommandEnvironment.Build(new CommandConfig { Cmd = "/bin/true" }, amx, _ => null);

        Assert.All(env, kv => Assert.True(Encoding.UTF8.GetByteCount(kv.Key) + Encoding.UTF8.GetByteCount(kv.Value) + 2 <= CommandEnvironment.MaxStringBytes, kv.Key));
        Assert.True(env.Sum(kv => Encoding.UTF8.GetByteCount(kv.Key) + Encoding.UTF8.GetByteCount(kv.Value) + 2) <= CommandEnvironment.MaxTotalBytes);
        Assert.NotEmpty(truncated);
        Assert.Equal(CommandEnvironment.DefaultPath, env["PATH"]);
    }

    private static JenkinsTarget Target(FakeJenkins j) => new()
    {
        Url = j.BaseAddress,
        User = FakeJenkins.User,
        ApiToken = FakeJenkins.Token,
        Job = "scale",
        PollInterval = TimeSpan.FromMilliseconds(10),
        RetryDelay = TimeSpan.FromMilliseconds(10),
    };

    private static async Task<JenkinsBuildResult> RunJenkinsAsync(JenkinsTarget target)
    {
        // As the dispatcher builds it: no automatic redirect.
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var client = new JenkinsClient(http, TimeProvider.System, NullLogger<JenkinsClient>.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await client.RunAsync(target, new Dictionary<string, string>(), cts.Token);
    }

    [Theory]
    [InlineData("queue item")]
    [InlineData("build")]
    public async Task Jenkins_AnswerNamesAnotherHost_CredentialsNeverReachIt(string lure)
    {
        await using var j = await FakeJenkins.StartAsync();
        await using var thief = await FakeJenkins.StartAsync();
        if (lure == "queue item")
        {
            j.QueueItemAt = new Uri(thief.BaseAddress, "queue/item/7/");
        }
        else
        {
            j.BuildUrlAt = new Uri(thief.BaseAddress, "job/scale/12/").AbsoluteUri;
        }

        var ex = await Assert.ThrowsAsync<JenkinsException>(() => RunJenkinsAsync(Target(j)));

        Assert.Contains("not followed", ex.Message, StringComparison.Ordinal);
        Assert.Contains(lure, ex.Message, StringComparison.Ordinal);
        Assert.Empty(thief.Seen);
        Assert.DoesNotContain(FakeJenkins.Token, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("array")]
    [InlineData("number-url")]
    [InlineData("string-executable")]
    public async Task Jenkins_QueueItemOfUnexpectedShape_JenkinsExceptionNotAnEscapingOne(string shape)
    {
        await using var j = await FakeJenkins.StartAsync();
        j.QueueAnswer = shape switch
        {
            "array" => new[] { 1, 2 },
            "number-url" => new { executable = new { url = 42 } },
            _ => (object)new { executable = "soon" },
        };

        var ex = await Assert.ThrowsAsync<JenkinsException>(() => RunJenkinsAsync(Target(j)));
        Assert.Contains("queue/item/7/api/json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_JenkinsAnswersOddShape_RunLoggedAndCountedAsFailed()
    {
        await using var j = await FakeJenkins.StartAsync();
        j.QueueAnswer = new[] { "not", "an", "object" };
        var command = $$"""commands: [ { jenkins: { url: "{{j.BaseAddress}}", user: {{FakeJenkins.User}}, api_token: {{FakeJenkins.Token}}, job: scale, poll_interval: 50ms } } ]""";
        await using var s = await FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(max: 6), extraTop: command));

        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(TestConfig.Notification("PoolCpuHigh")) };
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
        using var response = await s.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();

        await Wait.UntilAsync(async () => (await s.Http.GetStringAsync("metrics")).Contains(
            "autoscaler_command_runs_total{command=\"0:jenkins scale\",result=\"failed\"} 1", StringComparison.Ordinal), "the failed run counted");
    }

    [Theory]
    [InlineData("http://ci.example.com/", false)]
    [InlineData("http://10.0.0.5:8080/", false)]
    [InlineData("https://ci.example.com/", true)]
    [InlineData("http://127.0.0.1:8080/", true)]
    public void Parse_JenkinsUrl_PlainHttpOnlyToLoopback(string url, bool valid)
    {
        var result = ServiceSchema.Parse($$"""
            linode: { url: "http://127.0.0.1:1/v4", token: t }
            commands: [ { jenkins: { url: "{{url}}", user: u, api_token: s, job: scale } } ]
            pools:
            {{TestConfig.Pool()}}
            """, new Dictionary<string, string>());

        Assert.True(valid == result.IsValid, string.Join("\n", result.Errors));
        if (!valid)
        {
            Assert.Contains("must be https (plain http only to a loopback Jenkins)", string.Join("\n", result.Errors), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Record_OneMegabyteAnnotation_CutToTheCapAndMarked()
    {
        var store = new AlertStateStore(TimeProvider.System);
        var huge = new string('a', 1024 * 1024);

        var outcome = store.Record(Alert("fp", labels: [], annotations: new() { ["description"] = huge, ["summary"] = "short" }));

        Assert.Equal(AlertRecordOutcome.Added, outcome);
        var kept = store.Get("fp")!.Annotations;
        Assert.True(kept.Sum(kv => Encoding.UTF8.GetByteCount(kv.Key) + Encoding.UTF8.GetByteCount(kv.Value)) <= new AlertStoreOptions().MaxAnnotationBytes);
        Assert.EndsWith(AlertStateStore.TruncationMarker, kept["description"], StringComparison.Ordinal);
        Assert.Equal(1, store.Truncated);
        Assert.True(store.Bytes <= 64 * 1024 + 100);
    }

    [Fact]
    public void Record_OneMegabyteLabel_Refused()
    {
        var store = new AlertStateStore(TimeProvider.System);

        var outcome = store.Record(Alert("fp", labels: new() { ["instance"] = new string('b', 1024 * 1024) }, annotations: []));

        Assert.Equal(AlertRecordOutcome.Rejected, outcome);
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.Bytes);
    }

    [Fact]
    public void Record_100AlertsOf60KbWithA1MbBudget_HoldsAtMostTheBudget()
    {
        var store = new AlertStateStore(TimeProvider.System, new AlertStoreOptions { MaxTotalBytes = 1024 * 1024 });
        var outcomes = Enumerable.Range(0, 100)
            .Select(i => store.Record(Alert("fp" + i.ToString(CultureInfo.InvariantCulture), labels: [], annotations: new() { ["d"] = new string('c', 60 * 1024) })))
            .ToArray();

        Assert.True(store.Bytes <= 1024 * 1024, $"{store.Bytes} bytes held");
        Assert.Equal(17, outcomes.Count(o => o == AlertRecordOutcome.Added));
        Assert.Equal(83, outcomes.Count(o => o == AlertRecordOutcome.Rejected));

        // A known alert re-sent with more content keeps what it had rather than overflow; its state still updates.
        var grown = store.Record(Alert("fp0", labels: [], annotations: new() { ["d"] = new string('c', 60 * 1024), ["e"] = new string('d', 60 * 1024) }));
        Assert.Equal(AlertRecordOutcome.Duplicate, grown);
        Assert.Single(store.Get("fp0")!.Annotations);
        Assert.True(store.Bytes <= 1024 * 1024);
    }

    private static AlertRecord Alert(string fingerprint, Dictionary<string, string> labels, Dictionary<string, string> annotations)
    {
        labels.TryAdd("alertname", "PoolCpuHigh");
        return new AlertRecord(fingerprint, AlertStatus.Firing, labels, annotations, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), null, "as");
    }
}

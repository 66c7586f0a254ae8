using System.Globalization;
using System.Net;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Commands;

/// <summary>Commands run as real processes (small /bin/sh scripts written into the test's folder) from real webhook
/// requests.</summary>
public sealed class CommandTests
{
    private sealed record Script(string Path, string Dir)
    {
        /// <summary>How the metrics name the command: its <c>name:</c> (here the script's file name), never its args.</summary>
        public string Label => System.IO.Path.GetFileName(Path);

        public string Yaml(string extra = "") => $"{{ cmd: /bin/sh, args: [\"{Path}\"], name: \"{Label}\"{(extra.Length > 0 ? ", " + extra : "")} }}";

        public string Out(string name) => System.IO.Path.Combine(Dir, name);
    }

    private static Script Write(TempDir dir, string name, string body)
    {
        var path = dir.File(name);
        File.WriteAllText(path, "OUT='" + dir.Path + "'\n" + body + "\n");
        return new Script(path, dir.Path);
    }

    private static async Task<FakeService> StartAsync(Func<TempDir, string> commands) =>
        await FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool(max: 6), extraTop: "commands: [ " + commands(dir) + " ]"));

    private static async Task<HttpStatusCode> PostAsync(FakeService s, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(body) };
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
        using var response = await s.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<double> MetricAsync(FakeService s, string series)
    {
        var text = await s.Http.GetStringAsync("metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static string Runs(Script s, string result) => $"autoscaler_command_runs_total{{command=\"{s.Label}\",result=\"{result}\"}}";

    private static string Skips(Script s, string reason) => $"autoscaler_command_skips_total{{command=\"{s.Label}\",reason=\"{reason}\"}}";

    private static Task MetricReachesAsync(FakeService s, string series, double value) =>
        Wait.UntilAsync(async () => await MetricAsync(s, series) >= value, $"{series} >= {value}");

    private static bool Alive(int pid)
    {
        try
        {
            // A zombie (exited, not yet reaped) is dead for our purpose.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int ReadPid(string file) => int.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture);

    private const string Release = """while [ ! -f "$OUT/release" ]; do sleep 0.05; done""";

    [Fact]
    public async Task Webhook_MatchingCommand_RunsWithAmExecutorEnvironment()
    {
        Script? script = null;
        await using var s = await StartAsync(dir =>
        {
            script = Write(dir, "env.sh", """env | grep -e '^AMX_' -e '^PATH=' | sort > "$OUT/env.tmp" && mv "$OUT/env.tmp" "$OUT/env.txt" """);
            return script!.Yaml();
        });

        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Fixture("webhook-firing.json")));
        await Wait.UntilAsync(() => File.Exists(script!.Out("env.txt")), "env.txt");

        var env = File.ReadAllLines(script!.Out("env.txt")).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal("as", env["AMX_RECEIVER"]);
        Assert.Equal("firing", env["AMX_STATUS"]);
        Assert.Equal("http://127.0.0.1:19093", env["AMX_EXTERNAL_URL"]);
        Assert.Equal("1", env["AMX_ALERT_LEN"]);
        Assert.Equal("web", env["AMX_LABEL_pool"]);
        Assert.Equal("PoolCpuHigh", env["AMX_LABEL_alertname"]);
        Assert.Equal("web", env["AMX_GLABEL_pool"]);
        Assert.Equal("firing", env["AMX_ALERT_1_STATUS"]);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 5, 13, 36, TimeSpan.Zero).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), env["AMX_ALERT_1_START"]);
        Assert.Equal("0", env["AMX_ALERT_1_END"]);
        Assert.StartsWith("http://127.0.0.1:19090/graph?g0.expr=", env["AMX_ALERT_1_URL"], StringComparison.Ordinal);
        Assert.Equal("505e845896f2651e", env["AMX_ALERT_1_FINGERPRINT"]);
        Assert.Equal("page", env["AMX_ALERT_1_LABEL_severity"]);
        Assert.False(env.ContainsKey("AMX_ALERT_0_STATUS"));
        Assert.True(env.ContainsKey("PATH"), "PATH comes from the service (the rest of its environment does not)");
        await MetricReachesAsync(s, Runs(script!, "succeeded"), 1);
    }

    [Fact]
    public async Task Webhook_MatchLabels_OnlyTheMatchingCommandRuns()
    {
        Script? web = null, db = null;
        await using var s = await StartAsync(dir =>
        {
            web = Write(dir, "web.sh", """echo "$AMX_LABEL_pool" > "$OUT/web.ran" """);
            db = Write(dir, "db.sh", """echo "$AMX_LABEL_pool" > "$OUT/db.ran" """);
            return web.Yaml("match_labels: { pool: web, alertname: PoolCpuHigh }") + ", " + db.Yaml("match_labels: { pool: db }");
        });

        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Fixture("webhook-firing.json")));

        await MetricReachesAsync(s, Runs(web!, "succeeded"), 1);
        await MetricReachesAsync(s, Skips(db!, "no_match"), 1);
        Assert.True(File.Exists(web!.Out("web.ran")));
        Assert.False(File.Exists(db!.Out("db.ran")));
        Assert.Equal(0, await MetricAsync(s, Runs(db!, "succeeded")));
    }

    [Fact]
    public async Task Webhook_MaxOnePerFingerprint_SecondRunForSameFingerprintSkippedOtherFingerprintRuns()
    {
        Script? script = null;
        await using var s = await StartAsync(dir =>
        {
            script = Write(dir, "max.sh", "touch \"$OUT/started.$AMX_ALERT_1_FINGERPRINT.$$\"\n" + Release);
            return script!.Yaml("max: 1, dedupe_window: 0s");
        });

        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Notification("PoolCpuHigh", fingerprint: "fp-a")));
        await Wait.UntilAsync(() => Directory.GetFiles(script!.Dir, "started.fp-a.*").Length == 1, "first run of fp-a");
        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Notification("PoolCpuHigh", fingerprint: "fp-a")));
        await MetricReachesAsync(s, Skips(script!, "max_running"), 1);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Notification("PoolCpuHigh", fingerprint: "fp-b")));
        await Wait.UntilAsync(() => Directory.GetFiles(script!.Dir, "started.fp-b.*").Length == 1, "run of fp-b");

        File.WriteAllText(script!.Out("release"), "");
        await MetricReachesAsync(s, Runs(script!, "succeeded"), 2);
        Assert.Single(Directory.GetFiles(script!.Dir, "started.fp-a.*"));
        Assert.Equal(1, await MetricAsync(s, Skips(script!, "max_running")));
    }

    [Fact]
    public async Task Webhook_IgnoreResolved_ResolvedNotificationSkipped()
    {
        Script? script = null;
        await using var s = await StartAsync(dir =>
        {
            script = Write(dir, "ignore.sh", """touch "$OUT/ran.$AMX_STATUS" """);
            return script!.Yaml("ignore_resolved: true");
        });

        var end = new DateTimeOffset(2026, 1, 1, 0, 10, 0, TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Notification("PoolCpuHigh", status: "resolved", fingerprint: "fp-r", endsAt: end)));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Notification("PoolCpuHigh", fingerprint: "fp-f")));

        await MetricReachesAsync(s, Runs(script!, "succeeded"), 1);
        Assert.Equal(1, await MetricAsync(s, Skips(script!, "resolved_ignored")));
        Assert.True(File.Exists(script!.Out("ran.firing")));
        Assert.False(File.Exists(script!.Out("ran.resolved")));
    }

    [Fact]
    public async Task Webhook_ResolvedWithResolvedSignal_WholeProcessGroupSignaled()
    {
        Script? script = null;
        await using var s = await StartAsync(dir =>
        {
            script = Write(dir, "signal.sh", """
                if [ "$AMX_STATUS" = resolved ]; then touch "$OUT/resolved.ran"; exit 0; fi
                sleep 300 &
                echo $! > "$OUT/child.tmp" && mv "$OUT/child.tmp" "$OUT/child.pid"
                echo $$ > "$OUT/leader.tmp" && mv "$OUT/leader.tmp" "$OUT/leader.pid"
                wait
                """);
            return script!.Yaml("resolved_signal: SIGUSR1");
        });

        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Notification("PoolCpuHigh", fingerprint: "fp-sig")));
        await Wait.UntilAsync(() => File.Exists(script!.Out("child.pid")) && File.Exists(script!.Out("leader.pid")), "the script and its child");
        var child = ReadPid(script!.Out("child.pid"));
        var leader = ReadPid(script!.Out("leader.pid"));
        Assert.True(Alive(child));

        var end = new DateTimeOffset(2026, 1, 1, 0, 10, 0, TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Notification("PoolCpuHigh", status: "resolved", fingerprint: "fp-sig", endsAt: end)));

        // SIGUSR1's default action ends both; only a signal to the group reaches the sleep.
        await Wait.UntilAsync(() => !Alive(child) && !Alive(leader), "the script and its child to get the signal");
        await MetricReachesAsync(s, Runs(script!, "signaled"), 1);
        await Wait.UntilAsync(() => File.Exists(script!.Out("resolved.ran")), "the resolved run");
    }

    [Fact]
    public async Task Run_PastTimeoutIgnoringTerm_GroupKilled()
    {
        Script? script = null;
        await using var s = await StartAsync(dir =>
        {
            script = Write(dir, "slow.sh", """
                trap '' TERM
                sleep 300 &
                echo $! > "$OUT/child.tmp" && mv "$OUT/child.tmp" "$OUT/child.pid"
                wait
                sleep 300
                """);
            return script!.Yaml("timeout: 1s");
        });

        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Fixture("webhook-firing.json")));
        await Wait.UntilAsync(() => File.Exists(script!.Out("child.pid")), "the child");
        var child = ReadPid(script!.Out("child.pid"));

        await MetricReachesAsync(s, Runs(script!, "timeout"), 1);
        await Wait.UntilAsync(() => !Alive(child), "the child to be killed with the group");
    }

    [Fact]
    public async Task Webhook_SameNotificationFromTwoReplicas_RunsOnce()
    {
        Script? script = null;
        await using var s = await StartAsync(dir =>
        {
            script = Write(dir, "once.sh", """echo run >> "$OUT/runs" """);
            return script!.Yaml();
        });

        var body = TestConfig.Fixture("webhook-firing.json");
        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, body));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, body));

        await MetricReachesAsync(s, Skips(script!, "duplicate"), 1);
        await MetricReachesAsync(s, Runs(script!, "succeeded"), 1);
        Assert.Single(File.ReadAllLines(script!.Out("runs")));
    }

    [Fact]
    public async Task Webhook_CommandStillRunning_AnswersAtOnce()
    {
        Script? script = null;
        await using var s = await StartAsync(dir =>
        {
            script = Write(dir, "block.sh", "touch \"$OUT/started\"\n" + Release + "\ntouch \"$OUT/finished\"");
            return script!.Yaml();
        });

        // The script cannot finish before the test writes "release", which it only does after the answer.
        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Fixture("webhook-firing.json")));
        await Wait.UntilAsync(() => File.Exists(script!.Out("started")), "the run to start");
        Assert.False(File.Exists(script!.Out("finished")));
        Assert.Equal(1, await MetricAsync(s, $"autoscaler_command_running{{command=\"{script!.Label}\"}}"));

        File.WriteAllText(script!.Out("release"), "");
        await Wait.UntilAsync(() => File.Exists(script!.Out("finished")), "the run to finish");
        await MetricReachesAsync(s, Runs(script!, "succeeded"), 1);
    }

    [Fact]
    public async Task Dispose_RunInProgress_ProcessGroupKilled()
    {
        Script? script = null;
        var s = await StartAsync(dir =>
        {
            script = Write(dir, "forever.sh", """
                sleep 300 &
                echo $! > "$OUT/child.tmp" && mv "$OUT/child.tmp" "$OUT/child.pid"
                wait
                """);
            return script!.Yaml();
        });
        int child;
        try
        {
            Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Fixture("webhook-firing.json")));
            await Wait.UntilAsync(() => File.Exists(script!.Out("child.pid")), "the child");
            child = ReadPid(script!.Out("child.pid"));
        }
        finally
        {
            await s.DisposeAsync();
        }

        await Wait.UntilAsync(() => !Alive(child), "the child to be killed when the service stops");
    }

    [Fact]
    public async Task Run_FailingCommand_CountedAsFailed()
    {
        Script? script = null;
        await using var s = await StartAsync(dir =>
        {
            script = Write(dir, "fail.sh", "echo broken >&2; exit 3");
            return script!.Yaml() + ", { cmd: /nonexistent/program }";
        });

        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Fixture("webhook-firing.json")));

        await MetricReachesAsync(s, Runs(script!, "failed"), 1);
        // Without a name: its position and the program's file name. A program that is not there never starts (through
        // setsid it used to start setsid, whose exec then failed: counted as failed).
        await MetricReachesAsync(s, "autoscaler_command_runs_total{command=\"1:program\",result=\"start_failed\"}", 1);
    }

    [Fact]
    public async Task Webhook_Resolved_CommandRunsWithResolvedStatusAndEnd()
    {
        Script? script = null;
        await using var s = await StartAsync(dir =>
        {
            script = Write(dir, "resolved.sh", """echo "$AMX_STATUS $AMX_ALERT_1_STATUS $AMX_ALERT_1_END" > "$OUT/out.tmp" && mv "$OUT/out.tmp" "$OUT/out.txt" """);
            return script.Yaml();
        });

        var end = new DateTimeOffset(2026, 1, 1, 0, 10, 0, TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(s, TestConfig.Notification("PoolCpuHigh", status: "resolved", fingerprint: "fp-end", endsAt: end)));

        await Wait.UntilAsync(() => File.Exists(script!.Out("out.txt")), "the resolved run");
        Assert.Equal($"resolved resolved {end.ToUnixTimeSeconds()}", File.ReadAllText(script!.Out("out.txt")).Trim());
    }
}

using Autoscaler.Common;
using Autoscaler.Core;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Signals.Alerts;
using Autoscaler.Core.Signals.Schedule;
using Autoscaler.Core.Signals.TargetTracking;
using Autoscaler.Linode.Configuration;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Tests.Configuration;

public sealed class ConfigTests
{
    private const string Full = """
        linode: { url: https://api.linode.com/v4, token: ${LINODE_TOKEN} }
        listen: 127.0.0.1:9099
        webhook: { auth: { bearer_token: ${WEBHOOK_TOKEN:-hook-secret} }, max_body_bytes: 65536 }
        engine: { evaluation_interval: 15s, dry_run: true }
        alerts: { repeat_interval: 1h, expire_after_repeats: 2 }
        journal: { path: /var/lib/autoscaler/journal.db }
        pools:
          web:
            region: us-east
            type: g6-standard-1
            image: linode/debian12
            stackscript: { id: 42, data: { db_password: stack-secret } }
            authorized_keys: ["ssh-ed25519 AAAA test"]
            tags: [app:web]
            min: 2
            max: 10
            desired: 3
            nodebalancer: { label: web-nb, port: 80, node_port: 8080 }
            health: { grace: 60s, replace_after: 2m }
            scale_up: { step: 2, step_percent: 50, cooldown: 60s, max_in_flight: 4 }
            scale_down: { step: 1, cooldown: 5m, drain: 30s, victim: oldest }
            signals:
              - { alert: PoolCpuHigh, action: up }
              - { alert: PoolCpuLow, labels: { severity: info }, action: down }
              - target_tracking: { prometheus: http://127.0.0.1:9090, query: 'avg(pool_cpu{pool="web"})', target: 60 }
              - schedule: { cron: "0 8 * * 1-5", duration: 10h, min: 4, timezone: Europe/Paris }
          api:
            region: us-east
            type: g6-standard-2
            image: private/123
            min: 1
            max: 3
            nodebalancer: { id: 77, port: 443 }
        """;

    private static readonly Dictionary<string, string> Env = new() { ["LINODE_TOKEN"] = "linode-secret-token" };

    private const string MinimalPool = ConfigParse.OnePool;

    private static string[] Errors(string yaml, IReadOnlyDictionary<string, string>? env = null) => ConfigParse.Errors(yaml, env ?? Env);

    private static string WithPool(string poolBody) => "linode: { token: t }\npools:\n  web:\n" + string.Join("\n", poolBody.Split('\n').Select(l => "    " + l));

    private const string Base = "region: r\ntype: t\nimage: i\nnodebalancer: { label: nb, port: 80 }\n";

    [Fact]
    public void Parse_FullExample_ReadsEverySetting()
    {
        var result = ServiceSchema.Parse(Full, Env);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var c = result.Config;
        Assert.Equal(new Uri("https://api.linode.com/v4"), c.Linode!.Url);
        Assert.Equal("linode-secret-token", c.Linode!.Token.Reveal());
        Assert.Equal("hook-secret", c.Webhook.Auth!.BearerToken!.Reveal());
        Assert.Equal(65536, c.Webhook.MaxBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(15), c.Engine.EvaluationInterval);
        Assert.True(c.Engine.DryRun);
        Assert.Equal(TimeSpan.FromHours(2), c.Alerts.StaleAfter);
        Assert.Equal("/var/lib/autoscaler/journal.db", c.Journal.Path);
        Assert.Equal(["web", "api"], c.Pools.Select(p => p.Name));

        var web = c.Pools[0];
        Assert.Equal(("us-east", "g6-standard-1", "linode/debian12"), (web.Linode.Region, web.Linode.Type, web.Linode.Image));
        Assert.Equal(42, web.Linode.StackScript!.Id);
        Assert.Equal("stack-secret", web.Linode.StackScript!.Data["db_password"]);
        Assert.Equal(["app:web"], web.Linode.Tags);
        Assert.Equal("autoscaler:web", web.EffectivePoolTag);
        Assert.Equal("web", web.EffectiveLabelPrefix);
        Assert.Equal((2, 10, 3), (web.Min, web.Max, web.Desired));
        Assert.Equal(("web-nb", 80, 8080), (web.Linode.NodeBalancer.Label, web.Linode.NodeBalancer.Port, web.Linode.NodeBalancer.NodePort));
        Assert.Equal(TimeSpan.FromMinutes(2), web.Health.ReplaceAfter);
        Assert.Equal((2, 50.0, 4), (web.ScaleUp.Step, web.ScaleUp.StepPercent, web.ScaleUp.MaxInFlight));
        Assert.Equal((TimeSpan.FromMinutes(5), VictimPolicy.Oldest), (web.ScaleDown.Cooldown, web.ScaleDown.Victim));

        var up = Assert.IsType<AlertSignalConfig>(web.Signals[0]);
        Assert.Equal(("PoolCpuHigh", ScaleDirection.Up), (up.AlertName, up.Action));
        var down = Assert.IsType<AlertSignalConfig>(web.Signals[1]);
        Assert.Equal("info", down.Labels["severity"]);
        var tracking = Assert.IsType<TargetTrackingConfig>(web.Signals[2]);
        Assert.Equal(("avg(pool_cpu{pool=\"web\"})", 60.0, 0.1), (tracking.Query, tracking.Target, tracking.Tolerance));
        Assert.Equal((TimeSpan.FromSeconds(300), TimeSpan.Zero), (tracking.ScaleDownStabilization, tracking.ScaleUpStabilization));
        var schedule = Assert.IsType<ScheduleConfig>(web.Signals[3]);
        Assert.Equal(("0 8 * * 1-5", TimeSpan.FromHours(10), 4, "Europe/Paris"), (schedule.Cron, schedule.Duration, schedule.Min, schedule.TimeZone));
        Assert.Equal(3, schedule.Index);

        var api = c.Pools[1];
        Assert.Equal((77, 443, 443), (api.Linode.NodeBalancer.Id, api.Linode.NodeBalancer.Port, api.Linode.NodeBalancer.NodePort));
    }

    [Fact]
    public void Parse_MinimalPool_FillsDocumentedDefaults()
    {
        var result = ServiceSchema.Parse(MinimalPool, Env);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var c = result.Config;
        Assert.Equal("127.0.0.1:9099", c.Listen);
        Assert.Null(c.Webhook.Auth);
        Assert.Equal(1024 * 1024, c.Webhook.MaxBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(10), c.Engine.EvaluationInterval);
        Assert.False(c.Engine.DryRun);
        Assert.Equal(TimeSpan.FromHours(12), c.Alerts.StaleAfter);
        var p = c.Pools.Single();
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120)), (p.Health.Grace, p.Health.ReplaceAfter));
        Assert.Equal((1, TimeSpan.FromSeconds(60), 10), (p.ScaleUp.Step, p.ScaleUp.Cooldown, p.ScaleUp.MaxInFlight));
        Assert.Equal((1, TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(30), VictimPolicy.Newest),
            (p.ScaleDown.Step, p.ScaleDown.Cooldown, p.ScaleDown.Drain, p.ScaleDown.Victim));
        Assert.Equal("autoscaler:protected", p.Linode.ProtectionTag);
        Assert.Equal(80, p.Linode.NodeBalancer.NodePort);
        Assert.Empty(p.Signals);
    }

    [Fact]
    public void Parse_MinGreaterThanMax_NamesPoolAndBothValues()
    {
        Assert.Equal(["pool 'web': min (5) is greater than max (3)"], Errors(WithPool(Base + "min: 5\nmax: 3")));
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsEveryOneWithPoolAndField()
    {
        var yaml = WithPool("""
            region: us-east
            image: linode/debian12
            mins: 1
            min: 1
            max: 0
            desired: x
            nodebalancer: { id: 3, label: nb, port: 70000 }
            health: { grace: soon }
            scale_up: { step: 0, cooldown: 1m }
            scale_down: { victim: youngest, stepp: 2 }
            signals:
              - { alert: PoolCpuHigh, action: sideways }
              - target_tracking: { prometheus: 'ftp://x', query: q, target: 0, tolerance: 1.5 }
              - schedule: { cron: "61 * * * *", min: 5, max: 2 }
              - { bogus: 1 }
            """);

        Assert.Equal(
        [
            "pool 'web': type is required",
            "pool 'web': unknown key 'mins' (did you mean min?)",
            "pool 'web': max must be >= 1",
            "pool 'web': desired must be an integer, got 'x'",
            "pool 'web': nodebalancer needs exactly one of id or label",
            "pool 'web': nodebalancer.port must be between 1 and 65535",
            "pool 'web': health.grace must be a duration like 30s, 5m or 1h (got 'soon')",
            "pool 'web': scale_up.step must be >= 1",
            "pool 'web': scale_down.victim must be one of newest, oldest (got 'youngest')",
            "pool 'web': unknown key 'scale_down.stepp' (did you mean scale_down.step?)",
            "pool 'web': signals[0].action must be one of up, down (got 'sideways')",
            "pool 'web': signals[1].target_tracking.prometheus must be an absolute http or https URL, got 'ftp://x'",
            "pool 'web': signals[1].target_tracking.target must be > 0",
            "pool 'web': signals[1].target_tracking.tolerance must be >= 0 and < 1",
            "pool 'web': signals[2].schedule.duration is required",
            "pool 'web': signals[2].schedule.cron '61 * * * *' is not a valid cron expression: The given cron expression has an invalid format. Minutes: Value must be a number between 0 and 59 (all inclusive).",
            "pool 'web': signals[2].schedule.min (5) is greater than signals[2].schedule.max (2)",
            "pool 'web': signals[3] must be exactly one of: an alert signal (alert and/or labels, with action), target_tracking, schedule, forecast",
        ], Errors(yaml));
    }

    [Fact]
    public void Parse_ErrorsCarryTheirPosition()
    {
        var result = ServiceSchema.Parse(WithPool(Base + "min: 1\nmax: 2\nmins: 1"), Env);

        var error = Assert.Single(result.Errors);
        Assert.Equal("pool 'web': unknown key 'mins' (did you mean min?)", error.Message);
        Assert.Equal((10, 5), (error.Line, error.Column));
    }

    [Fact]
    public void Parse_UnknownTopLevelKeyAndMissingPools_ReportsBoth()
    {
        Assert.Equal(["pools is required", "unknown key 'pool' (did you mean pools?)"], Errors("linode: { token: t }\npool: {}\n"));
    }

    [Fact]
    public void Parse_TopLevelSections_ValidatesEachField()
    {
        var yaml = """
            linode: { url: 'not a url', token: '' }
            listen: nowhere
            webhook: { auth: { bearer_token: a, basic: { username: u, password: p } }, max_body_bytes: 0 }
            api: { auth: {} }
            engine: { evaluation_interval: 0s, dry_run: maybe }
            alerts: { repeat_interval: 1h, expire_after_repeats: 0 }
            pools: {}
            """;

        Assert.Equal(
        [
            "linode.url must be an absolute http or https URL, got 'not a url'",
            "linode.token must not be empty",
            "listen must be host:port, e.g. 127.0.0.1:9099 (got 'nowhere')",
            "webhook.auth needs exactly one of bearer_token or basic",
            "webhook.max_body_bytes must be between 1 and 67108864",
            "api.auth needs exactly one of bearer_token or basic",
            "engine.evaluation_interval must be > 0",
            "engine.dry_run must be true or false, got 'maybe'",
            "alerts.expire_after_repeats must be >= 1",
            "pools must define at least one pool",
        ], Errors(yaml));
    }

    [Fact]
    public void Parse_MissingLinodeSection_IsAnErrorUnlessNotRequired()
    {
        var yaml = MinimalPool.Replace("linode: { token: t }\n", "", StringComparison.Ordinal);

        Assert.Equal(["linode is required"], Errors(yaml));
        var relaxed = ServiceSchema.Parse(yaml, Env, new ConfigLoadOptions { RequireCloudAccess = false });
        Assert.True(relaxed.IsValid);
        Assert.Null(relaxed.Config.Linode);
    }

    [Fact]
    public void Parse_YamlSyntaxError_GivesLineAndColumn()
    {
        var result = ServiceSchema.Parse("linode: { token: t }\npools:\n  web:\n    min: 1\n   max: 2\n", Env);

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("line 5, column 4: ", error.Message, StringComparison.Ordinal);
        Assert.Equal((5, 4), (error.Line, error.Column));
        Assert.DoesNotContain("(Line:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FirewallId_ReadAndCheckedPositive()
    {
        Assert.Equal(42, ServiceSchema.Parse(WithPool(Base + "min: 1\nmax: 2\nfirewall_id: 42"), Env).Config!.Pools[0].Linode.FirewallId);

        var result = ServiceSchema.Parse(WithPool(Base + "min: 1\nmax: 2\nfirewall_id: 0"), Env);
        Assert.Contains(result.Errors, e => e.Message == "pool 'web': firewall_id must be > 0");
    }

    [Fact]
    public void Parse_UnclosedFlowMapping_GivesPositionAndHint()
    {
        var result = ServiceSchema.Parse("linode: { token: t\npools:\n  web:\n    min: 1\n", Env);

        var error = Assert.Single(result.Errors);
        Assert.Matches(@"^line \d+, column \d+: the YAML is malformed after this point", error.Message);
        Assert.Contains("unclosed '{'", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line >= 1);
    }

    [Fact]
    public void Parse_EnvReferences_ExpandWithDefaultsAndInsideFlowMappings()
    {
        var yaml = MinimalPool
            .Replace("linode: { token: t }", "linode: { token: ${TOKEN}, url: '${SCHEME:-https}://${HOST}/v4' }", StringComparison.Ordinal)
            .Replace("max: 3", "max: ${MAX:-7}", StringComparison.Ordinal)
            .Replace("region: us-east", "region: $${literal}", StringComparison.Ordinal);

        var result = ServiceSchema.Parse(yaml, new Dictionary<string, string> { ["TOKEN"] = "abc", ["HOST"] = "127.0.0.1:8080", ["SCHEME"] = "" });

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("abc", result.Config.Linode!.Token.Reveal());
        Assert.Equal(new Uri("https://127.0.0.1:8080/v4"), result.Config.Linode!.Url);
        Assert.Equal(7, result.Config.Pools[0].Max);
        Assert.Equal("${literal}", result.Config.Pools[0].Linode.Region);
    }

    [Fact]
    public void Parse_UnsetEnvWithoutDefault_NamesVariableAndField()
    {
        var yaml = MinimalPool.Replace("token: t", "token: ${LINODE_TOKEN}", StringComparison.Ordinal).Replace("region: us-east", "region: ${REGION}-${ZONE}", StringComparison.Ordinal);

        Assert.Equal(
        [
            "linode.token: environment variable 'LINODE_TOKEN' is not set",
            "pool 'web': region: environment variable 'REGION' is not set",
            "pool 'web': region: environment variable 'ZONE' is not set",
        ], Errors(yaml, new Dictionary<string, string>()));
    }

    [Fact]
    public void Parse_EnvReferenceInComment_IsIgnored()
    {
        var result = ServiceSchema.Parse("# token: ${NOT_SET}\n" + MinimalPool, new Dictionary<string, string>());

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }

    [Fact]
    public void Config_ToStringAndDescribe_RedactSecrets()
    {
        var yaml = Full.Replace("webhook: { auth: { bearer_token: ${WEBHOOK_TOKEN:-hook-secret} }, max_body_bytes: 65536 }",
            "webhook: { auth: { basic: { username: hook-user, password: hook-password } } }\napi: { auth: { bearer_token: api-secret } }", StringComparison.Ordinal);
        var config = ServiceSchema.Parse(yaml, Env).Config!;

        var texts = new[] { config.ToString(), config.Describe(), config.Linode!.ToString(), config.Webhook.ToString(), config.Pools[0].ToString() };

        foreach (var text in texts)
        {
            foreach (var secret in new[] { "linode-secret-token", "hook-user", "hook-password", "api-secret", "stack-secret" })
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }

        Assert.Contains("token: ***", config.Describe(), StringComparison.Ordinal);
        Assert.Contains("db_password", config.Describe(), StringComparison.Ordinal);
        Assert.Equal("***", config.Linode!.Token.ToString());
    }

    [Fact]
    public void Parse_InvalidSecretField_DoesNotEchoTheValue()
    {
        var errors = Errors("linode: { token: [linode-secret-token] }\npools: {}\n");

        Assert.Contains("linode.token must be a string", errors);
        Assert.DoesNotContain(errors, e => e.Contains("linode-secret-token", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_DuplicatePoolTagsAndPrefixes_AreErrors()
    {
        var yaml = """
            linode: { token: t }
            pools:
              web:
                { region: r, type: t, image: i, min: 1, max: 2, nodebalancer: { label: a, port: 80 }, pool_tag: shared-tag, label_prefix: app }
              api:
                { region: r, type: t, image: i, min: 1, max: 2, nodebalancer: { label: b, port: 80 }, pool_tag: shared-tag, label_prefix: app }
            """;

        Assert.Equal(
        [
            "pool 'api': pool_tag 'shared-tag' is also used by pool 'web'",
            "pool 'api': label_prefix 'app' is also used by pool 'web'",
        ], Errors(yaml));
    }

    [Fact]
    public void Parse_BadNamesAndTags_AreErrors()
    {
        var yaml = """
            linode: { token: t }
            pools:
              "web pool":
                { region: r, type: t, image: i, min: 1, max: 2, nodebalancer: { label: a, port: 80 }, tags: [x], label_prefix: "-bad" }
            """;

        Assert.Equal(
        [
            "pool 'web pool': the name must start with a letter or digit and contain only letters, digits, '-' and '_' (at most 32 characters)",
            "pool 'web pool': tags[0] 'x' must be 3 to 50 characters",
            "pool 'web pool': label_prefix '-bad' must be 1 to 55 letters, digits, '-', '_' or '.', start and end with a letter or digit, and not repeat a separator",
        ], Errors(yaml));
    }

    [Fact]
    public void Parse_ScheduleProblems_AreReported()
    {
        var yaml = WithPool(Base + """
            min: 1
            max: 5
            signals:
              - schedule: { cron: "0 8 * * *", duration: 1h, timezone: Mars/Olympus }
              - schedule: { cron: "0 8 * * *", duration: 0s, min: 9 }
              - { labels: {}, action: up }
            """);

        Assert.Equal(
        [
            "pool 'web': signals[0].schedule needs min or max",
            "pool 'web': signals[0].schedule.timezone 'Mars/Olympus' is not a known time zone",
            "pool 'web': signals[1].schedule.duration must be > 0",
            "pool 'web': signals[1].schedule.min (9) is greater than max (5); set signals[1].schedule.max too",
            "pool 'web': signals[2] needs alert or labels",
        ], Errors(yaml));
    }

    [Fact]
    public void Load_RelativePaths_ResolveAgainstTheFileFolder()
    {
        var dir = Directory.CreateTempSubdirectory("autoscaler-config-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "cloud-init.yaml"), "#cloud-config\n");
            var yaml = MinimalPool.Replace("min: 1", "user_data: cloud-init.yaml\n    min: 1", StringComparison.Ordinal) + "\njournal: { path: state/journal.db }\n";
            var path = Path.Combine(dir.FullName, "autoscaler.yaml");
            File.WriteAllText(path, yaml);

            var result = ServiceSchema.Load(path);

            Assert.True(result.IsValid, string.Join("\n", result.Errors));
            Assert.Equal(Path.Combine(dir.FullName, "cloud-init.yaml"), result.Config.Pools[0].Linode.UserDataFile);
            Assert.Equal(Path.Combine(dir.FullName, "state", "journal.db"), result.Config.Journal.Path);

            File.Delete(Path.Combine(dir.FullName, "cloud-init.yaml"));
            var missing = ServiceSchema.Load(path);
            Assert.Equal([$"pool 'web': user_data file '{Path.Combine(dir.FullName, "cloud-init.yaml")}' does not exist"], missing.Errors.Select(e => e.Message));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_MissingFile_IsAnErrorNotAnException()
    {
        var result = ServiceSchema.Load(Path.Combine(Path.GetTempPath(), "no-such-autoscaler-config.yaml"));

        Assert.StartsWith("cannot read '", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Autoscaler.Core.Configuration;
using Autoscaler.Linode.Provider;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Tests.Support;
using Linode.Emulator;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>
/// A full run against the emulator (with injected 429s and 500s) — scale up by webhook, refusals of every kind, a
/// manual scale, scale down, every read endpoint, the CLI (status, scale, validate, and a serve that fails on a wrong
/// Linode token) — then every text it produced is searched for the secrets: the service's and the emulator's logs at
/// trace level (messages, structured values, exceptions), every HTTP answer (body and headers), the CLI's output and
/// errors, every row of the SQLite journal and its raw files. Secrets: the Linode token (and a wrong one), the webhook
/// token, the API's basic user and password (and their base64 form), the root passwords the service generated.
/// </summary>
public sealed class SecretsTests(ITestOutputHelper output)
{
    private static string Secret(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    [Fact]
    public async Task FullRun_EveryLogAnswerOutputAndAuditRow_ContainsNoSecret()
    {
        var linodeToken = Secret("lintok-");
        var wrongLinodeToken = Secret("lintok-wrong-");
        var webhookToken = Secret("hooktok-");
        var apiUser = Secret("apiuser-");
        var apiPassword = Secret("apipass-");
        var env = new Dictionary<string, string>
        {
            ["AS_LINODE_TOKEN"] = linodeToken,
            ["AS_WEBHOOK_TOKEN"] = webhookToken,
            ["AS_API_USER"] = apiUser,
            ["AS_API_PASSWORD"] = apiPassword,
        };

        var serviceLog = new LogCapture();
        var emulatorLog = new LogCapture();
        var answers = new ConcurrentQueue<string>();
        var cliOutput = new List<string>();
        var rootPasswords = new ConcurrentQueue<string>();
        using var dir = new TempDir();

        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        options.Tokens.Add(linodeToken);
        // Limits off: this test is about what reaches the logs, not pacing.
        options.RateLimits.Enabled = false;
        await using var instances = new FakeInstanceRuntime();
        await using var balancers = new FakeLoadBalancerRuntime();
        using var emulatorLogs = emulatorLog.Factory();
        await using var emulator = await EmulatorHost.StartAsync(options, new EmulatorServices { Instances = instances, Balancers = balancers, LoggerFactory = emulatorLogs });
        var apiUrl = new Uri(emulator.BaseAddress, "v4").ToString();

        var yaml = dir.File("autoscaler.yaml");
        await File.WriteAllTextAsync(yaml, $$"""
            linode: { url: "{{apiUrl}}", token: "${AS_LINODE_TOKEN}" }
            listen: 127.0.0.1:0
            webhook: { auth: { bearer_token: "${AS_WEBHOOK_TOKEN}" }, max_body_bytes: 16384 }
            api: { auth: { basic: { username: "${AS_API_USER}", password: "${AS_API_PASSWORD}" } } }
            engine: { evaluation_interval: 300ms }
            journal: { path: {{dir.File("autoscaler.db")}} }
            pools:
            {{TestConfig.Pool(min: 1, max: 3, extra: "    scale_up: { step: 1, cooldown: 0s }\n    scale_down: { step: 1, cooldown: 0s, drain: 500ms, billing: none }")}}
            """);
        var parsed = ServiceSchema.Parse(await File.ReadAllTextAsync(yaml), env);
        Assert.True(parsed.IsValid, string.Join("\n", parsed.Errors));

        using var serviceLogs = serviceLog.Factory();
        var host = await AutoscalerHost.StartAsync(parsed.Config, new AutoscalerServices
        {
            LoggerFactory = serviceLogs,
            Providers = ServiceSchema.DefaultProviders.With(new LinodeProvider
            {
                Handler = new RootPasswordRecorder(rootPasswords) { InnerHandler = new SocketsHttpHandler() },
                ConfigureClient = o =>
                {
                    o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
                    o.MaxRetryDelay = TimeSpan.FromMilliseconds(100);
                    o.MaxRetryAfter = TimeSpan.FromSeconds(2);
                },
            }),
        });
        try
        {
            // Faults only once the pool is set up: a failed NodeBalancer config create (never retried) stops the start.
            using (var admin = new HttpClient { BaseAddress = emulator.BaseAddress })
            using (var faults = await admin.PutAsync("admin/faults", new StringContent(
                "{\"rate_500\":0.1,\"rate_429\":0.05,\"retry_after_seconds\":1}", Encoding.UTF8, "application/json")))
            {
                Assert.True(faults.IsSuccessStatusCode, $"PUT /admin/faults answered {(int)faults.StatusCode}");
            }

            using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            var url = host.BaseAddress.ToString();
            var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(apiUser + ":" + apiPassword));
            async Task<HttpStatusCode> SendAsync(HttpMethod method, string path, string? authorization = null, string? body = null, string contentType = "application/json")
            {
                using var request = new HttpRequestMessage(method, path);
                if (body is not null)
                {
                    request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                }

                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }

                using var response = await http.SendAsync(request);
                answers.Enqueue($"{method} /{path} → {(int)response.StatusCode}\n{response.Headers}{response.Content.Headers}\n{await response.Content.ReadAsStringAsync()}");
                return response.StatusCode;
            }

            async Task ServingAsync(int n) => await Wait.UntilAsync(() => host.Engine.GetStatus("web") is { View.Launching: 0, Operations.Count: 0 } s && s.View!.Serving == n,
                $"{n} serving", TimeSpan.FromSeconds(90));

            await ServingAsync(1);

            // Scale up by webhook, with refusals and bad bodies around it.
            Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, "hook", "Bearer " + webhookToken, TestConfig.Notification("PoolCpuHigh", fingerprint: "hi")));
            foreach (var wrong in new string?[] { null, "Bearer nope", "Bearer " + apiPassword, "Bearer " + linodeToken, basic, "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("x:" + webhookToken)) })
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Post, "hook", wrong, TestConfig.Notification("PoolCpuHigh")));
            }

            var hook = "Bearer " + webhookToken;
            Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Post, "hook", hook, "{\"version\":\"4\",\"status\":"));
            Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Post, "hook", hook, "{\"version\":3,\"status\":[],\"alerts\":[{}]}"));
            Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Post, "hook", hook, ""));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await SendAsync(HttpMethod.Post, "hook", hook, new string('x', 20_000)));
            Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Post, "hook", hook, "{}", "text/plain"));
            await ServingAsync(3);

            // Manual scale through the API, with refusals and errors.
            foreach (var wrong in new string?[] { null, "Bearer " + webhookToken, "Bearer " + apiPassword, "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(apiUser + ":" + linodeToken)) })
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Post, "api/v1/pools/web/scale", wrong, """{"desired": 2}"""));
                Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Post, "api/v1/pools/web/dry_run", wrong, """{"dry_run": true}"""));
            }

            Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Post, "api/v1/pools/web/scale", basic, """{"desired": 9}"""));
            Assert.Equal(HttpStatusCode.BadRequest, await SendAsync(HttpMethod.Post, "api/v1/pools/web/scale", basic, "nope"));
            Assert.Equal(HttpStatusCode.NotFound, await SendAsync(HttpMethod.Post, "api/v1/pools/nope/scale", basic, """{"desired": 2}"""));

            // Scale down: resolve, then the low alert.
            Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, "hook", hook, TestConfig.Notification("PoolCpuHigh", status: "resolved", fingerprint: "hi",
                endsAt: new DateTimeOffset(2026, 1, 1, 0, 5, 0, TimeSpan.Zero))));
            Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Post, "hook", hook, TestConfig.Notification("PoolCpuLow", fingerprint: "lo")));
            await ServingAsync(1);

            // The CLI as an operator uses it.
            foreach (var args in new[]
            {
                new[] { "status", "--url", url },
                ["scale", "web", "--to", "2", "--url", url, "--basic", apiUser + ":" + apiPassword],
                ["scale", "web", "--to", "2", "--url", url, "--basic", apiUser + ":" + webhookToken],
                ["scale", "web", "--to", "2", "--url", url, "--token", webhookToken],
                ["validate", yaml],
            })
            {
                var (code, stdout, stderr) = await CliProcess.RunAsync(env, args);
                cliOutput.Add($"$ {args[0]} → {code}\n{stdout}\n{stderr}");
            }

            Assert.StartsWith("$ scale → 0", cliOutput[1], StringComparison.Ordinal);
            Assert.Contains("invalid credentials", cliOutput[2], StringComparison.Ordinal);

            // Every read.
            foreach (var path in new[] { "api/v1/pools", "api/v1/pools/web", "api/v1/events?limit=1000", "metrics", "http_sd", "healthz", "api/v1/alerts", "api/v1/dashboard", "" })
            {
                await SendAsync(HttpMethod.Get, path);
            }
        }
        finally
        {
            await host.DisposeAsync();
        }

        // A serve that cannot start: the Linode API refuses a wrong token.
        var wrongEnv = new Dictionary<string, string>(env) { ["AS_LINODE_TOKEN"] = wrongLinodeToken };
        var wrongYaml = dir.File("wrong.yaml");
        await File.WriteAllTextAsync(wrongYaml, (await File.ReadAllTextAsync(yaml)).Replace("autoscaler.db", "wrong.db", StringComparison.Ordinal));
        var serve = await CliProcess.RunAsync(wrongEnv, "serve", "--verbose", "--config", wrongYaml);
        cliOutput.Add($"$ serve → {serve.Code}\n{serve.Stdout}\n{serve.Stderr}");
        Assert.NotEqual(0, serve.Code);
        Assert.Contains("serve:", serve.Stderr, StringComparison.Ordinal);

        var rows = ReadJournal(dir.File("autoscaler.db"));
        var rawFiles = Directory.GetFiles(dir.Path, "*.db*").Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))).ToArray();

        string[] secrets =
        [
            linodeToken, wrongLinodeToken, webhookToken, apiUser, apiPassword,
            Convert.ToBase64String(Encoding.UTF8.GetBytes(apiUser + ":" + apiPassword)),
            .. rootPasswords,
        ];
        var sources = new (string Name, IReadOnlyCollection<string> Texts)[]
        {
            ("service log", serviceLog.Entries),
            ("emulator log", emulatorLog.Entries),
            ("HTTP answer", answers),
            ("CLI output", cliOutput),
            ("journal row", rows),
            ("journal file", rawFiles),
        };

        // The search itself works.
        Assert.NotEmpty(Find([("canary", ["before " + webhookToken + " after"])], secrets));

        output.WriteLine(string.Join("\n", sources.Select(s => $"{s.Name}: {s.Texts.Count} texts, {s.Texts.Sum(t => t.Length)} characters")));
        output.WriteLine($"{secrets.Length} secrets searched ({rootPasswords.Count} root passwords)");
        Assert.True(serviceLog.Entries.Count > 100, "the service logged too little for the search to mean anything");
        Assert.Contains(serviceLog.Entries, e => e.Contains("webhook: refused a request", StringComparison.Ordinal));
        Assert.Contains(serviceLog.Entries, e => e.Contains("configuration (secrets redacted)", StringComparison.Ordinal));
        Assert.NotEmpty(emulatorLog.Entries);
        Assert.True(rows.Count > 10, $"{rows.Count} journal rows");
        Assert.True(rootPasswords.Count >= 2, $"{rootPasswords.Count} root passwords seen");

        var found = Find(sources, secrets);
        Assert.True(found.Count == 0, string.Join("\n\n", found.Take(10)));
    }

    private static List<string> Find(IEnumerable<(string Name, IReadOnlyCollection<string> Texts)> sources, string[] secrets)
    {
        var found = new List<string>();
        foreach (var (name, texts) in sources)
        {
            foreach (var text in texts)
            {
                for (var i = 0; i < secrets.Length; i++)
                {
                    var at = text.IndexOf(secrets[i], StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        found.Add($"secret #{i} in a {name}: …{text.Substring(Math.Max(0, at - 200), Math.Min(text.Length - Math.Max(0, at - 200), 400))}…");
                    }
                }
            }
        }

        return found;
    }

    /// <summary>Every column of every row of every table, as text.</summary>
    private static List<string> ReadJournal(string path)
    {
        var rows = new List<string>();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (var table in tables)
        {
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                var values = Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : reader.GetValue(i) is byte[] b ? Encoding.UTF8.GetString(b) : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture));
                rows.Add(table + ": " + string.Join(" | ", values));
            }
        }

        return rows;
    }

    /// <summary>Notes the root password of each instance the service creates, to search for it afterwards.</summary>
    private sealed class RootPasswordRecorder(ConcurrentQueue<string> passwords) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.Content is not null && request.RequestUri!.AbsolutePath.EndsWith("/linode/instances", StringComparison.Ordinal))
            {
                await request.Content.LoadIntoBufferAsync(cancellationToken);
                using var body = JsonDocument.Parse(await request.Content.ReadAsStringAsync(cancellationToken));
                if (body.RootElement.TryGetProperty("root_pass", out var pass) && pass.GetString() is { Length: > 0 } p)
                {
                    passwords.Enqueue(p);
                }
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}

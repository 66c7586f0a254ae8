using System.Collections.Concurrent;
using System.Text;
using Autoscaler.Service.Jenkins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autoscaler.Service.Tests.Jenkins;

/// <summary>A small Jenkins on loopback implementing the documented remote access endpoints the client uses.</summary>
internal sealed class FakeJenkins : IAsyncDisposable
{
    public const string User = "autoscaler";
    public const string Token = "11aa22bb33cc44dd55ee";
    public const string Crumb = "c0ffee-crumb";

    private readonly WebApplication _app;
    private int _queuePolls;
    private int _buildPolls;

    private FakeJenkins(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public bool CrumbEnabled { get; set; } = true;

    public int FailTriggers { get; set; }

    public int QueuePollsBeforeStart { get; set; } = 2;

    public int BuildPollsBeforeResult { get; set; } = 2;

    public string Result { get; set; } = "SUCCESS";

    public ConcurrentQueue<string> Triggered { get; } = new();

    public ConcurrentDictionary<string, string> Parameters { get; } = new();

    /// <summary>Where the trigger's Location points (default: this Jenkins' queue item 7).</summary>
    public Uri? QueueItemAt { get; set; }

    /// <summary>The build URL the queue item names (default: this Jenkins' job/scale/12/).</summary>
    public string? BuildUrlAt { get; set; }

    /// <summary>When set, the queue item's whole answer (to try shapes the client does not expect).</summary>
    public object? QueueAnswer { get; set; }

    /// <summary>Every request: method, path and whether it carried an Authorization header.</summary>
    public ConcurrentQueue<(string Request, bool Authorization)> Seen { get; } = new();

    public static async Task<FakeJenkins> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var j = new FakeJenkins(app);
        app.Use(async (c, next) =>
        {
            j.Seen.Enqueue(($"{c.Request.Method} {c.Request.Path}", c.Request.Headers.Authorization.Count > 0));
            await next(c);
        });

        app.MapGet("/crumbIssuer/api/json", (HttpContext c) => !Authorized(c) ? Results.StatusCode(401)
            : j.CrumbEnabled ? Results.Json(new Dictionary<string, string> { ["_class"] = "hudson.security.csrf.DefaultCrumbIssuer", ["crumb"] = Crumb, ["crumbRequestField"] = "Jenkins-Crumb" })
            : Results.NotFound());
        app.MapPost("/job/{**path}", async (HttpContext c, string path) =>
        {
            if (!Authorized(c))
            {
                return Results.StatusCode(401);
            }

            if (j.CrumbEnabled && c.Request.Headers["Jenkins-Crumb"] != Crumb)
            {
                return Results.StatusCode(403);
            }

            if (j.FailTriggers > 0)
            {
                j.FailTriggers--;
                return Results.StatusCode(503);
            }

            var form = await c.Request.ReadFormAsync();
            foreach (var (k, v) in form)
            {
                j.Parameters[k] = v.ToString();
            }

            j.Triggered.Enqueue(path);
            c.Response.Headers.Location = (j.QueueItemAt ?? new Uri(j.BaseAddress, "queue/item/7/")).AbsoluteUri;
            return Results.StatusCode(201);
        });
        app.MapGet("/queue/item/7/api/json", (HttpContext c) => !Authorized(c) ? Results.StatusCode(401)
            : j.QueueAnswer is { } answer ? Results.Json(answer)
            : Interlocked.Increment(ref j._queuePolls) <= j.QueuePollsBeforeStart
                ? Results.Json(new { blocked = false, why = "Waiting for next available executor" })
                : Results.Json(new { executable = new { number = 12, url = j.BuildUrlAt ?? new Uri(j.BaseAddress, "job/scale/12/").AbsoluteUri } }));
        app.MapGet("/job/scale/12/api/json", (HttpContext c) => !Authorized(c) ? Results.StatusCode(401)
            : Interlocked.Increment(ref j._buildPolls) <= j.BuildPollsBeforeResult
                ? Results.Json(new { building = true, result = (string?)null })
                : Results.Json(new { building = false, result = j.Result }));

        await app.StartAsync();
        j.BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return j;
    }

    private static bool Authorized(HttpContext c) =>
        c.Request.Headers.Authorization == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Token));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed class JenkinsClientTests
{
    private static JenkinsTarget Target(FakeJenkins j, string job = "scale", string token = FakeJenkins.Token) => new()
    {
        Url = j.BaseAddress,
        User = FakeJenkins.User,
        ApiToken = token,
        Job = job,
        PollInterval = TimeSpan.FromMilliseconds(10),
        RetryDelay = TimeSpan.FromMilliseconds(10),
    };

    private sealed class ListLogger : ILogger<JenkinsClient>
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception) + " " + exception);
    }

    private static async Task<JenkinsBuildResult> RunAsync(JenkinsTarget target, IReadOnlyDictionary<string, string>? parameters = null, ILogger<JenkinsClient>? logger = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var client = new JenkinsClient(http, TimeProvider.System, logger ?? NullLogger<JenkinsClient>.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await client.RunAsync(target, parameters ?? new Dictionary<string, string>(), cts.Token);
    }

    [Fact]
    public async Task RunAsync_CrumbRequired_TriggersWithCrumbAndFollowsQueueToResult()
    {
        await using var j = await FakeJenkins.StartAsync();

        var result = await RunAsync(Target(j), new Dictionary<string, string> { ["POOL"] = "web", ["DELTA"] = "+1" });

        Assert.True(result.Succeeded);
        Assert.Equal(new Uri(j.BaseAddress, "job/scale/12/"), result.BuildUrl);
        Assert.Equal("scale/buildWithParameters", Assert.Single(j.Triggered));
        Assert.Equal("web", j.Parameters["POOL"]);
        Assert.Equal("+1", j.Parameters["DELTA"]);
    }

    [Fact]
    public async Task RunAsync_NoCrumbIssuerAndFolderJob_TriggersWithoutCrumb()
    {
        await using var j = await FakeJenkins.StartAsync();
        j.CrumbEnabled = false;
        j.Result = "FAILURE";

        var result = await RunAsync(Target(j, job: "ops/scale"));

        Assert.False(result.Succeeded);
        Assert.Equal("FAILURE", result.Result);
        Assert.Equal("ops/job/scale/buildWithParameters", Assert.Single(j.Triggered));
    }

    [Fact]
    public async Task RunAsync_TriggerAnswers503Twice_RetriedThenFollowed()
    {
        await using var j = await FakeJenkins.StartAsync();
        j.FailTriggers = 2;

        var result = await RunAsync(Target(j));

        Assert.True(result.Succeeded);
        Assert.Equal(0, j.FailTriggers);
        Assert.Single(j.Triggered);
    }

    [Fact]
    public async Task RunAsync_Always503_FailsAfterAttemptsWithoutToken()
    {
        await using var j = await FakeJenkins.StartAsync();
        j.FailTriggers = 100;

        var ex = await Assert.ThrowsAsync<JenkinsException>(() => RunAsync(Target(j)));

        Assert.Contains("503", ex.Message, StringComparison.Ordinal);
        Assert.Equal(95, j.FailTriggers);
        Assert.DoesNotContain(FakeJenkins.Token, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WrongToken_ThrowsNaming401NotTheToken()
    {
        await using var j = await FakeJenkins.StartAsync();

        var ex = await Assert.ThrowsAsync<JenkinsException>(() => RunAsync(Target(j, token: "wrong-token-9f8e")));

        Assert.Contains("401", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-token-9f8e", ex.Message, StringComparison.Ordinal);
        Assert.Empty(j.Triggered);
    }

    [Fact]
    public async Task RunAsync_WithRetries_LogsStepsButNeverTheToken()
    {
        await using var j = await FakeJenkins.StartAsync();
        j.FailTriggers = 1;
        var logger = new ListLogger();

        var result = await RunAsync(Target(j), logger: logger);

        Assert.True(result.Succeeded);
        Assert.Contains(logger.Lines, l => l.Contains("retrying", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.Contains("SUCCESS", StringComparison.Ordinal));
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(FakeJenkins.User + ":" + FakeJenkins.Token));
        Assert.DoesNotContain(logger.Lines, l => l.Contains(FakeJenkins.Token, StringComparison.Ordinal) || l.Contains(basic, StringComparison.Ordinal));
    }
}

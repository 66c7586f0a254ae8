using System.Collections.Concurrent;
using Autoscaler.Load;
using Microsoft.Extensions.Time.Testing;
using static Autoscaler.Load.Tests.LoadHarness;

namespace Autoscaler.Load.Tests;

/// <summary>Open-loop behaviour against a Workload whose <c>/</c> never answers (its virtual CPU runs on a fake clock
/// nobody advances): whatever the answers do, the schedule is kept.</summary>
public class LoadGeneratorStalledServerTests
{
    [Fact]
    public async Task RunAsync_ServerNeverAnswers_SendsOnScheduleAndCountsTimeouts()
    {
        await using var app = await StartWorkloadAsync(new FakeTimeProvider());
        var samples = new ConcurrentQueue<LoadSample>();
        var generator = new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [app.AppUri],
            Profile = LoadProfile.Constant(40, TimeSpan.FromSeconds(2)),
            Arrivals = ArrivalProcess.Uniform,
            Timeout = TimeSpan.FromSeconds(1.5),
        });

        var report = await generator.RunAsync(samples.Enqueue);

        // A closed-loop client would have sent one request per connection and waited; this one sent all 80.
        Assert.Equal(80, report.Totals.Sent);
        Assert.Equal(0, report.Totals.Answered);
        Assert.Equal(80, report.Totals.ErrorsByKind.Timeout);
        Assert.Equal(new LoadRequestSummary(80, 80, report.Totals.P95Ms), report.Requests);
        // Timed-out requests waited at least their timeout: they weigh on the latency, not vanish from it.
        Assert.True(report.Totals.P50Ms >= 1500, $"p50 {report.Totals.P50Ms} ms");
        Assert.Contains(report.Seconds, s => s.InFlight >= 30);
        Assert.Equal(report.Seconds, samples);
    }

    [Fact]
    public async Task RunAsync_InFlightLimitReached_DropsArrivalsWithoutWaiting()
    {
        await using var app = await StartWorkloadAsync(new FakeTimeProvider());
        var generator = new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [app.AppUri],
            Profile = LoadProfile.Constant(40, TimeSpan.FromSeconds(2)),
            Arrivals = ArrivalProcess.Uniform,
            Timeout = TimeSpan.FromSeconds(4),
            MaxInFlight = 5,
        });

        var report = await generator.RunAsync();

        // The first five hold the limit until their timeout (after the schedule ends); every later arrival is dropped.
        Assert.Equal(5, report.Totals.Sent);
        Assert.Equal(75, report.Totals.ErrorsByKind.Dropped);
        Assert.Equal(80, report.Totals.Scheduled);
        Assert.Equal(80, report.Totals.Errors);
        Assert.Equal(5, report.Totals.ErrorsByKind.Timeout);
    }

    [Fact]
    public async Task RunAsync_Cancelled_StopsAndReturnsWhatHappened()
    {
        await using var app = await StartWorkloadAsync(new FakeTimeProvider());
        using var stop = new CancellationTokenSource();
        var generator = new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [app.AppUri],
            Profile = LoadProfile.Constant(20, TimeSpan.FromMinutes(10)),
            Timeout = TimeSpan.FromMinutes(5),
        });

        var report = await generator.RunAsync(s => { if (s.Second >= 1) { stop.Cancel(); } }, stop.Token);

        Assert.True(report.Cancelled);
        Assert.True(report.Totals.Sent > 0);
        // Everything in flight was abandoned, not counted against the target.
        Assert.Equal(report.Totals.Sent, report.Totals.Cancelled);
        Assert.Equal(0, report.Totals.Errors);
        Assert.True(report.Totals.ScheduleSeconds < 60);
    }
}

public class LoadGeneratorOverloadTests
{
    [Fact]
    public async Task RunAsync_OneVcpuOverloaded_LatencyIncludesQueueing()
    {
        // Capacity 10/s (one virtual CPU, 100 ms per request) against 20/s: the queue grows by 10 a second.
        await using var app = await StartWorkloadAsync(TimeProvider.System, vcpus: 1, workMs: 100, queue: 1000);
        var generator = new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [app.AppUri],
            Profile = LoadProfile.Constant(20, TimeSpan.FromSeconds(4)),
            Arrivals = ArrivalProcess.Uniform,
            Timeout = TimeSpan.FromSeconds(60),
        });

        var report = await generator.RunAsync();

        Assert.Equal(80, report.Totals.Ok);
        Assert.Equal(0, report.Totals.Errors);
        // Arrival k (at k/20 s) cannot finish before (k+1)/10 s: p95 is at least ~3.9 s whatever the machine.
        Assert.True(report.Totals.P95Ms > 2000, $"p95 {report.Totals.P95Ms} ms");
        var answered = report.Seconds.Where(s => s.P50Ms is not null).ToList();
        Assert.True(answered[^1].P50Ms > answered[0].P50Ms, "latency grows as the queue does");
        // Answers keep coming after the schedule ends: the run waits for them.
        Assert.True(report.Elapsed > TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task RunAsync_QueueFull_Counts503sAsHttp5xx()
    {
        await using var app = await StartWorkloadAsync(TimeProvider.System, vcpus: 1, workMs: 100, queue: 2);
        var generator = new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [app.AppUri],
            Profile = LoadProfile.Constant(30, TimeSpan.FromSeconds(2)),
            Arrivals = ArrivalProcess.Uniform,
            Timeout = TimeSpan.FromSeconds(30),
        });

        var report = await generator.RunAsync();

        // At most one running and two waiting: of 60 arrivals in 2 s, at most ~23 can be served.
        Assert.Equal(60, report.Totals.Ok + report.Totals.ErrorsByKind.Http5xx);
        Assert.True(report.Totals.ErrorsByKind.Http5xx >= 25, $"503s: {report.Totals.ErrorsByKind.Http5xx}");
        Assert.True(report.Totals.Ok >= 5, $"ok: {report.Totals.Ok}");
        Assert.Equal(report.Totals.ErrorsByKind.Http5xx, report.Totals.StatusCodes[503]);
        Assert.Equal(report.Totals.Errors, report.Seconds.Sum(s => s.Errors));
    }
}

public class LoadGeneratorErrorTests
{
    [Fact]
    public async Task RunAsync_NothingListening_CountsRefusedConnections()
    {
        var generator = new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [RefusingEndpoint()],
            Profile = LoadProfile.Constant(20, TimeSpan.FromSeconds(1)),
            Arrivals = ArrivalProcess.Uniform,
        });

        var report = await generator.RunAsync();

        Assert.Equal(20, report.Totals.Sent);
        Assert.Equal(20, report.Totals.ErrorsByKind.Refused);
        Assert.Equal(20, report.Totals.Errors);
        Assert.Equal(0, report.Totals.Answered);
        Assert.Null(report.Totals.P95Ms);
    }

    [Fact]
    public async Task RunAsync_TwoTargets_AlternatesAndCountsEachOutcome()
    {
        await using var app = await StartWorkloadAsync(TimeProvider.System);
        var generator = new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [new Uri(app.AppUri, "/health"), RefusingEndpoint()],
            Profile = LoadProfile.Constant(20, TimeSpan.FromSeconds(1)),
            Arrivals = ArrivalProcess.Uniform,
        });

        var report = await generator.RunAsync();

        Assert.Equal(10, report.Totals.Ok);
        Assert.Equal(10, report.Totals.ErrorsByKind.Refused);
        Assert.Equal(10, report.Totals.StatusCodes[200]);
    }

    [Fact]
    public async Task RunAsync_NotFound_CountsHttp4xx()
    {
        await using var app = await StartWorkloadAsync(TimeProvider.System);
        var generator = new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [new Uri(app.AppUri, "/missing")],
            Profile = LoadProfile.Constant(10, TimeSpan.FromSeconds(1)),
            Arrivals = ArrivalProcess.Uniform,
        });

        var report = await generator.RunAsync();

        Assert.Equal(10, report.Totals.ErrorsByKind.Http4xx);
        Assert.Equal(10, report.Totals.Answered);
        Assert.Equal(10, report.Totals.StatusCodes[404]);
        Assert.NotNull(report.Totals.P95Ms);
    }

    [Fact]
    public void Constructor_InvalidOptions_ListsEveryProblem()
    {
        var e = Assert.Throws<ArgumentException>(() => new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [new Uri("http://10.1.2.3/")],
            Profile = LoadProfile.Constant(1, TimeSpan.FromSeconds(1)),
            Timeout = TimeSpan.Zero,
            MaxInFlight = 0,
        }));

        Assert.Contains("127.0.0.0/8", e.Message, StringComparison.Ordinal);
        Assert.Contains("timeout must be greater than 0", e.Message, StringComparison.Ordinal);
        Assert.Contains("max in flight must be at least 1", e.Message, StringComparison.Ordinal);
    }
}

public class LoadGeneratorTraceTests
{
    [Fact]
    public async Task RunAsync_TraceWithScaleAndSpeedup_SendsTheScaledShape()
    {
        await using var app = await StartWorkloadAsync(TimeProvider.System);
        // Three one-minute buckets at 1, 2 and 0.5 requests/s, ×10, one minute of trace per second.
        Assert.True(LoadProfile.TryReadTrace(new StringReader("t_seconds,requests_per_second\n0,1\n60,2\n120,0.5\n"),
            new TraceReplay { Scale = 10, Speedup = 60 }, "trace.csv", out var profile, out var errors), string.Join("; ", errors));
        var generator = new LoadGenerator(new LoadGeneratorOptions
        {
            Targets = [new Uri(app.AppUri, "/health")],
            Profile = profile!,
            Arrivals = ArrivalProcess.Uniform,
        });

        var report = await generator.RunAsync();

        Assert.Equal(35, report.Totals.Ok);
        Assert.Equal(0, report.Totals.Errors);
        Assert.Equal([10.0, 20.0, 5.0], report.Seconds.Take(3).Select(s => Math.Round(s.TargetRate, 6)));
        Assert.InRange(report.Totals.ScheduleSeconds, 2.99, 3.01);
    }
}

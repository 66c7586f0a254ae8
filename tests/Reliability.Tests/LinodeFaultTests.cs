using System.Globalization;
using System.Text.Json;
using Reliability.Tests.Support;

namespace Reliability.Tests;

/// <summary>
/// The autoscaler (a real <c>serve</c> process) against an emulator that injects the faults of a bad day at Linode:
/// 30 % of API calls answered 429 with <c>Retry-After: 2</c>, 10 % answered 500, 2 s of latency on every call, and
/// boots that fail (every boot until the first failure, then one in four). The pool must still converge to the size it
/// was asked for; every retry after a 429 must come no sooner than the Retry-After said (measured on the wire by the
/// proxy between the autoscaler and the emulator); and the failures must be visible: /metrics counts exactly the 429s
/// and 500s the wire carried, and the audit trail shows the failed launch and the replacement of each instance whose
/// boot failed. The first create under faults is answered 500 on purpose (the emulator's 500 rate is raised to 1 for
/// the length of that one call) so a failed operation is always there to be seen.
/// </summary>
public sealed class LinodeFaultTests(ITestOutputHelper output)
{
    private const int Min = 2;
    private const int Max = 5;
    private const int RetryAfter = 2;
    private static readonly object BadDay = new { rate_429 = 0.3, retry_after_seconds = RetryAfter, rate_500 = 0.1, latency_ms = 2000 };

    [Fact]
    public async Task Serve_Under429And500LatencyAndBootFailures_ConvergesHonouringRetryAfterAndReportsTheFailures()
    {
        // make soak: three rounds of scaling up to max and back down to min under the faults; make test: one scale-up.
        // A short grace: a failed boot is replaced soon (a member waiting for its join is never judged by it).
        var rounds = Soak.IsSoak ? 3 : 1;
        await using var run = await AutoscalerRun.StartAsync(output,
            new PoolSettings { Min = Min, Max = Max, Desired = Min, Grace = "5s", ReplaceAfter = "2s", Drain = "1s", Interval = "1s" },
            realRuntimes: false);
        try
        {
            await run.StartServeAsync();
            await run.WaitConvergedAsync(Min, "the pool at its minimum before the faults", TimeSpan.FromSeconds(90));

            var forced = ForceFirstCreateToFail(run);
            var faultsFrom = run.Proxy.Count;
            var startedAt = Clock.Now;
            await run.Cloud.SetFaultsAsync(BadDay);
            await run.Cloud.SetFaultsAsync(new { boot_failure_rate = 1.0 });
            var target = Min;
            for (var round = 1; round <= rounds; round++)
            {
                // One launch in the short form: the forced 500 fails it, its second try fails to boot, then a replacement.
                target = Soak.IsSoak ? Max : Min + 1;
                await run.ScaleAsync(target);
                if (round == 1)
                {
                    await Wait.UntilAsync(async () => Members(await run.PoolAsync()).Any(m => m.GetProperty("state").GetString() == "offline"),
                        "a boot to fail", TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(250));
                    await run.Cloud.SetFaultsAsync(new { boot_failure_rate = 0.25 });
                }

                await WaitServedAsync(run, target, $"round {round}: {target} serving under faults");
                run.Log($"round {round}: {target} serving after {Clock.Now - startedAt:0} s under faults");
                if (Soak.IsSoak)
                {
                    target = Min;
                    await run.ScaleAsync(target);
                    await WaitServedAsync(run, target, $"round {round}: back to {target} under faults");
                    run.Log($"round {round}: back to {target} after {Clock.Now - startedAt:0} s under faults");
                }
            }

            var convergedAfter = Clock.Now - startedAt;
            await run.Cloud.SetFaultsAsync(new { rate_429 = 0.0, rate_500 = 0.0, latency_ms = 0, boot_failure_rate = 0.0 });
            run.Proxy.BeforeForward = null;
            run.Proxy.AfterForward = null;
            // The cloud itself, read without faults: the size asked for, nothing leaked, no orphan node.
            await run.WaitConvergedAsync(target, "the pool converged, checked against the emulator", TimeSpan.FromSeconds(60));

            var calls = run.Proxy.Exchanges.Where(e => e.Seq > faultsFrom).ToArray();
            var all = run.Proxy.Exchanges;
            var tooMany = all.Count(e => e.Status == 429);
            var serverErrors = all.Count(e => e.Status == 500);
            Assert.True(tooMany > 0, "no 429 was injected");

            // Retry-After honoured: each 429'd call came again no sooner than Retry-After after its answer.
            var retries = RetryPairs(calls).ToArray();
            Assert.NotEmpty(retries);
            var early = retries.Where(r => r.Gap < r.First.RetryAfter!.Value - 0.02).ToArray();
            Assert.True(early.Length == 0, "retried sooner than Retry-After: "
                + string.Join("; ", early.Select(r => $"{r.First} then #{r.Next.Seq} after {r.Gap:0.000} s (Retry-After {r.First.RetryAfter})")));

            // /metrics counts exactly what the wire carried (once the last answers are in).
            string metrics = "";
            await Wait.UntilAsync(async () =>
            {
                metrics = await run.MetricsAsync();
                var m429 = PromText.Sum(metrics, "autoscaler_linode_api_requests_total", "code=\"429\"");
                var m500 = PromText.Sum(metrics, "autoscaler_linode_api_requests_total", "code=\"500\"");
                return m429 == tooMany && m500 == serverErrors ? null : $"/metrics says {m429} 429s and {m500} 500s, the wire carried {tooMany} and {serverErrors}";
            }, "/metrics to count the injected failures", TimeSpan.FromSeconds(60));
            var retried429 = PromText.Sum(metrics, "autoscaler_linode_api_retries_total", "outcome=\"429\"");
            var failedLaunches = PromText.Sum(metrics, "autoscaler_actions_total", "direction=\"up\"", "result=\"failed\"");
            Assert.True(retried429 > 0, "no retry after a 429 in /metrics");
            Assert.True(failedLaunches >= 1, "no failed launch in /metrics");

            // The audit trail: the failed launch, and each instance whose boot failed removed (replaced).
            var (forcedLabel, forcedStatus) = await forced.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(500, forcedStatus);
            var ops = (await run.EventsAsync()).Where(e => e.GetProperty("type").GetString() == "operation")
                .Select(e => e.GetProperty("operation")).ToArray();
            Assert.Contains(ops, o => Is(o, "launch", "failed", forcedLabel));
            var failedBoots = await run.Cloud.FailedBootsAsync();
            Assert.NotEmpty(failedBoots);
            foreach (var label in failedBoots)
            {
                Assert.True(ops.Any(o => Is(o, "remove", "succeeded", label)), $"{label} failed to boot and was never removed");
            }

            Assert.Contains(ops, o => Is(o, "remove", "started", null) && o.GetProperty("detail").GetString()!.StartsWith("replace:", StringComparison.Ordinal)
                && failedBoots.Contains(o.GetProperty("label").GetString()));

            var gaps = retries.Select(r => r.Gap).ToArray();
            run.Log(string.Create(CultureInfo.InvariantCulture,
                $"faults: {calls.Length} API calls in {convergedAfter:0} s under faults ({rounds} round(s)); 429: {tooMany}, 500: {serverErrors} "
                + $"(each matched by /metrics); retries after a 429 seen on the wire: {retries.Length}, gap min {gaps.Min():0.000} s / median "
                + $"{gaps.Order().ElementAt(gaps.Length / 2):0.000} s (Retry-After {RetryAfter} s); failed boots: {failedBoots.Count}, all replaced; "
                + $"failed launches: {failedLaunches} (in /metrics and the audit trail); converged at {target}, leaked 0, orphans 0"));
        }
        catch
        {
            run.DumpLogs();
            throw;
        }
    }

    /// <summary>Makes the emulator answer the first instance create 500 (and nothing 429 meanwhile, so the 500 is what
    /// that call gets), then puts the bad day back. Gives the label of that create and the status it got.</summary>
    private static Task<(string Label, int Status)> ForceFirstCreateToFail(AutoscalerRun run)
    {
        var forced = new TaskCompletionSource<(string, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
        long forcedSeq = 0;
        run.Proxy.BeforeForward = async call =>
        {
            if (call.Method == "POST" && call.Target.Split('?')[0] == "/v4/linode/instances"
                && Interlocked.CompareExchange(ref forcedSeq, call.Seq, 0) == 0)
            {
                await run.Cloud.SetFaultsAsync(new { rate_429 = 0.0, rate_500 = 1.0 });
            }

            return ProxyVerdict.Forward;
        };
        run.Proxy.AfterForward = async call =>
        {
            if (call.Seq == Interlocked.Read(ref forcedSeq))
            {
                await run.Cloud.SetFaultsAsync(BadDay);
                forced.TrySetResult((JsonDocument.Parse(call.Body).RootElement.GetProperty("label").GetString()!, call.Status));
            }

            return false;
        };
        return forced.Task;
    }

    /// <summary>Waits until the autoscaler itself reports <paramref name="size"/> serving with nothing in flight (the
    /// emulator's API is under faults, so the test does not poll it meanwhile).</summary>
    private static Task WaitServedAsync(AutoscalerRun run, int size, string what) =>
        Wait.UntilAsync(async () =>
        {
            var pool = await run.PoolAsync();
            var members = Members(pool);
            var serving = members.Count(m => m.GetProperty("lifecycle").GetString() == "serving");
            var open = pool.GetProperty("operations").GetArrayLength();
            return members.Length == size && serving == size && open == 0 && pool.GetProperty("desired").GetInt32() == size
                ? null
                : $"{serving}/{members.Length} serving, {open} open operation(s), desired {pool.GetProperty("desired")}";
        }, what, TimeSpan.FromMinutes(Soak.IsSoak ? 10 : 5), TimeSpan.FromMilliseconds(500));

    private static JsonElement[] Members(JsonElement pool) => [.. pool.GetProperty("members").EnumerateArray()];

    private static bool Is(JsonElement op, string kind, string @event, string? label) =>
        op.GetProperty("kind").GetString() == kind && op.GetProperty("event").GetString() == @event
        && (label is null || op.GetProperty("label").GetString() == label);

    /// <summary>Each 429'd call and the next identical call (same method, target, filter and body): its retry.</summary>
    private static IEnumerable<(Exchange First, Exchange Next, double Gap)> RetryPairs(Exchange[] calls)
    {
        for (var i = 0; i < calls.Length; i++)
        {
            var first = calls[i];
            if (first.Status != 429 || first.RetryAfter is null || double.IsNaN(first.RespondedAt))
            {
                continue;
            }

            for (var j = i + 1; j < calls.Length; j++)
            {
                if (calls[j].Key == first.Key)
                {
                    yield return (first, calls[j], calls[j].ReceivedAt - first.RespondedAt);
                    break;
                }
            }
        }
    }
}

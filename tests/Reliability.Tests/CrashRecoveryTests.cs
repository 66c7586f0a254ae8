using System.Globalization;
using Reliability.Tests.Support;

namespace Reliability.Tests;

/// <summary>
/// kill -9 of a real <c>linode-autoscaler serve</c> process at random points of scale-ups and scale-downs, then a
/// restart on the same config and SQLite journal. Each iteration picks its point from a seeded random source (printed;
/// <c>RELIABILITY_SEED</c> replays it): a random delay after the scale was accepted, or the N-th Linode API call after
/// it, or the N-th call that changes the cloud (create, join, drain, delete), killed either before the call reaches
/// the API or after the API acted on it but before the answer got back.
/// After every restart, checked against the emulator's API: the desired size from before the crash is back, the pool
/// converges to it, no leaked instance (pool-tagged, not in the NodeBalancer, not in an open operation), no orphan node,
/// no stray instance on the account; and during the whole iteration, crash included, the members serving never fell
/// below min. 5 iterations in <c>make test</c>, <c>SOAK_ITERATIONS</c> (50) in <c>make soak</c>.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int Min = 2;
    private const int Max = 6;

    private enum KillPoint
    {
        /// <summary>A random delay after the scale request was accepted.</summary>
        Delay,

        /// <summary>The N-th Linode call after the scale is never sent: the autoscaler dies as it makes it.</summary>
        BeforeCall,

        /// <summary>The API acted on the N-th call, the autoscaler dies before it hears the answer.</summary>
        AfterCall,

        /// <summary>As <see cref="BeforeCall"/>, counting only the calls that change the cloud (create, join, drain,
        /// delete).</summary>
        BeforeWrite,

        /// <summary>As <see cref="AfterCall"/>, counting only the calls that change the cloud: e.g. the instance was
        /// created but the autoscaler never learnt its id.</summary>
        AfterWrite,
    }

    [Fact]
    public async Task Serve_KilledAtRandomPointsOfScaleUpAndDown_RestartRestoresDesiredWithoutLeaksOrOrphansNeverBelowMin()
    {
        var iterations = Soak.CrashIterations;
        var seed = Soak.Seed(nameof(CrashRecoveryTests));
        var rng = new Random(seed);
        output.WriteLine($"seed {seed} (RELIABILITY_SEED={seed} replays these choices); {iterations} iterations; pool min {Min}, max {Max}");

        // Fake runtimes: the API state (instances, nodes, statuses) is the emulator's own, only no process is spawned,
        // so an iteration costs seconds. A little API latency widens the windows between the calls of one operation.
        // Linode's published rate limits stay reported but are set out of reach: an evaluation every 300 ms and a
        // dozen creates a minute would otherwise make the client wait (rightly) for the windows to reset.
        await using var run = await AutoscalerRun.StartAsync(output, new PoolSettings { Min = Min, Max = Max, Desired = Min, Drain = "1s", Interval = "300ms" },
            realRuntimes: false, emulator: o =>
            {
                o.Faults.LatencyMs = 30;
                // Limits off: a 300 ms loop killed and restarted at random points re-reads the whole pool many times a
                // second, far past Linode's 200 paginated GETs a minute; these runs test recovery, not pacing.
                o.RateLimits.Enabled = false;
            });
        var totals = new Totals();
        try
        {
            await run.StartServeAsync();
            await run.WaitConvergedAsync(Min, "the pool at its minimum", TimeSpan.FromSeconds(90));
            var size = Min;
            var settled = true;
            for (var i = 1; i <= iterations; i++)
            {
                // One iteration in four hands over to the next without waiting for convergence: the next scale and
                // kill then hit an autoscaler that is still recovering from the last crash.
                var chain = i < iterations && rng.Next(4) == 0;
                size = await IterationAsync(run, rng, i, iterations, size, settled, chain, totals);
                settled = !chain;
            }
        }
        catch
        {
            run.DumpLogs();
            throw;
        }

        output.WriteLine($"summary: {iterations} kill -9 iterations ({totals.Ups} scale-ups, {totals.Downs} scale-downs; kills: "
            + $"{totals.ByPoint[KillPoint.Delay]} after a delay, {totals.ByPoint[KillPoint.BeforeCall]} before a call, {totals.ByPoint[KillPoint.AfterCall]} after a call, "
            + $"{totals.ByPoint[KillPoint.BeforeWrite]} before a write, {totals.ByPoint[KillPoint.AfterWrite]} after a write); "
            + $"operations open at a kill: {totals.OpenAtKill}; leaked = {totals.Leaked}, orphan nodes = {totals.Orphans}, stray instances = {totals.Stray}, "
            + $"lowest serving = {totals.LowestServing} (min {Min}), desired restored {totals.Restored}/{iterations}; {totals.Converged} converged and checked, "
            + $"{totals.Chained} chained into the next before converging; serve started {run.Starts} times");
        Assert.Equal(0, totals.Leaked);
        Assert.Equal(0, totals.Orphans);
        Assert.Equal(iterations, totals.Restored);
    }

    private static async Task<int> IterationAsync(AutoscalerRun run, Random rng, int i, int iterations, int size, bool settled, bool chain,
        Totals totals)
    {
        var up = size == Min || (size != Max && rng.Next(2) == 0);
        var target = up ? rng.Next(size + 1, Math.Min(Max, size + 3) + 1) : rng.Next(Math.Max(Min, size - 3), size);
        // How many writes a change takes is only known from a settled pool.
        var point = (KillPoint)rng.Next(settled ? 5 : 3);
        // Half the delays fall in the first 300 ms, where launches and drains are being journaled and sent.
        var delay = TimeSpan.FromMilliseconds(rng.Next(2) == 0 ? rng.Next(0, 300) : rng.Next(300, 2500));
        // A scale-up by d makes 2d writes (create, join), a scale-down 3d (drain, remove node, delete instance).
        var writes = up ? 2 * (target - size) : 3 * (size - target);
        var nth = point is KillPoint.BeforeWrite or KillPoint.AfterWrite ? rng.Next(1, writes + 1) : rng.Next(1, 16);
        (up ? ref totals.Ups : ref totals.Downs)++;
        totals.ByPoint[point]++;

        var servingAtStart = (await run.ViewAsync()).Serving;
        using var watch = new ServingWatch(run);
        var serve = run.Serve!;
        var killed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await run.ScaleAsync(target);
        var scaledAt = Clock.Now;
        var seen = 0;
        bool Counts(Exchange call) => point is KillPoint.BeforeCall or KillPoint.AfterCall || call.Method != "GET";
        bool IsNth(Exchange call) => Counts(call) && Interlocked.Increment(ref seen) == nth;
        var what = point is KillPoint.BeforeWrite or KillPoint.AfterWrite ? "write" : "call";
        switch (point)
        {
            case KillPoint.Delay:
                await Task.Delay(delay);
                serve.KillNow();
                killed.TrySetResult($"{delay.TotalSeconds:0.00} s after the scale");
                break;
            case KillPoint.BeforeCall or KillPoint.BeforeWrite:
                run.Proxy.BeforeForward = call =>
                {
                    if (!IsNth(call))
                    {
                        return Task.FromResult(ProxyVerdict.Forward);
                    }

                    serve.KillNow();
                    killed.TrySetResult($"before {what} {nth} ({call.Method} {Path(call)}), {Clock.Now - scaledAt:0.00} s after the scale");
                    return Task.FromResult(ProxyVerdict.Drop);
                };
                break;
            default:
                run.Proxy.AfterForward = call =>
                {
                    if (!IsNth(call))
                    {
                        return Task.FromResult(false);
                    }

                    serve.KillNow();
                    killed.TrySetResult($"after {what} {nth} ({call.Method} {Path(call)} → {call.Status} at the API), {Clock.Now - scaledAt:0.00} s after the scale");
                    return Task.FromResult(true);
                };
                break;
        }

        // The evaluation loop calls the API every few hundred milliseconds, so the N-th call always comes; the N-th
        // write comes because N is within the writes the change needs.
        var where = await killed.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await run.KillServeAsync();
        run.Proxy.BeforeForward = null;
        run.Proxy.AfterForward = null;

        var journal = JournalState.Read(run.JournalPath, AutoscalerRun.Pool);
        var atKill = await run.ViewAsync();
        totals.OpenAtKill += journal.Open.Count;
        Assert.True(journal.Desired == target, $"iteration {i}: the journal of the killed autoscaler says desired {journal.Desired}, the scale asked {target}");

        var restartedAt = Clock.Now;
        await run.StartServeAsync();
        int? restored = null;
        await Wait.UntilAsync(async () =>
        {
            var d = (await run.PoolAsync()).GetProperty("desired");
            restored = d.ValueKind == System.Text.Json.JsonValueKind.Number ? d.GetInt32() : null;
            return restored is not null;
        }, "the restarted autoscaler to report a desired size", TimeSpan.FromSeconds(60));
        Assert.True(restored == target, $"iteration {i}: after the restart desired is {restored}, before the crash it was {target}");
        totals.Restored++;

        var lowest = 0;
        if (chain)
        {
            lowest = await watch.StopAsync();
            totals.LowestServing = Math.Min(totals.LowestServing, lowest);
            totals.Chained++;
            run.Log(string.Create(CultureInfo.InvariantCulture,
                $"#{i}/{iterations} {(up ? "up" : "down")} {size}→{target}; kill -9 {where}; at the kill: {atKill.Live.Count} instances, {atKill.Nodes.Count} nodes, "
                + $"open operations: {journal.Describe()}; restart: desired {restored} restored; the next scale follows before convergence; lowest serving {lowest}"));
        }
        else
        {
            await run.WaitConvergedAsync(target, $"iteration {i}: the pool converged at {target} after the restart", TimeSpan.FromSeconds(90));
            var converged = Clock.Now - restartedAt;

            var view = await run.ViewAsync();
            var leaked = view.Leaked(AutoscalerRun.OpenOperationKeys(await run.PoolAsync())).Count;
            var orphans = view.Orphans.Count;
            var stray = view.Untagged(AutoscalerRun.PoolTag).Count;
            totals.Leaked += leaked;
            totals.Orphans += orphans;
            totals.Stray += stray;
            totals.Converged++;
            lowest = await watch.StopAsync();
            totals.LowestServing = Math.Min(totals.LowestServing, lowest);

            run.Log(string.Create(CultureInfo.InvariantCulture,
                $"#{i}/{iterations} {(up ? "up" : "down")} {size}→{target}; kill -9 {where}; at the kill: {atKill.Live.Count} instances, {atKill.Nodes.Count} nodes, "
                + $"open operations: {journal.Describe()}; restart: desired {restored} restored, converged in {converged:0.0} s; "
                + $"leaked {leaked}, orphans {orphans}, stray {stray}, lowest serving {lowest}"));
            Assert.True(leaked == 0, $"iteration {i}: {leaked} leaked instance(s): {view.Describe()}");
            Assert.True(orphans == 0, $"iteration {i}: {orphans} orphan node(s): {view.Describe()}");
            Assert.True(stray == 0, $"iteration {i}: {stray} instance(s) without the pool tag");
        }

        Assert.True(lowest >= Min, $"iteration {i}: serving members fell to {lowest}, below min {Min}");
        // Stronger: only the victims of a scale-down ever stop serving, so the pool never serves fewer than it did at
        // the start or than the new size, whichever is smaller — or, after a chained iteration, than the size the
        // unfinished scale-down before it was still draining towards.
        var floor = Math.Min(servingAtStart, target);
        if (!settled)
        {
            floor = Math.Min(floor, size);
        }

        Assert.True(lowest >= floor,
            $"iteration {i}: serving members fell to {lowest} while going {size}→{target} (serving {servingAtStart} at the start)");
        return target;
    }

    private static string Path(Exchange call)
    {
        var q = call.Target.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? call.Target : call.Target[..q];
    }

    private sealed class Totals
    {
        public int Ups;
        public int Downs;
        public int OpenAtKill;
        public int Leaked;
        public int Orphans;
        public int Stray;
        public int Restored;
        public int Converged;
        public int Chained;
        public int LowestServing = int.MaxValue;
        public Dictionary<KillPoint, int> ByPoint { get; } = Enum.GetValues<KillPoint>().ToDictionary(p => p, _ => 0);
    }

    /// <summary>Samples the emulator all along an iteration: the fewest members serving (running, node accept and UP).</summary>
    private sealed class ServingWatch : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<int> _loop;

        public ServingWatch(AutoscalerRun run) => _loop = LoopAsync(run, _stop.Token);

        public async Task<int> StopAsync()
        {
            await _stop.CancelAsync();
            return await _loop;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }

        private static async Task<int> LoopAsync(AutoscalerRun run, CancellationToken ct)
        {
            var lowest = int.MaxValue;
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    lowest = Math.Min(lowest, (await run.ViewAsync()).Serving);
                    await Task.Delay(40, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
            }

            return lowest;
        }
    }
}

using System.Globalization;
using System.Text.Json;
using Autoscaler.Linode.Models;
using Reliability.Tests.Support;

namespace Reliability.Tests;

/// <summary>
/// An emulated instance's process dies (the emulator kills it, as a kernel panic or an OOM kill would): the real
/// NodeBalancer's active health check marks its node DOWN, and the autoscaler (a real <c>serve</c> process) launches a
/// replacement no sooner than <c>replace_after</c> after the death, removes the dead one once the replacement serves,
/// and the pool is back at its size with every node UP. Real Workload processes behind real YARP listeners, health
/// checks every 2 s. One death in <c>make test</c>, three in a row in <c>make soak</c>.
/// </summary>
public sealed class InstanceFailureTests(ITestOutputHelper output)
{
    private const int Size = 2;
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReplaceAfter = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task InstanceProcess_Dies_NodeGoesDownThenReplacedAfterReplaceAfter()
    {
        var deaths = Soak.IsSoak ? 3 : 1;
        var seed = Soak.Seed(nameof(InstanceFailureTests));
        var rng = new Random(seed);
        output.WriteLine($"seed {seed}; {deaths} instance death(s)");
        await using var run = await AutoscalerRun.StartAsync(output,
            new PoolSettings { Min = Size, Max = Size + 1, Desired = Size, Grace = "10s", ReplaceAfter = "5s", Drain = "1s", Interval = "1s" },
            realRuntimes: true);
        try
        {
            await run.StartServeAsync();
            await run.WaitConvergedAsync(Size, "the pool serving with real instances", TimeSpan.FromMinutes(3));

            for (var k = 1; k <= deaths; k++)
            {
                // Past their grace, members count as unhealthy from the moment their node goes DOWN, so what follows
                // measures replace_after alone.
                await Wait.UntilAsync(async () => (await run.ViewAsync()).Members.All(m => m.Created + Grace < TimeProvider.System.GetUtcNow()),
                    "every member past its grace", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));
                var before = await run.ViewAsync();
                var victim = before.Members[rng.Next(before.Members.Count)];
                var address = victim.PrivateIpv4 + ":" + CloudView.NodePort;
                var killedAt = TimeProvider.System.GetUtcNow();
                var t0 = Clock.Now;
                Assert.True(await run.Cloud.KillProcessAsync(victim.Id), $"{victim.Label} had no process to kill");

                await Wait.UntilAsync(async () => (await run.ViewAsync()).Nodes.Any(n => n.Address == address && n.Status == NodeStatus.Down),
                    $"the node of {victim.Label} to go DOWN", TimeSpan.FromSeconds(60));
                var down = Clock.Now - t0;

                await run.WaitConvergedAsync(Size, $"death {k}: {victim.Label} replaced", TimeSpan.FromMinutes(3));
                var after = await run.ViewAsync();
                Assert.DoesNotContain(after.All, i => i.Id == victim.Id);
                var replacement = Assert.Single(after.Members, m => before.Members.All(b => b.Id != m.Id));
                var replaced = Clock.Now - t0;

                // The audit trail: the dead member removed as a replacement, and the launch of its replacement, both
                // no sooner than replace_after after the death.
                var ops = (await run.EventsAsync()).Where(e => e.GetProperty("type").GetString() == "operation").ToArray();
                var removal = Assert.Single(ops, e => Op(e, "remove", "started") && Label(e) == victim.Label);
                Assert.StartsWith("replace:", removal.GetProperty("operation").GetProperty("detail").GetString(), StringComparison.Ordinal);
                var launch = Assert.Single(ops, e => Op(e, "launch", "started") && Label(e) == replacement.Label);
                foreach (var e in new[] { removal, launch })
                {
                    var at = e.GetProperty("at").GetDateTimeOffset();
                    Assert.True(at >= killedAt + ReplaceAfter - TimeSpan.FromMilliseconds(10),
                        $"{Label(e)}: {e.GetProperty("operation").GetProperty("kind")} at {at:O}, before replace_after ({ReplaceAfter.TotalSeconds} s) after the death at {killedAt:O}");
                }

                run.Log(string.Create(CultureInfo.InvariantCulture,
                    $"death {k}/{deaths}: {victim.Label} killed; node DOWN after {down:0.0} s; replacement {replacement.Label} launched "
                    + $"{(launch.GetProperty("at").GetDateTimeOffset() - killedAt).TotalSeconds:0.0} s after the death (replace_after {ReplaceAfter.TotalSeconds:0} s); "
                    + $"pool back at {Size} serving after {replaced:0.0} s; leaked 0, orphans 0"));
            }
        }
        catch
        {
            run.DumpLogs();
            throw;
        }
    }

    private static bool Op(JsonElement e, string kind, string @event)
    {
        var op = e.GetProperty("operation");
        return op.GetProperty("kind").GetString() == kind && op.GetProperty("event").GetString() == @event;
    }

    private static string? Label(JsonElement e) => e.GetProperty("operation").GetProperty("label").GetString();
}

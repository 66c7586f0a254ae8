using Autoscaler.Sandbox.Bench;
using Reliability.Tests.Support;

namespace Reliability.Tests;

/// <summary>
/// The short form of <c>linode-autoscaler bench --only failover</c> (the long form, 20 kills, runs in <c>make soak</c>):
/// two real <c>serve</c> replicas on one PostgreSQL journal, the leader SIGKILLed at a seeded random point of a
/// scale-up, twice (so each replica leads and is killed once).
/// </summary>
public sealed class FailoverBenchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FailoverBench_LeaderKilledDuringScaleUp_StandbyTakesOverWithinBoundWithoutDuplicatesLeaksOrOrphans()
    {
        var seed = Soak.Seed(nameof(FailoverBenchTests));
        using var dir = new TempDir();
        var settings = new FailoverSettings { Iterations = 2, Seed = seed, WorkDirectory = dir.Path, Program = ServeProgram.InOutputFolder() };
        output.WriteLine($"seed {seed} (RELIABILITY_SEED={seed} replays these choices)");
        using var log = new StringWriter();
        FailoverFigures figures;
        try
        {
            figures = await new FailoverBench(settings, log).RunAsync(CancellationToken.None);
        }
        finally
        {
            output.WriteLine(log.ToString());
        }

        Assert.Equal(2, figures.TakeoverSeconds.Count);
        Assert.Equal(0, figures.DuplicateCreates);
        Assert.Equal(0, figures.LeakedInstances);
        Assert.Equal(0, figures.OrphanNodes);
        Assert.Equal(0, figures.LeftoverProcesses);
        Assert.Equal(0, figures.LeftoverInstances);
        // A correctness bound, not a timing figure: the dead leader's lease runs out at most one lease after the kill,
        // the standby tries to take it every lease/3, and its engine's first cycle comes within one evaluation
        // interval; the slack (FailoverSettings.Slack: lease/3 + 3 s for a loaded 2-core machine) covers that poll and
        // the start of the engine. A takeover beyond it means the election or the engine's start is wrong.
        Assert.True(figures.TakeoverSecondsMax <= settings.TakeoverBound.TotalSeconds,
            $"takeover took {figures.TakeoverSecondsMax:0.00} s, more than lease {settings.Lease.TotalSeconds} s + evaluation {settings.EvaluationInterval.TotalSeconds} s + slack {settings.Slack.TotalSeconds:0.0} s");
    }
}

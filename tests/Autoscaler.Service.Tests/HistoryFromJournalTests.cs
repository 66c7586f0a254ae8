using Autoscaler.Core;
using Autoscaler.Core.Audit;
using Autoscaler.Service.Dashboard;
using Autoscaler.Service.Storage;
using Autoscaler.Service.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Service.Tests;

/// <summary>After a restart the dashboard's instances chart goes on from the journal's decisions.</summary>
public sealed class HistoryFromJournalTests
{
    [Fact]
    public async Task Restore_JournalWithDecisions_GivesTheSizesWithinTheWindowOldestFirst()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero));
        var path = Path.Combine(dir.Path, "journal.db");
        var start = time.GetUtcNow();
        using (var store = SqliteStore.Open(path, time))
        {
            foreach (var (minutes, desired, live, serving) in new[] { (-90, 2, 2, 2), (-20, 4, 3, 2), (-10, 4, 4, 4) })
            {
                await store.RecordDecisionAsync(new Decision
                {
                    Pool = "web", At = start.AddMinutes(minutes), Current = live, Serving = serving, PreviousDesired = 2, Desired = desired,
                    Min = 2, Max = 6, Direction = ScaleDirection.Up, Action = DecisionAction.ScaleUp, Reason = "test",
                }, CancellationToken.None);
            }
        }

        using var reopened = SqliteStore.Open(path, time);
        var history = new DashboardHistory(["web"], 100);

        var restored = HistoryFromJournal.Restore(history, reopened, ["web"], start.AddHours(-1), 100);

        Assert.Equal(2, restored);
        var samples = history.Get("web")!.Since(null);
        Assert.Equal([start.AddMinutes(-20), start.AddMinutes(-10)], samples.Select(s => s.At));
        Assert.Equal((2, 1, 4, 2, 6), (samples[0].Serving, samples[0].Booting, samples[0].Desired!.Value, samples[0].Min, samples[0].Max));
        Assert.Null(samples[0].Requests);
    }
}

using System.Globalization;
using System.Text.Json;
using Autoscaler.Sandbox;
using Reliability.Tests.Support;

namespace Reliability.Tests;

/// <summary>
/// Billing-aware scale-in against the emulator, with the billing period shortened to a minute on both sides (the
/// emulator's <c>billing_period</c> and the autoscaler's <c>linode.billing_period</c>) and <c>scale_down.billing:
/// hourly</c>: a short spike, back down, and a second spike while the first spike's members are still in their paid
/// period re-uses them (no create for the second spike); they are released just before their period ends; and the
/// autoscaler's month-to-date bill equals the change of the emulator's <c>balance_uninvoiced</c> over the test, to
/// the cent (both sides' own arithmetic).
/// </summary>
public sealed class BillingReuseTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(60);
    private const int Min = 2;
    private const int Spike = 4;

    [Fact]
    public async Task SecondSpike_FirstSpikesMembersStillPaid_ReusedWithoutCreateAndBilledEqualsCloudBalance()
    {
        // A 1 s evaluation: each pass lists instances and nodes (two paginated GETs), and Linode allows 200 paginated
        // GETs a minute; at 500 ms the emulator's limit answered 429 (Retry-After ~11 s) once a minute, and the stall
        // fell on the release point of every period, so the surplus was kept period after period.
        await using var run = await AutoscalerRun.StartAsync(output,
            new PoolSettings
            {
                Min = Min, Max = Spike, Desired = Min, Drain = "1s", Interval = "1s",
                LinodeExtra = "billing_period: 60s",
                ScaleDownExtra = "billing: hourly, release_margin: 5s",
            },
            realRuntimes: false, emulator: o => o.BillingPeriod = Period);
        try
        {
            var balanceBefore = await run.Cloud.BalanceUninvoicedAsync();
            await run.StartServeAsync();
            await run.WaitConvergedAsync(Min, "the pool at its minimum", TimeSpan.FromSeconds(60));
            var baseIds = (await run.ViewAsync()).Members.Select(m => m.Id).ToHashSet();

            // First spike: two instances created.
            await run.ScaleAsync(Spike);
            await run.WaitConvergedAsync(Spike, "first spike: 4 serving", TimeSpan.FromSeconds(60));
            Assert.Equal(Spike, Creates(run));
            var spikeView = (await run.ViewAsync()).Members;
            var created = spikeView.ToDictionary(m => m.Id.ToString(CultureInfo.InvariantCulture), m => m.Created!.Value);

            // Back down: the need is 2, but every member is paid for the rest of its minute, so the two the engine
            // picks (paid-until soonest) are kept serving until their release point: no drain, no delete yet ...
            await run.ScaleAsync(Min);
            JsonElement[] kept = [];
            await Wait.UntilAsync(async () =>
            {
                kept = [.. (await run.PoolAsync()).GetProperty("members").EnumerateArray().Where(m => m.GetProperty("release_at").ValueKind == JsonValueKind.String)];
                return kept.Length == Spike - Min;
            }, "two members kept until their paid period ends", TimeSpan.FromSeconds(20));
            run.Log("kept: " + string.Join(", ", kept.Select(m => $"{m.GetProperty("id")} paid until {m.GetProperty("paid_until")}, release at {m.GetProperty("release_at")}")));
            var keptPaidUntil = kept.Min(m => m.GetProperty("paid_until").GetDateTimeOffset());
            var keptUntil = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(5);
            while (TimeProvider.System.GetUtcNow() < keptUntil)
            {
                var view = await run.ViewAsync();
                Assert.True(view.Serving == Spike, $"kept members must keep serving while paid; cloud: {view.Describe()}");
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }

            // ... and a second spike inside that minute takes them back: no instance is created for it.
            Assert.True(TimeProvider.System.GetUtcNow() < keptPaidUntil - TimeSpan.FromSeconds(10),
                "the second spike must come while the kept members are still paid (the machine was too slow)");
            await run.ScaleAsync(Spike);
            await run.WaitConvergedAsync(Spike, "second spike: 4 serving", TimeSpan.FromSeconds(30));
            Assert.Equal(Spike, Creates(run));
            Assert.Equal(created.Keys.Order(), (await run.ViewAsync()).Members.Select(m => m.Id.ToString(CultureInfo.InvariantCulture)).Order());

            // Down again: released so that each delete lands just before its paid minute ends.
            await run.ScaleAsync(Min);
            await run.WaitConvergedAsync(Min, "the surplus released at the end of its paid period", TimeSpan.FromSeconds(90));
            Assert.Equal(Spike, Creates(run));
            var deletes = run.Proxy.Exchanges.Where(e => e.Method == "DELETE" && Path(e).StartsWith("/v4/linode/instances/", StringComparison.Ordinal)).ToArray();
            Assert.Equal(Spike - Min, deletes.Length);
            foreach (var delete in deletes)
            {
                var id = Path(delete)["/v4/linode/instances/".Length..];
                var born = created[id];
                var periods = Math.Ceiling((delete.ReceivedUtc - born) / Period);
                var paidUntil = born + (Period * periods);
                run.Log(string.Create(CultureInfo.InvariantCulture, $"instance {id}: deleted after {periods} period(s), {(paidUntil - delete.ReceivedUtc).TotalSeconds:0.0} s before its paid period ended"));
                Assert.Equal(1, periods);
                Assert.True(paidUntil - delete.ReceivedUtc < TimeSpan.FromSeconds(20), $"instance {id} deleted {paidUntil - delete.ReceivedUtc} before its paid period ended: too early");
            }

            // Let the survivors start their second paid period, so the bill holds renewals as well as ended lives.
            var renewal = (await run.PoolAsync()).GetProperty("members").EnumerateArray().Max(m => m.GetProperty("paid_until").GetDateTimeOffset());
            var wait = renewal + BillCheck.Margin + TimeSpan.FromSeconds(1) - TimeProvider.System.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            // The bill: the autoscaler's month to date against the cloud's balance change, read together.
            var (ours, cloud) = await BillCheck.ReadAsync(run.Cloud, async _ =>
            {
                var p = await run.PoolAsync();
                var billed = p.GetProperty("billed_cost_usd");
                return new OurBill(billed.ValueKind == JsonValueKind.Number ? billed.GetDecimal() : null,
                    [.. p.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("paid_until").GetDateTimeOffset())]);
            }, Period);
            var change = cloud - balanceBefore;
            run.Log($"billed: autoscaler ${ours}, emulator balance_uninvoiced change ${change} (before ${balanceBefore}, after ${cloud})");
            Assert.NotNull(ours);
            Assert.Equal(change, ours.Value);
            Assert.True(ours > 0, "something was billed");

            var metrics = await run.MetricsAsync();
            Assert.Contains("autoscaler_pool_billed_cost_usd{pool=\"web\"}", metrics, StringComparison.Ordinal);
        }
        catch
        {
            run.DumpLogs();
            throw;
        }
    }

    /// <summary>Create calls the autoscaler sent (POST /linode/instances, not the boot or other actions below it).</summary>
    private static int Creates(AutoscalerRun run) =>
        run.Proxy.Exchanges.Count(e => e.Method == "POST" && Path(e) == "/v4/linode/instances");

    private static string Path(Exchange e) => e.Target.Split('?')[0];
}

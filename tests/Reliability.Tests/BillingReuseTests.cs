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
        await using var run = await AutoscalerRun.StartAsync(output,
            new PoolSettings
            {
                Min = Min, Max = Spike, Desired = Min, Drain = "1s", Interval = "500ms",
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
            var spikeMembers = (await run.ViewAsync()).Members.Where(m => !baseIds.Contains(m.Id)).ToArray();
            Assert.Equal(Spike - Min, spikeMembers.Length);
            var paidUntil = spikeMembers.ToDictionary(m => m.Id, m => m.Created + Period);

            // Back down: the need is 2, but the two spike members are paid for the rest of their minute, so they are
            // kept serving (no drain, no delete) ...
            await run.ScaleAsync(Min);
            var keptUntil = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(8);
            while (TimeProvider.System.GetUtcNow() < keptUntil)
            {
                var view = await run.ViewAsync();
                Assert.True(view.Serving == Spike, $"kept members must keep serving while paid; cloud: {view.Describe()}");
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }

            var pool = await run.PoolAsync();
            run.Log("after the first spike, kept: " + string.Join(", ", pool.GetProperty("members").EnumerateArray()
                .Select(m => $"{m.GetProperty("id")} paid until {m.GetProperty("paid_until")}")));

            // ... and a second spike inside that minute takes them back: no instance is created for it.
            Assert.True(TimeProvider.System.GetUtcNow() < paidUntil.Values.Min() - TimeSpan.FromSeconds(10),
                "the second spike must come while the first spike's members are still paid (the machine was too slow)");
            await run.ScaleAsync(Spike);
            await run.WaitConvergedAsync(Spike, "second spike: 4 serving", TimeSpan.FromSeconds(30));
            Assert.Equal(Spike, Creates(run));
            Assert.Equal(spikeMembers.Select(m => m.Id).Order(), (await run.ViewAsync()).Members.Where(m => !baseIds.Contains(m.Id)).Select(m => m.Id).Order());

            // Down again: released so that each delete lands just before its paid minute ends.
            await run.ScaleAsync(Min);
            await run.WaitConvergedAsync(Min, "the spike members released at the end of their paid period", TimeSpan.FromSeconds(90));
            Assert.Equal(Spike, Creates(run));
            foreach (var (id, until) in paidUntil)
            {
                var delete = Assert.Single(run.Proxy.Exchanges, e => e.Method == "DELETE" && Path(e) == $"/v4/linode/instances/{id}");
                run.Log(string.Create(CultureInfo.InvariantCulture, $"instance {id}: deleted {(until - delete.ReceivedUtc).TotalSeconds:0.0} s before its paid period ended"));
                Assert.InRange(delete.ReceivedUtc, until - TimeSpan.FromSeconds(20), until);
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

using Autoscaler.Core.Billing;
using Autoscaler.Service.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Service.Tests;

/// <summary>The behaviour both backends of <see cref="IAutoscalerStore"/> share; each backend runs it.</summary>
public abstract class BillingLedgerContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly BillingTerms Nanode = new(new InstancePrice(0.0075m, 5m), TimeSpan.FromHours(1));
    protected FakeTimeProvider Time { get; } = new(T0);

    /// <summary>Opens the backend's store; a second call opens the same data again (a restart).</summary>
    protected abstract IAutoscalerStore Open();

    private static long Count(IAutoscalerStore store, string table) => ((IStoreDiagnostics)store).Count(table);

    [Fact]
    public async Task Ledger_RecordedLifetimes_SurviveReopenWithExactTerms()
    {
        var shortPeriod = new BillingTerms(new InstancePrice(0.036m), TimeSpan.FromSeconds(30));
        using (var store = Open())
        {
            await store.RecordAsync(new EndedLifetime("web", "101", T0.AddMinutes(-90), T0.AddMinutes(-5), Nanode), default);
            await store.RecordAsync(new EndedLifetime("web", "102", T0.AddSeconds(-45.5), T0.AddSeconds(-1), shortPeriod), default);
            await store.RecordAsync(new EndedLifetime("api", "103", T0.AddMinutes(-3), T0, Nanode), default);
        }

        using var reopened = Open();
        var web = await reopened.DeletedSinceAsync("web", T0.AddHours(-1), default);
        Assert.Equal(
            [
                new EndedLifetime("web", "101", T0.AddMinutes(-90), T0.AddMinutes(-5), Nanode),
                new EndedLifetime("web", "102", T0.AddSeconds(-45.5), T0.AddSeconds(-1), shortPeriod),
            ],
            web);
        // The sums stay exact decimals after the round trip: 85 min = 2 hours, 44.5 s = 2 periods of 30 s.
        Assert.Equal(0.015m + 0.072m, web.Sum(l => l.Terms.Model.Cost(l.Created, l.Deleted)));
        Assert.Single(await reopened.DeletedSinceAsync("api", T0, default));
    }

    [Fact]
    public async Task Ledger_SameMemberRecordedTwice_KeepsOneLifetime()
    {
        using var store = Open();
        await store.RecordAsync(new EndedLifetime("web", "101", T0.AddMinutes(-90), T0.AddMinutes(-5), Nanode), default);
        // A delete retried after a crash records again: the first delete call is the one the cloud billed to.
        await store.RecordAsync(new EndedLifetime("web", "101", T0.AddMinutes(-90), T0, Nanode), default);
        // Another pool may reuse nothing, but ids are per pool: the same id elsewhere is another row.
        await store.RecordAsync(new EndedLifetime("api", "101", T0.AddMinutes(-90), T0, Nanode), default);

        var web = Assert.Single(await store.DeletedSinceAsync("web", T0.AddDays(-1), default));
        Assert.Equal(T0.AddMinutes(-5), web.Deleted);
        Assert.Equal(2, Count(store, "lifetimes"));
    }

    [Fact]
    public async Task DeletedSince_OnlyLifetimesDeletedAtOrAfter_OldestFirst()
    {
        using var store = Open();
        var month = HourlyBilling.MonthStart(T0);
        await store.RecordAsync(new EndedLifetime("web", "3", T0.AddHours(-3), T0.AddHours(-1), Nanode), default);
        await store.RecordAsync(new EndedLifetime("web", "1", month.AddHours(-5), month.AddSeconds(-1), Nanode), default);
        await store.RecordAsync(new EndedLifetime("web", "2", month.AddHours(-1), month, Nanode), default);

        var since = await store.DeletedSinceAsync("web", month, default);
        Assert.Equal(["2", "3"], since.Select(l => l.MemberId));
        Assert.Empty(await store.DeletedSinceAsync("other", month, default));
    }
}

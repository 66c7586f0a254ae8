using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Tests.Emulator;

public sealed class EmulatorPagingAndFilterTests
{
    [Fact]
    public async Task ListAsync_520Instances_ReturnsAllAcrossTwoPages()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var client = emulator.Client;
        var created = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 520), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, ct) =>
            {
                var instance = await client.Instances.CreateAsync(new CreateInstanceRequest
                {
                    Region = "us-east",
                    Type = "g6-nanode-1",
                    Label = $"bulk-{i:D3}",
                    Booted = false,
                }, ct);
                created.Add(instance.Id);
            });
        var listCallsBefore = ListCalls(emulator);

        var listed = await client.Instances.ListAsync().ToListAsync();

        Assert.Equal(520, listed.Count);
        Assert.Equal(created.Order(), listed.Select(i => i.Id).Order());
        Assert.Equal(2, ListCalls(emulator) - listCallsBefore);
    }

    [Fact]
    public async Task ListAsync_SmallPageSize_WalksEveryPage()
    {
        await using var emulator = await TestEmulator.StartAsync(client: o => o.PageSize = 25);
        for (var i = 0; i < 60; i++)
        {
            await emulator.Client.Tags.CreateAsync(new CreateTagRequest { Label = $"tag-{i:D2}" });
        }

        var labels = await emulator.Client.Tags.ListAsync(Filter.Contains("label", "tag-")).Select(t => t.Label)
            .ToListAsync();

        Assert.Equal(60, labels.Count);
        Assert.Equal(60, labels.Distinct().Count());
    }

    [Fact]
    public async Task Filters_EqualityTagOrGteAndOrder_SelectTheRightInstances()
    {
        await using var emulator = await TestEmulator.StartAsync();
        var a = await emulator.CreateInstanceAsync("web-a", ["pool:web"], region: "us-east");
        var b = await emulator.CreateInstanceAsync("web-b", ["pool:web"], region: "eu-west");
        var c = await emulator.CreateInstanceAsync("api-c", ["pool:api"], region: "us-east");
        var instances = emulator.Client.Instances;

        async Task<List<long>> Ids(Filter filter) =>
            await instances.ListAsync(filter).Select(i => i.Id).ToListAsync();

        Assert.Equal([a.Id, c.Id], (await Ids(Filter.Eq("region", "us-east"))).Order());
        Assert.Equal([a.Id, b.Id], (await Ids(Filter.Tag("pool:web"))).Order());
        Assert.Equal([a.Id], await Ids(Filter.Tag("pool:web") & Filter.Eq("region", "us-east")));
        Assert.Equal([b.Id, c.Id], (await Ids(Filter.Eq("label", "web-b") | Filter.Eq("label", "api-c"))).Order());
        Assert.Equal([b.Id, c.Id], (await Ids(Filter.Gte("id", b.Id))).Order());
        Assert.Equal([c.Id, b.Id, a.Id], await Ids(Filter.All.OrderBy("id", SortOrder.Descending)));
        Assert.Equal([c.Id, a.Id], await Ids(Filter.Eq("region", "us-east").OrderBy("label")));
    }

    [Fact]
    public async Task Filter_NotFilterableField_ThrowsValidationNamingXFilter()
    {
        await using var emulator = await TestEmulator.StartAsync();

        var ex = await Assert.ThrowsAsync<LinodeValidationException>(() =>
            emulator.Client.Instances.ListAsync(Filter.Eq("hypervisor", "kvm")).ToListAsync().AsTask());

        var error = Assert.Single(ex.Errors);
        Assert.Equal("X-Filter", error.Field);
        Assert.Contains("hypervisor", error.Reason, StringComparison.Ordinal);
    }

    private static int ListCalls(TestEmulator emulator) =>
        emulator.Logs.WithEvent(1).Count(e => e.Get<string>("Method") == "GET" && e.Get<string>("Path") == "/v4/linode/instances");
}

using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Linode.Emulator.Tests.Api;

public sealed class XFilterTests
{
    private static async Task<List<string>> TypeIds(EmulatorHarness h, string filter) =>
        [.. (await h.GetOkAsync("linode/types", filter))["data"]!.AsArray().Select(t => t!["id"]!.GetValue<string>())];

    [Fact]
    public async Task Filter_EqualityOfSeveralKeys_AndOfAll()
    {
        await using var h = await EmulatorHarness.StartAsync();
        Assert.Equal(["g6-standard-1"], await TypeIds(h, """{"class":"standard","vcpus":1}"""));
    }

    [Fact]
    public async Task Filter_Or_EitherMatches()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var ids = await TypeIds(h, """{"+or":[{"vcpus":1},{"class":"dedicated"}]}""");
        Assert.Equal(["g6-nanode-1", "g6-standard-1", "g6-dedicated-2", "g6-dedicated-4", "g6-dedicated-8", "g6-dedicated-16"], ids);
    }

    [Fact]
    public async Task Filter_NestedOrAndAnd_AsDocumented()
    {
        await using var h = await EmulatorHarness.StartAsync();
        // Standard or nanode class, or between 8 and 16 vcpus (the 4.176 prose example, adapted).
        var ids = await TypeIds(h, """{"+or":[{"+or":[{"class":"nanode"},{"class":"standard"}]},{"+and":[{"vcpus":{"+gte":8}},{"vcpus":{"+lte":16}}]}]}""");
        Assert.Equal(["g6-nanode-1", "g6-standard-1", "g6-standard-2", "g6-standard-4", "g6-standard-6", "g6-standard-8",
            "g6-dedicated-8", "g6-dedicated-16"], ids);
    }

    [Theory]
    [InlineData("""{"memory":{"+gt":16384}}""", new[] { "g6-standard-8", "g6-dedicated-16" })]
    [InlineData("""{"memory":{"+gte":16384}}""", new[] { "g6-standard-6", "g6-standard-8", "g6-dedicated-8", "g6-dedicated-16" })]
    [InlineData("""{"memory":{"+lt":2048}}""", new[] { "g6-nanode-1" })]
    [InlineData("""{"memory":{"+lte":2048}}""", new[] { "g6-nanode-1", "g6-standard-1" })]
    [InlineData("""{"vcpus":{"+gt":2,"+lt":8}}""", new[] { "g6-standard-4", "g6-standard-6", "g6-dedicated-4" })]
    [InlineData("""{"label":{"+contains":"dedicated 1"}}""", new[] { "g6-dedicated-8" })]
    [InlineData("""{"class":{"+neq":"standard"},"vcpus":{"+lte":2}}""", new[] { "g6-nanode-1", "g6-dedicated-2" })]
    [InlineData("""{"class":{"+eq":"nanode"}}""", new[] { "g6-nanode-1" })]
    public async Task Filter_Operators_MatchTheSpecMeaning(string filter, string[] expected)
    {
        await using var h = await EmulatorHarness.StartAsync();
        Assert.Equal(expected, await TypeIds(h, filter));
    }

    [Fact]
    public async Task Filter_OrderByDesc_SortsAndOrderAloneIs400()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var ids = await TypeIds(h, """{"class":"standard","+order_by":"memory","+order":"desc"}""");
        Assert.Equal(["g6-standard-8", "g6-standard-6", "g6-standard-4", "g6-standard-2", "g6-standard-1"], ids);
        // Labels sort as strings: "Dedicated 16GB" < "Dedicated 32GB" < "Dedicated 4GB" < "Dedicated 8GB".
        var asc = await TypeIds(h, """{"class":"dedicated","+order_by":"label"}""");
        Assert.Equal(["g6-dedicated-8", "g6-dedicated-16", "g6-dedicated-2", "g6-dedicated-4"], asc);

        var orderOnly = await h.GetAsync("linode/types", """{"+order":"desc"}""");
        Assert.Equal(HttpStatusCode.BadRequest, orderOnly.Status);
        Assert.Equal([("X-Filter", "+order requires +order_by")], orderOnly.Errors);
        var badOrder = await h.GetAsync("linode/types", """{"+order_by":"memory","+order":"sideways"}""");
        Assert.Equal([("X-Filter", "+order must be asc or desc")], badOrder.Errors);
    }

    [Theory]
    [InlineData("linode/instances", """{"specs":1}""", "Cannot filter on specs")]
    [InlineData("linode/instances", """{"status":"running"}""", "Cannot filter on status")]
    [InlineData("linode/types", """{"price.monthly":5}""", "Cannot filter on price.monthly")]
    [InlineData("account/events", """{"+or":[{"username":"x"}]}""", "Cannot filter on username")]
    [InlineData("linode/types", """{"+order_by":"price"}""", "Cannot order by price")]
    public async Task Filter_UnfilterableField_400CannotFilterOn(string path, string filter, string reason)
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.GetAsync(path, filter);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal([("X-Filter", reason)], response.Errors);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""["region"]""")]
    public async Task Filter_NotAJsonObject_400FieldXFilter(string filter)
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.GetAsync("linode/instances", filter);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("X-Filter", Assert.Single(response.Errors).Field);
    }

    [Fact]
    public async Task Filter_TagsAndIpv4_ListMembership()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var web = await h.CreateInstanceAsync(b => b["tags"] = new JsonArray("pool:web", "env:prod"));
        await h.CreateInstanceAsync(b => b["tags"] = new JsonArray("pool:db", "env:prod"));
        await h.CreateInstanceAsync();

        async Task<int> Count(string filter) => (await h.GetOkAsync("linode/instances", filter))["results"]!.GetValue<int>();
        Assert.Equal(1, await Count("""{"tags":"pool:web"}"""));
        Assert.Equal(2, await Count("""{"tags":"env:prod"}"""));
        Assert.Equal(1, await Count("""{"tags":"env:prod","+and":[{"tags":"pool:db"}]}"""));
        Assert.Equal(2, await Count("""{"tags":{"+neq":"pool:web"}}"""));
        Assert.Equal(2, await Count("""{"tags":{"+contains":"POOL:"}}"""));
        Assert.Equal(1, await Count("{\"ipv4\":\"" + web["ipv4"]![0]!.GetValue<string>() + "\"}"));
        Assert.Equal(1, await Count("{\"id\":\"" + web["id"]!.GetValue<long>() + "\"}"));
    }

    [Fact]
    public async Task Filter_DottedEventFieldsAndCreatedTimestamp_LikeLinodegoWaiter()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var h = await EmulatorHarness.StartAsync(time: time);
        var first = (await h.CreateInstanceAsync(b => b["booted"] = false))["id"]!.GetValue<long>();
        time.Advance(TimeSpan.FromMinutes(10));
        var second = (await h.CreateInstanceAsync(b => b["booted"] = false))["id"]!.GetValue<long>();

        var byEntity = await h.GetOkAsync("account/events", $$$"""{"+order":"desc","+order_by":"created","action":"linode_create","created":{"+gte":"2024-06-01T12:05:00"},"entity.id":{{{second}}},"entity.type":"linode","id":{"+gte":1}}""");
        var ev = Assert.Single(byEntity["data"]!.AsArray())!;
        Assert.Equal(second, ev["entity"]!["id"]!.GetValue<long>());
        Assert.Equal("2024-06-01T12:10:00", ev["created"]!.GetValue<string>());

        var before = await h.GetOkAsync("account/events", """{"created":{"+lt":"2024-06-01T12:05:00"},"entity.type":"linode"}""");
        Assert.All(before["data"]!.AsArray(), e => Assert.Equal(first, e!["entity"]!["id"]!.GetValue<long>()));
        var zoned = await h.GetOkAsync("account/events", """{"created":{"+gt":"2024-06-01T12:05:00Z"}}""");
        Assert.All(zoned["data"]!.AsArray(), e => Assert.Equal(second, e!["entity"]!["id"]!.GetValue<long>()));
        Assert.Equal(0, (await h.GetOkAsync("account/events", """{"read":true}"""))["results"]!.GetValue<int>());
    }

    [Fact]
    public async Task Filter_UnknownOperator_400()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var response = await h.GetAsync("linode/types", """{"vcpus":{"+between":[1,2]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("X-Filter", Assert.Single(response.Errors).Field);
    }
}

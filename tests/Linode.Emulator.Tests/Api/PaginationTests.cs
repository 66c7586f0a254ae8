using System.Net;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.Api;

/// <summary>520 instances (not booted, so no processes) shared by the paging tests.</summary>
public sealed class ManyInstancesFixture : IAsyncLifetime
{
    internal EmulatorHarness Harness { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Limits off: 520 creates in a burst is the point of the fixture, not something Linode would allow (20 per 15 s).
        Harness = await EmulatorHarness.StartAsync(o => o.RateLimits.Enabled = false);
        for (var i = 0; i < 520; i++)
        {
            await Harness.PostOkAsync("linode/instances", new JsonObject
            {
                ["region"] = i % 2 == 0 ? "us-east" : "eu-west",
                ["type"] = "g6-nanode-1",
                ["label"] = $"bulk-{i:D3}",
                ["booted"] = false,
            });
        }
    }

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

public sealed class PaginationTests(ManyInstancesFixture fixture) : IClassFixture<ManyInstancesFixture>
{
    private readonly EmulatorHarness _h = fixture.Harness;

    [Fact]
    public async Task List_DefaultPageSize_100PerPage()
    {
        var page = await _h.GetOkAsync("linode/instances");
        Assert.Equal(1, page["page"]!.GetValue<int>());
        Assert.Equal(6, page["pages"]!.GetValue<int>());
        Assert.Equal(520, page["results"]!.GetValue<int>());
        Assert.Equal(100, page["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task List_PageSize500_TwoPagesCoveringEveryInstanceOnce()
    {
        var first = await _h.GetOkAsync("linode/instances?page_size=500");
        var second = await _h.GetOkAsync("linode/instances?page=2&page_size=500");
        Assert.Equal(2, first["pages"]!.GetValue<int>());
        Assert.Equal(500, first["data"]!.AsArray().Count);
        Assert.Equal(2, second["page"]!.GetValue<int>());
        Assert.Equal(20, second["data"]!.AsArray().Count);
        var ids = first["data"]!.AsArray().Concat(second["data"]!.AsArray()).Select(i => i!["id"]!.GetValue<long>()).ToList();
        Assert.Equal(520, ids.Distinct().Count());
        Assert.Equal(ids.Order(), ids);
    }

    [Theory]
    [InlineData("99")]
    [InlineData("18446744073709551616")]
    public async Task List_PageBeyondLast_LastPage(string page)
    {
        var last = await _h.GetOkAsync($"linode/instances?page={page}&page_size=500");
        Assert.Equal(2, last["page"]!.GetValue<int>());
        Assert.Equal(20, last["data"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("page_size=24", "page_size", "Must be between 25 and 500")]
    [InlineData("page_size=501", "page_size", "Must be between 25 and 500")]
    [InlineData("page_size=ten", "page_size", "Must be an integer")]
    [InlineData("page=0", "page", "Must be 1 or greater")]
    [InlineData("page=-3", "page", "Must be 1 or greater")]
    public async Task List_BadPaging_400NamingTheParameter(string query, string field, string reason)
    {
        var response = await _h.GetAsync("linode/instances?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal([(field, reason)], response.Errors);
    }

    [Fact]
    public async Task List_Filtered_ResultsAndPagesCountMatches()
    {
        var filtered = await _h.GetOkAsync("linode/instances?page_size=25", """{"region":"eu-west"}""");
        Assert.Equal(260, filtered["results"]!.GetValue<int>());
        Assert.Equal(11, filtered["pages"]!.GetValue<int>());
        Assert.All(filtered["data"]!.AsArray(), i => Assert.Equal("eu-west", i!["region"]!.GetValue<string>()));
    }

    [Fact]
    public async Task List_EmptyResult_PageOneOfOne()
    {
        var empty = await _h.GetOkAsync("linode/instances", """{"label":"no-such-label"}""");
        Assert.Equal("""{"data":[],"page":1,"pages":1,"results":0}""", empty.ToJsonString());
        Assert.Equal("""{"data":[],"page":1,"pages":1,"results":0}""", (await _h.GetOkAsync("nodebalancers")).ToJsonString());
    }
}

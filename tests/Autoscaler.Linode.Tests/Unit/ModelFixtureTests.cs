using System.Text.Json;
using Autoscaler.Linode.Json;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Tests.Unit;

/// <summary>Real-shaped API responses (Prometheus' linode_sd test data) read into the models.</summary>
public sealed class ModelFixtureTests
{
    private static T Read<T>(string file) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", file)),
            LinodeJson.Options)!;

    [Fact]
    public void Instances_Fixture_ReadsEveryField()
    {
        var page = Read<Page<Instance>>("linode_instances.json");
        Assert.Equal(1, page.PageNumber);
        Assert.Equal(page.Results, page.Data.Count);
        var first = page.Data[0];
        Assert.Equal(26838044, first.Id);
        Assert.Equal("prometheus-linode-sd-exporter-1", first.Label);
        Assert.Equal(InstanceStatus.Running, first.Status);
        Assert.Equal(new DateTimeOffset(2021, 5, 12, 4, 23, 44, TimeSpan.Zero), first.Created);
        Assert.Equal("g6-standard-2", first.Type);
        Assert.Equal(["45.33.82.151", "96.126.108.16", "192.168.170.51", "192.168.201.25"], first.Ipv4);
        Assert.Equal("192.168.170.51", first.PrivateIpv4);
        Assert.Equal("45.33.82.151", first.PublicIpv4);
        Assert.Equal(2, first.Specs!.Vcpus);
        Assert.Equal(180, first.Alerts!.Cpu);
        Assert.False(first.Backups!.Enabled);
        Assert.Null(first.Backups.Schedule!.Day);
        Assert.True(first.HasTag("monitoring"));
    }

    [Fact]
    public void NetworkingIps_Fixture_ReadsPublicAndPrivate()
    {
        var page = Read<Page<IpAddress>>("networking_ips.json");
        Assert.Equal(13, page.Results);
        var privateIp = page.Data.First(ip => ip.Address == "192.168.148.94");
        Assert.False(privateIp.Public);
        Assert.Equal(17, privateIp.Prefix);
        Assert.Null(privateIp.Gateway);
        Assert.Equal(26837992, privateIp.LinodeId);
        Assert.Contains(page.Data, ip => ip.Public && ip.Rdns is not null);
    }

    [Fact]
    public void Ipv6Ranges_Fixture_Reads()
    {
        var page = Read<Page<Ipv6Range>>("networking_ipv6_ranges.json");
        Assert.Equal(2, page.Data.Count);
        Assert.Equal("2600:3c03:e000:123::", page.Data[0].Range);
        Assert.Equal(64, page.Data[0].Prefix);
        Assert.Equal("2600:3c03::f03c:92ff:fe1a:fb4c", page.Data[0].RouteTarget);
    }

    [Fact]
    public void Events_EmptyFixture_HasOnePage()
    {
        var page = Read<Page<LinodeEvent>>("account_events.json");
        Assert.Empty(page.Data);
        Assert.Equal(1, page.Pages);
    }

    [Fact]
    public void Event_TagEntity_KeepsStringIdAndNumericIsNull()
    {
        var tagEvent = JsonSerializer.Deserialize<LinodeEvent>(
            """{"id":5,"action":"tag_create","created":"2024-01-01T00:00:00","entity":{"id":"pool:web","label":"pool:web","type":"tag","url":"/v4/tags/pool:web"},"status":"notification","seen":false,"read":false,"percent_complete":null,"time_remaining":null,"duration":null}""",
            LinodeJson.Options)!;
        Assert.Equal("pool:web", tagEvent.Entity!.Id);
        Assert.Null(tagEvent.Entity.NumericId);
        Assert.Equal(EventStatus.Notification, tagEvent.Status);

        var linodeEvent = JsonSerializer.Deserialize<LinodeEvent>(
            """{"id":6,"action":"linode_boot","entity":{"id":77641926,"type":"linode","label":"web-1","url":"/v4/linode/instances/77641926"},"status":"finished","duration":12.5}""",
            LinodeJson.Options)!;
        Assert.Equal(77641926, linodeEvent.Entity!.NumericId);
        Assert.Equal(12.5, linodeEvent.Duration);
    }

    [Fact]
    public void LinodeType_RegionPrice_OverridesBasePrice()
    {
        var type = JsonSerializer.Deserialize<LinodeType>(
            """{"id":"g6-nanode-1","class":"nanode","vcpus":1,"memory":1024,"price":{"hourly":0.0075,"monthly":5.0},"region_prices":[{"id":"id-cgk","hourly":0.009,"monthly":6.0}],"addons":{"backups":{"price":{"hourly":0.003,"monthly":2.0},"region_prices":[]}},"successor":null}""",
            LinodeJson.Options)!;
        Assert.Equal("nanode", type.TypeClass);
        Assert.Equal(0.0075m, type.PriceIn("us-east")!.Hourly);
        Assert.Equal(6.0m, type.PriceIn("id-cgk")!.Monthly);
        Assert.Equal(2.0m, type.Addons!.Backups!.Price!.Monthly);
    }

    [Fact]
    public void CreateInstanceRequest_ToString_HidesRootPass()
    {
        var request = new CreateInstanceRequest
        {
            Region = "us-east",
            Type = "g6-nanode-1",
            Image = "linode/debian12",
            RootPass = "c0rrect-Horse-battery",
        };
        var text = request.ToString();
        Assert.DoesNotContain("c0rrect-Horse-battery", text, StringComparison.Ordinal);
        Assert.Contains("RootPass = ***", text, StringComparison.Ordinal);
        Assert.Contains("us-east", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigRequest_ToString_HidesSslKey()
    {
        var text = new RebuildConfigRequest { Port = 443, SslKey = "-----BEGIN PRIVATE KEY-----abc" }.ToString();
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateInstanceRequest_Serialize_UsesSnakeCaseAndOmitsNulls()
    {
        var json = JsonSerializer.Serialize(new CreateInstanceRequest
        {
            Region = "us-east",
            Type = "g6-nanode-1",
            PrivateIp = true,
            Tags = ["pool:web"],
            Metadata = InstanceMetadata.FromCloudConfig("#cloud-config\n"),
        }, LinodeJson.Options);
        Assert.Equal(
            """{"region":"us-east","type":"g6-nanode-1","metadata":{"user_data":"I2Nsb3VkLWNvbmZpZwo="},"private_ip":true,"tags":["pool:web"]}""",
            json);
    }

    [Theory]
    [InlineData("192.168.128.1", true)]
    [InlineData("192.168.255.254", true)]
    [InlineData("192.168.127.1", false)]
    [InlineData("45.33.82.151", false)]
    [InlineData("2600:3c03::1", false)]
    [InlineData("nonsense", false)]
    public void IsLinodePrivateIpv4_Ranges(string address, bool expected) =>
        Assert.Equal(expected, IpAddress.IsLinodePrivateIpv4(address));
}

using System.Text.Json;
using Autoscaler.Linode.Json;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Tests.Unit;

public sealed class EnumTests
{
    [Theory]
    [InlineData("UP", NodeStatus.Up)]
    [InlineData("up", NodeStatus.Up)]
    [InlineData("DOWN", NodeStatus.Down)]
    [InlineData("Unknown", NodeStatus.Unknown)]
    [InlineData("unknown", NodeStatus.Unknown)]
    [InlineData("maintenance", NodeStatus.Unknown)]
    public void NodeStatus_AnyCase_ParsesAndKeepsRaw(string raw, NodeStatus expected)
    {
        var node = JsonSerializer.Deserialize<NodeBalancerNode>($$"""{"id":1,"status":"{{raw}}","mode":"accept"}""",
            LinodeJson.Options)!;
        Assert.Equal(expected, node.Status);
        Assert.Equal(raw, node.RawStatus);
    }

    [Theory]
    [InlineData("running", InstanceStatus.Running)]
    [InlineData("shutting_down", InstanceStatus.ShuttingDown)]
    [InlineData("billing_suspension", InstanceStatus.BillingSuspension)]
    [InlineData("teleporting", InstanceStatus.Unknown)]
    public void InstanceStatus_KnownAndNew_ParsesOrFallsBack(string raw, InstanceStatus expected)
    {
        var instance = JsonSerializer.Deserialize<Instance>($$"""{"id":1,"status":"{{raw}}"}""", LinodeJson.Options)!;
        Assert.Equal(expected, instance.Status);
        Assert.Equal(raw, instance.RawStatus);
    }

    [Fact]
    public void ConfigEnums_NewValue_DoesNotThrow()
    {
        var config = JsonSerializer.Deserialize<NodeBalancerConfig>(
            """{"id":1,"protocol":"udp","algorithm":"ring_hash","stickiness":"session","check":"grpc","cipher_suite":"none","proxy_protocol":"v3"}""",
            LinodeJson.Options)!;
        Assert.Equal(ConfigProtocol.Unknown, config.Protocol);
        Assert.Equal(BalancingAlgorithm.Unknown, config.Algorithm);
        Assert.Equal(HealthCheck.Unknown, config.Check);
    }

    [Fact]
    public void Serialize_ConfigRequest_WritesApiSpelling()
    {
        var json = JsonSerializer.Serialize(new ConfigRequest
        {
            Port = 80,
            Protocol = ConfigProtocol.Http,
            Algorithm = BalancingAlgorithm.Leastconn,
            Stickiness = SessionStickiness.HttpCookie,
            Check = HealthCheck.HttpBody,
            ProxyProtocol = ProxyProtocol.V2,
        }, LinodeJson.Options);
        Assert.Equal(
            """{"port":80,"protocol":"http","algorithm":"leastconn","stickiness":"http_cookie","check":"http_body","proxy_protocol":"v2"}""",
            json);
    }

    [Fact]
    public void EventStatus_NewValue_FallsBackToUnknown()
    {
        var e = JsonSerializer.Deserialize<LinodeEvent>("""{"id":1,"action":"linode_teleport","status":"queued"}""",
            LinodeJson.Options)!;
        Assert.Equal(EventStatus.Unknown, e.Status);
        Assert.Equal("queued", e.RawStatus);
        Assert.Equal("linode_teleport", e.Action);
    }
}

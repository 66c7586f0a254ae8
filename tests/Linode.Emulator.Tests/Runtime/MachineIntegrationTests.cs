using System.Net;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Linode.Emulator.Tests.Runtime;

/// <summary>The two runtimes together, as the emulator uses them: Workload processes behind a balancer.</summary>
public sealed class MachineIntegrationTests
{
    [Fact]
    public async Task Balancer_TwoWorkloadInstances_BothServeAndKilledOneGoesDown()
    {
        await using var instances = new ProcessInstanceRuntime(
            new InstanceRuntimeOptions { StopGracePeriod = TimeSpan.FromSeconds(2) },
            NullLogger<ProcessInstanceRuntime>.Instance);
        await using var balancer = new YarpLoadBalancerRuntime(TimeProvider.System, NullLoggerFactory.Instance);
        var a = Loopback.Next();
        var b = Loopback.Next();
        var nb = Loopback.Next();
        await instances.StartAsync(new InstanceProcessSpec(31, "web-31", a, "linode/debian12", 1, null,
            new Dictionary<string, string> { ["WORKLOAD_WORK_MS"] = "5" }), CancellationToken.None);
        await instances.StartAsync(new InstanceProcessSpec(32, "web-32", b, "linode/debian12", 1, null,
            new Dictionary<string, string> { ["WORKLOAD_WORK_MS"] = "5" }), CancellationToken.None);

        // check_interval 1 s on the real clock: the instances take a moment to listen.
        await balancer.ApplyAsync(new BalancerConfigSpec(3, 30, nb, 8081, "http", "roundrobin", "none", "http", 1, 1, 2,
            "/health", "", true,
            [new BalancerNode(1, new IPEndPoint(a, 8080), "accept", 50), new BalancerNode(2, new IPEndPoint(b, 8080), "accept", 50)]),
            CancellationToken.None);
        await Wait.UntilAsync(() => balancer.GetNodeStatus(30, 1) == "UP" && balancer.GetNodeStatus(30, 2) == "UP",
            "both nodes UP");

        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var served = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            var body = await client.GetStringAsync(new Uri($"http://{nb}:8081/"));
            served.Add(body.Split(' ')[1]);
        }

        Assert.Equal(["instance=web-31", "instance=web-32"], served.Order());

        Assert.True(instances.Kill(32));
        await Wait.UntilAsync(() => balancer.GetNodeStatus(30, 2) == "DOWN", "the killed instance's node DOWN");
        for (var i = 0; i < 4; i++)
        {
            Assert.Contains("instance=web-31", await client.GetStringAsync(new Uri($"http://{nb}:8081/")),
                StringComparison.Ordinal);
        }
    }
}

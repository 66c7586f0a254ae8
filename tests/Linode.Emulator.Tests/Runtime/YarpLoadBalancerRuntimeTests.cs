using System.Net;
using System.Net.Sockets;
using System.Text;
using static Linode.Emulator.Tests.Runtime.BalancerHarness;

namespace Linode.Emulator.Tests.Runtime;

public sealed class YarpLoadBalancerRuntimeTests
{
    [Fact]
    public async Task RoundRobin_ThreeNodesUp_SpreadsOverAll()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(3);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1]), Node(3, b[2])]));
        using var client = Client();

        var spread = await lb.SpreadAsync(client, 30);

        Assert.Equal(["UP", "UP", "UP"], [lb.Status(1), lb.Status(2), lb.Status(3)]);
        Assert.Equal(10, spread["b0"]);
        Assert.Equal(10, spread["b1"]);
        Assert.Equal(10, spread["b2"]);
        Assert.Equal(10, lb.Requests(2));
    }

    [Fact]
    public async Task RoundRobin_Weights_SpreadInProportion()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0], weight: 150), Node(2, b[1], weight: 50)]));
        using var client = Client();

        var spread = await lb.SpreadAsync(client, 40);

        Assert.Equal(30, spread["b0"]);
        Assert.Equal(10, spread["b1"]);
    }

    [Fact]
    public async Task HealthCheck_BackendStopsAndReturns_DownAfterAttemptsThenUpAgain()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(3);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1]), Node(3, b[2])], attempts: 2));
        using var client = Client();

        await b[1].StopAsync();
        await lb.NextRoundAsync();
        var afterOneFailure = lb.Status(2);
        await lb.NextRoundAsync();

        Assert.Equal("UP", afterOneFailure);
        Assert.Equal("DOWN", lb.Status(2));
        var spread = await lb.SpreadAsync(client, 20);
        Assert.False(spread.ContainsKey("b1"));
        Assert.Equal(10, spread["b0"]);

        await b[1].StartAsync();
        await lb.NextRoundAsync();

        Assert.Equal("UP", lb.Status(2));
        Assert.True((await lb.SpreadAsync(client, 6)).ContainsKey("b1"));
    }

    [Fact]
    public async Task HealthCheck_Connection_DownWhenNothingListens()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], check: "connection", attempts: 1));
        Assert.Equal("UP", lb.Status(2));

        await b[1].StopAsync();
        await lb.NextRoundAsync();

        Assert.Equal("DOWN", lb.Status(2));
        Assert.Equal("UP", lb.Status(1));
    }

    [Fact]
    public async Task HealthCheck_HttpStatus500_CountsAsFailure()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        b[1].HealthStatus = 500;

        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], attempts: 1));

        Assert.Equal("UP", lb.Status(1));
        Assert.Equal("DOWN", lb.Status(2));
    }

    [Fact]
    public async Task HealthCheck_HttpBody_UpOnlyWhenBodyMatches()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        b[0].HealthBody = "status: healthy";
        b[1].HealthBody = "status: degraded";

        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], check: "http_body", body: "healthy$", attempts: 1));

        Assert.Equal("UP", lb.Status(1));
        Assert.Equal("DOWN", lb.Status(2));
    }

    [Fact]
    public async Task Status_BeforeFirstCheckAndForUnknownIds_IsUnknown()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(1);

        Assert.Equal("Unknown", lb.Runtime.GetNodeStatus(99, 1));
        await lb.ApplyAsync(lb.Spec([Node(1, b[0])]));

        Assert.Equal("Unknown", lb.Status(42));
        Assert.Equal("UP", lb.Status(1));
    }

    [Fact]
    public async Task Request_NoNodeUp_Returns503Page()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        b[0].HealthStatus = 503;
        b[1].HealthStatus = 503;
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], attempts: 3));
        using var client = Client();

        using var response = await client.GetAsync(lb.Url);

        // Still Unknown (one failure of three), and Unknown nodes get no traffic.
        Assert.Equal("Unknown", lb.Status(1));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("No server is available to handle this request.",
            await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(b[0].Received);
    }

    [Fact]
    public async Task LeastConn_HeldRequests_NewRequestGoesToIdleNode()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], algorithm: "leastconn"));
        using var client = Client();
        b[0].Hold();
        b[1].Hold();

        var held = Enumerable.Range(0, 4).Select(_ => lb.GetAsync(client)).ToList();
        await Wait.UntilAsync(() => b[0].Held + b[1].Held == 4, "four held requests");
        Assert.Equal(2, b[0].Held);
        b[0].Release();
        await Wait.UntilAsync(() => held.Count(t => t.IsCompleted) == 2, "b0's requests to finish");
        await Wait.UntilAsync(() => lb.Runtime.GetNodeCounters(ConfigId, 1)?.InFlight == 0, "b0 idle");

        var next = await Task.WhenAll(lb.GetAsync(client), lb.GetAsync(client));

        Assert.Equal(["b0", "b0"], next);
        b[1].Release();
        await Task.WhenAll(held);
    }

    [Fact]
    public async Task Source_SameClient_AlwaysSameNodeAndClientsSpread()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(3);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1]), Node(3, b[2])], algorithm: "source"));
        var clientBase = Loopback.Next().GetAddressBytes();

        var chosen = new List<string>();
        for (var i = 1; i <= 12; i++)
        {
            using var client = Client(new IPAddress([127, 78, clientBase[2], (byte)i]));
            var spread = await lb.SpreadAsync(client, 4);
            Assert.Single(spread);
            chosen.Add(spread.Keys.Single());
        }

        Assert.True(chosen.Distinct().Count() >= 2, $"12 clients all hashed to {chosen[0]}");
    }

    [Fact]
    public async Task TableStickiness_ClientKeepsNodeWhileRoundRobinMovesOthers()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], stickiness: "table"));
        var bytes = Loopback.Next().GetAddressBytes();
        using var first = Client(new IPAddress([127, 79, bytes[2], 1]));
        using var second = Client(new IPAddress([127, 79, bytes[2], 2]));

        var one = await lb.SpreadAsync(first, 5);
        var two = await lb.SpreadAsync(second, 5);

        Assert.Single(one);
        Assert.Single(two);
        Assert.NotEqual(one.Keys.Single(), two.Keys.Single());
    }

    [Fact]
    public async Task CookieStickiness_CookieNamesNode_AndIsHonoured()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], stickiness: "http_cookie"));
        using var plain = Client();

        using var first = await plain.GetAsync(lb.Url);
        var cookie = first.Headers.GetValues("Set-Cookie").Single();
        var firstNode = await first.Content.ReadAsStringAsync();
        Assert.StartsWith("NB_SRVID=", cookie, StringComparison.Ordinal);

        var sticky = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, lb.Url);
            request.Headers.Add("Cookie", cookie.Split(';')[0]);
            using var response = await plain.SendAsync(request);
            Assert.False(response.Headers.Contains("Set-Cookie"));
            sticky.Add(await response.Content.ReadAsStringAsync());
        }

        Assert.All(sticky, s => Assert.Equal(firstNode, s));
        Assert.Equal(2, (await lb.SpreadAsync(plain, 4)).Count);
    }

    [Fact]
    public async Task Drain_NoStickiness_GetsNoNewRequests()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1], mode: "drain")]));
        using var client = Client();

        var spread = await lb.SpreadAsync(client, 10);

        Assert.Equal(10, spread["b0"]);
        Assert.Equal("UP", lb.Status(2));
        Assert.Empty(b[1].Received);
    }

    [Fact]
    public async Task Drain_TableStickiness_KeepsExistingClientsOnly()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], stickiness: "table"));
        var bytes = Loopback.Next().GetAddressBytes();
        using var early = Client(new IPAddress([127, 80, bytes[2], 1]));
        using var early2 = Client(new IPAddress([127, 80, bytes[2], 2]));
        var firstNode = await lb.GetAsync(early);
        var secondNode = await lb.GetAsync(early2);
        Assert.NotEqual(firstNode, secondNode);
        var drained = firstNode == "b0" ? 1 : 2;

        await lb.ApplyAsync(lb.Spec(
            [Node(1, b[0], mode: drained == 1 ? "drain" : "accept"), Node(2, b[1], mode: drained == 2 ? "drain" : "accept")],
            stickiness: "table"));
        using var late = Client(new IPAddress([127, 80, bytes[2], 3]));

        Assert.Equal(firstNode, await lb.GetAsync(early));
        Assert.Equal(secondNode, await lb.GetAsync(late));
    }

    [Fact]
    public async Task Reject_Node_NeverGetsTrafficAndIsDown()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0], mode: "reject"), Node(2, b[1])], stickiness: "table"));
        using var client = Client();

        var spread = await lb.SpreadAsync(client, 6);

        Assert.Equal(6, spread["b1"]);
        Assert.Equal("DOWN", lb.Status(1));
        Assert.Empty(b[0].Received);
    }

    [Fact]
    public async Task Backup_UsedOnlyWhenNoAcceptNodeIsUp()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1], mode: "backup")], attempts: 1));
        using var client = Client();
        Assert.Equal(6, (await lb.SpreadAsync(client, 6))["b0"]);

        await b[0].StopAsync();
        await lb.NextRoundAsync();
        Assert.Equal("DOWN", lb.Status(1));
        Assert.Equal(6, (await lb.SpreadAsync(client, 6))["b1"]);

        await b[0].StartAsync();
        await lb.NextRoundAsync();
        Assert.Equal(6, (await lb.SpreadAsync(client, 6))["b0"]);
    }

    [Fact]
    public async Task PassiveCheck_BackendAnswers500_GoesDownAndTrafficMoves()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], check: "none", attempts: 2, passive: true));
        Assert.Equal("UP", lb.Status(2));
        b[1].RootStatus = 500;
        using var client = Client();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await client.GetAsync(lb.Url);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal("DOWN", lb.Status(2));
        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.InternalServerError));
        Assert.Equal(2, lb.Runtime.GetNodeCounters(ConfigId, 2)?.PassiveFailures);

        // With check "none" nothing probes the node: the next round takes it back.
        await lb.NextRoundAsync();
        Assert.Equal("UP", lb.Status(2));
    }

    [Fact]
    public async Task Request_NodeUpButBackendGone_RetriedOnAnotherNode()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], passive: true, attempts: 1));
        await b[1].StopAsync();
        using var client = Client();

        var spread = await lb.SpreadAsync(client, 4);

        Assert.Equal(4, spread["b0"]);
        Assert.Equal("DOWN", lb.Status(2));
    }

    [Fact]
    public async Task Request_Forwarded_AddsXForwardedForAndKeepsHost()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(1);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0])]));
        var source = new IPAddress([127, 81, 0, (byte)Random.Shared.Next(1, 250)]);
        using var client = Client(source);

        await lb.GetAsync(client);

        var headers = Assert.Single(b[0].Received);
        Assert.Equal(source.ToString(), headers["X-Forwarded-For"]);
        Assert.Equal("http", headers["X-Forwarded-Proto"]);
        Assert.Equal($"{lb.Address}:{Port}", headers["Host"]);
    }

    [Fact]
    public async Task ApplyAsync_UpdateInPlace_KeepsHealthOfKeptNodes()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(3);
        b[2].HealthStatus = 500;
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], attempts: 3));
        Assert.Equal("UP", lb.Status(1));
        var listenerRounds = lb.Runtime.CheckRounds(ConfigId);

        // Node 3 is new and failing: one failure of three keeps it Unknown; 1 and 2 stay UP throughout.
        await lb.Runtime.ApplyAsync(
            lb.Spec([Node(1, b[0]), Node(2, b[1], weight: 10), Node(3, b[2])], algorithm: "leastconn", attempts: 3),
            CancellationToken.None);
        Assert.Equal("UP", lb.Status(1));
        Assert.Equal("UP", lb.Status(2));
        await Wait.UntilAsync(() => lb.Runtime.CheckRounds(ConfigId) > listenerRounds, "the round after the update");

        Assert.Equal("Unknown", lb.Status(3));
        Assert.Equal("UP", lb.Status(1));
        using var client = Client();
        Assert.False((await lb.SpreadAsync(client, 4)).ContainsKey("b2"));
    }

    [Fact]
    public async Task ApplyAsync_NewPort_RebindsAndKeepsHealth()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(1);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0])]));

        await lb.Runtime.ApplyAsync(lb.Spec([Node(1, b[0])], port: Port + 1), CancellationToken.None);

        Assert.Equal("UP", lb.Status(1));
        Assert.False(await Loopback.IsListeningAsync(new IPEndPoint(lb.Address, Port)));
        using var client = Client();
        Assert.Equal("b0", await client.GetStringAsync(new Uri($"http://{lb.Address}:{Port + 1}/")));
    }

    [Fact]
    public async Task RemoveAsync_Config_FreesPortAndForgetsNodes()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(1);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0])]));

        await lb.Runtime.RemoveAsync(ConfigId, CancellationToken.None);

        Assert.Equal("Unknown", lb.Status(1));
        using var listener = new TcpListener(lb.Address, Port);
        listener.Start();
        listener.Stop();
    }

    [Fact]
    public async Task DisposeAsync_SeveralConfigs_LeavesNoListener()
    {
        var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(1);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0])]));
        await lb.Runtime.ApplyAsync(lb.Spec([Node(1, b[0])], port: Port + 2) with { ConfigId = 8 }, CancellationToken.None);
        Assert.True(await Loopback.IsListeningAsync(new IPEndPoint(lb.Address, Port + 2)));

        await lb.DisposeAsync();

        Assert.False(await Loopback.IsListeningAsync(new IPEndPoint(lb.Address, Port)));
        Assert.False(await Loopback.IsListeningAsync(new IPEndPoint(lb.Address, Port + 2)));
        await Assert.ThrowsAsync<ObjectDisposedException>(
            () => lb.Runtime.ApplyAsync(lb.Spec([Node(1, b[0])]), CancellationToken.None));
    }

    [Fact]
    public async Task Tcp_Protocol_ForwardsBytes()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(2);
        await lb.ApplyAsync(lb.Spec([Node(1, b[0]), Node(2, b[1])], protocol: "tcp", check: "connection"));

        var answers = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync(lb.Address, Port);
            var stream = socket.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\nHost: x\r\n\r\n"));
            using var reader = new StreamReader(stream);
            answers.Add(await reader.ReadToEndAsync());
        }

        Assert.All(answers, a => Assert.StartsWith("HTTP/1.1 200", a, StringComparison.Ordinal));
        Assert.Contains(answers, a => a.EndsWith("b0", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.EndsWith("b1", StringComparison.Ordinal));
        Assert.All(b.SelectMany(x => x.Received), h => Assert.False(h.ContainsKey("X-Forwarded-For")));
    }

    [Fact]
    public async Task ApplyAsync_PortTaken_ThrowsAndKeepsNothing()
    {
        await using var lb = new BalancerHarness();
        var b = await lb.BackendsAsync(1);
        using var squatter = new TcpListener(lb.Address, Port);
        squatter.Start();

        await Assert.ThrowsAnyAsync<IOException>(
            () => lb.Runtime.ApplyAsync(lb.Spec([Node(1, b[0])]), CancellationToken.None));

        Assert.Equal("Unknown", lb.Status(1));
        squatter.Stop();
    }
}

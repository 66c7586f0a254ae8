using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Linode.Emulator.Tests.EndToEnd;

/// <summary>
/// The emulator as a user's own client sees it, over plain HTTP with hand-written JSON (no code of ours on the client
/// side): real Workload processes, a real load balancer, real health checks. <see cref="LightweightEndToEndTests"/>
/// runs the same with lightweight instances.
/// </summary>
public class EmulatorEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private EmulatorHost _host = null!;
    private HttpClient _api = null!;
    private readonly HttpClient _web = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    public async Task InitializeAsync()
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0" };
        Configure(options);
        _host = await EmulatorHost.StartAsync(options);
        _api = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(_host.BaseAddress, "v4/") };
        _api.DefaultRequestHeaders.Authorization = new("Bearer", "e2e-token");
    }

    /// <summary>What a variant changes in the emulator's options.</summary>
    protected virtual void Configure(EmulatorOptions options)
    {
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        _web.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task NodeBalancer_ThreeInstancesThenKillDrainDelete_TrafficFollowsHealthAndNothingIsLeft()
    {
        // Three instances from a public image boot the Workload on their own loopback address.
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var created = await Send(HttpMethod.Post, "linode/instances", new JsonObject
            {
                ["label"] = $"e2e-web-{i}",
                ["region"] = "us-east",
                ["type"] = "g6-nanode-1",
                ["image"] = "linode/debian12",
                ["root_pass"] = "Tr0ub4dor&3-horse-staple",
                ["private_ip"] = true,
                ["tags"] = new JsonArray("e2e", "pool:web"),
            });
            ids.Add(created["id"]!.GetValue<long>());
        }

        // Found by tag filter, and running.
        var instances = await WaitFor("three running instances tagged pool:web", async () =>
        {
            var list = await List("linode/instances", """{"tags":"pool:web"}""");
            return list.Count == 3 && list.All(l => l["status"]!.GetValue<string>() == "running") ? list : null;
        });
        var publicIp = instances.ToDictionary(l => l["id"]!.GetValue<long>(), l => Ipv4(l, isPrivate: false));
        var privateIp = instances.ToDictionary(l => l["id"]!.GetValue<long>(), l => Ipv4(l, isPrivate: true));
        Assert.All(publicIp.Values, ip => Assert.True(IPAddress.IsLoopback(IPAddress.Parse(ip)), ip + " is not loopback"));
        Assert.All(privateIp.Values, ip => Assert.StartsWith("192.168.", ip, StringComparison.Ordinal));

        // A NodeBalancer with an HTTP-checked config and the three private addresses as nodes.
        var nb = await Send(HttpMethod.Post, "nodebalancers", new JsonObject { ["region"] = "us-east", ["label"] = "e2e-nb" });
        var nbId = nb["id"]!.GetValue<long>();
        var nbIp = nb["ipv4"]!.GetValue<string>();
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(nbIp)));
        const int port = 8088;
        var config = await Send(HttpMethod.Post, $"nodebalancers/{nbId}/configs", new JsonObject
        {
            ["port"] = port,
            ["protocol"] = "http",
            ["algorithm"] = "roundrobin",
            ["check"] = "http",
            ["check_path"] = "/health",
            ["check_interval"] = 2,
            ["check_timeout"] = 1,
            ["check_attempts"] = 2,
        });
        var configId = config["id"]!.GetValue<long>();
        var nodeOf = new Dictionary<long, long>();
        foreach (var id in ids)
        {
            var node = await Send(HttpMethod.Post, $"nodebalancers/{nbId}/configs/{configId}/nodes", new JsonObject
            {
                ["label"] = $"node-{id}",
                ["address"] = $"{privateIp[id]}:8080",
            });
            Assert.Equal("unknown", node["status"]!.GetValue<string>(), ignoreCase: true);
            nodeOf[id] = node["id"]!.GetValue<long>();
        }

        await WaitFor("all three nodes UP", async () =>
        {
            var nodes = await List($"nodebalancers/{nbId}/configs/{configId}/nodes");
            return nodes.Count == 3 && nodes.All(n => n["status"]!.GetValue<string>() == "UP") ? nodes : null;
        });
        var upConfig = await Send(HttpMethod.Get, $"nodebalancers/{nbId}/configs/{configId}");
        Assert.Equal(3, upConfig["nodes_status"]!["up"]!.GetValue<int>());

        // Requests through the NodeBalancer reach all three.
        var servedBy = await Spread(nbIp, port, 30);
        Assert.Equal(["e2e-web-0", "e2e-web-1", "e2e-web-2"], servedBy.Keys.Order());

        // Kill one instance's process: the instance shows offline, its node goes DOWN, traffic avoids it.
        var victim = ids[0];
        using (var kill = await _api.PostAsync(new Uri(_host.BaseAddress, $"admin/instances/{victim}/kill"), null))
        {
            kill.EnsureSuccessStatusCode();
        }
        await WaitFor("the killed instance offline", async () =>
        {
            var l = await Send(HttpMethod.Get, $"linode/instances/{victim}");
            return l["status"]!.GetValue<string>() == "offline" ? l : null;
        });
        await WaitFor("the killed instance's node DOWN", async () =>
        {
            var n = await Send(HttpMethod.Get, $"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeOf[victim]}");
            return n["status"]!.GetValue<string>() == "DOWN" ? n : null;
        });
        var afterKill = await Spread(nbIp, port, 20);
        Assert.DoesNotContain("e2e-web-0", afterKill.Keys);
        Assert.Equal(20, afterKill.Values.Sum());

        // Drain the second node: it stops getting new requests.
        var drained = ids[1];
        await Send(HttpMethod.Put, $"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeOf[drained]}", new JsonObject { ["mode"] = "drain" });
        var afterDrain = await Spread(nbIp, port, 10);
        Assert.Equal(["e2e-web-2"], afterDrain.Keys);

        // Remove every node, delete every instance and the NodeBalancer: nothing keeps listening.
        foreach (var id in ids)
        {
            await Send(HttpMethod.Delete, $"nodebalancers/{nbId}/configs/{configId}/nodes/{nodeOf[id]}");
            await Send(HttpMethod.Delete, $"linode/instances/{id}");
        }
        await Send(HttpMethod.Delete, $"nodebalancers/{nbId}");
        await WaitFor("every instance gone", async () => (await List("linode/instances", """{"tags":"pool:web"}""")).Count == 0 ? "gone" : null);
        foreach (var ip in publicIp.Values)
        {
            await WaitFor($"nothing listening on {ip}:8080", async () => await Listening(ip, 8080) ? null : "closed");
            Assert.False(await Listening(ip, 9100), $"{ip}:9100 still listening");
        }
        Assert.False(await Listening(nbIp, port), "the NodeBalancer still listens");
    }

    private async Task<Dictionary<string, int>> Spread(string ip, int port, int requests)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < requests; i++)
        {
            using var response = await _web.GetAsync(new Uri($"http://{ip}:{port}/?work_ms=1"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var id = response.Headers.TryGetValues("X-Instance", out var values) ? values.Single() : "?";
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        return counts;
    }

    private static async Task<bool> Listening(string ip, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Parse(ip), port).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    private static string Ipv4(JsonNode linode, bool isPrivate) =>
        linode["ipv4"]!.AsArray().Select(a => a!.GetValue<string>())
            .Single(a => a.StartsWith("192.168.", StringComparison.Ordinal) == isPrivate);

    private async Task<JsonNode> Send(HttpMethod method, string path, JsonObject? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await _api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} -> {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private async Task<List<JsonNode>> List(string path, string? filter = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path + "?page_size=500");
        if (filter is not null)
        {
            request.Headers.Add("X-Filter", filter);
        }
        using var response = await _api.SendAsync(request);
        var page = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} -> {(int)response.StatusCode} {page}");
        return page!["data"]!.AsArray().Select(n => n!).ToList();
    }

    private static async Task<T> WaitFor<T>(string what, Func<Task<T?>> probe)
        where T : class
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            var value = await probe();
            if (value is not null)
            {
                return value;
            }
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"gave up waiting for {what} after {Patience.TotalSeconds} s");
            }
            await Task.Delay(200);
        }
    }
}

/// <summary>The same scenario with instances as listeners inside the emulator (<c>runtime.kind: lightweight</c>):
/// health checks, kills, drains and deletes behave as with processes.</summary>
public sealed class LightweightEndToEndTests : EmulatorEndToEndTests
{
    protected override void Configure(EmulatorOptions options) =>
        options.Runtime.Kind = Linode.Emulator.Runtime.InstanceRuntimeKind.Lightweight;
}

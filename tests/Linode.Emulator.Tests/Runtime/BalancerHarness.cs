using System.Net;
using System.Net.Sockets;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Linode.Emulator.Tests.Runtime;

/// <summary>A load balancer runtime on a fake clock (health-check rounds happen when the test advances it), a
/// NodeBalancer loopback address, and real backends.</summary>
internal sealed class BalancerHarness : IAsyncDisposable
{
    public const long ConfigId = 7;
    public const int Port = 8088;
    public const int Interval = 10;

    private readonly List<TestBackend> _backends = [];

    public FakeTimeProvider Time { get; } = new();

    public YarpLoadBalancerRuntime Runtime { get; }

    public IPAddress Address { get; } = Loopback.Next();

    public Uri Url => new($"http://{Address}:{Port}/");

    public BalancerHarness() => Runtime = new YarpLoadBalancerRuntime(Time, NullLoggerFactory.Instance);

    public IReadOnlyList<TestBackend> Backends => _backends;

    public async Task<TestBackend[]> BackendsAsync(int count)
    {
        var started = await Task.WhenAll(Enumerable.Range(0, count).Select(i => TestBackend.StartAsync($"b{i}")));
        _backends.AddRange(started);
        return started;
    }

    public static BalancerNode Node(long id, TestBackend backend, string mode = "accept", int weight = 50) =>
        new(id, backend.Endpoint, mode, weight);

    public BalancerConfigSpec Spec(
        IReadOnlyList<BalancerNode> nodes,
        string algorithm = "roundrobin",
        string stickiness = "none",
        string check = "http",
        int attempts = 2,
        string path = "/health",
        string body = "",
        bool passive = false,
        string protocol = "http",
        int port = Port) =>
        new(1, ConfigId, Address, port, protocol, algorithm, stickiness, check, Interval, 3, attempts, path, body,
            passive, nodes);

    /// <summary>Applies the spec (same address and port) and waits until the check round it starts has finished.</summary>
    public async Task ApplyAsync(BalancerConfigSpec spec)
    {
        var before = Runtime.CheckRounds(ConfigId);
        await Runtime.ApplyAsync(spec, CancellationToken.None);
        await Wait.UntilAsync(() => Runtime.CheckRounds(ConfigId) > before, "the first check round");
    }

    /// <summary>Lets one check interval pass on the fake clock and waits for the round it triggers.</summary>
    public async Task NextRoundAsync()
    {
        var before = Runtime.CheckRounds(ConfigId);
        Time.Advance(TimeSpan.FromSeconds(Interval));
        await Wait.UntilAsync(() => Runtime.CheckRounds(ConfigId) > before, "a check round");
    }

    public string Status(long nodeId) => Runtime.GetNodeStatus(ConfigId, nodeId);

    public long Requests(long nodeId) => Runtime.GetNodeCounters(ConfigId, nodeId)?.Requests ?? 0;

    /// <summary>A client whose connections come from <paramref name="source"/> (for source hashing and stickiness).</summary>
    public static HttpClient Client(IPAddress? source = null, bool cookies = false)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, UseCookies = cookies };
        if (source is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task<string> GetAsync(HttpClient client)
    {
        using var response = await client.GetAsync(Url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}: {body}");
        return body;
    }

    public async Task<Dictionary<string, int>> SpreadAsync(HttpClient client, int requests)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < requests; i++)
        {
            var name = await GetAsync(client);
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }

        return counts;
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autoscaler.Linode;
using Autoscaler.Linode.Models;
using Linode.Emulator;

namespace Autoscaler.Sandbox;

/// <summary>How to start a <see cref="SandboxEmulator"/>.</summary>
public sealed record SandboxEmulatorOptions
{
    /// <summary>The emulator's own options; default: any free port on 127.0.0.1, fast delays. Its
    /// <see cref="EmulatorOptions.Listen"/> should stay on loopback.</summary>
    public EmulatorOptions Emulator { get; init; } = new() { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };

    /// <summary>Clock, logging and runtimes (fake ones in tests; the caller owns runtimes it passes).</summary>
    public EmulatorServices? Services { get; init; }

    /// <summary>The token of <see cref="SandboxEmulator.Client"/> and <see cref="SandboxEmulator.Admin"/>. The
    /// emulator counts rate limits per token, as Linode does, so a caller that polls should use its own and leave the
    /// autoscaler's window alone.</summary>
    public string Token { get; init; } = "sandbox-inspector-token";

    /// <summary>Adjusts <see cref="SandboxEmulator.Client"/> (shorter retries in tests).</summary>
    public Action<LinodeClientOptions>? ConfigureClient { get; init; }

    /// <summary>The clock of <see cref="SandboxEmulator.Client"/>; default the system's.</summary>
    public TimeProvider? Time { get; init; }
}

/// <summary>
/// The Linode emulator in this process (real Workload processes behind real YARP NodeBalancers, or fake runtimes),
/// with a client of its API for the caller's own checks (never through a recording proxy) and its admin controls:
/// fault injection, killing an instance's process, a NodeBalancer made for a pool, the cloud as it is, and a
/// clean-up that leaves nothing behind.
/// </summary>
public sealed class SandboxEmulator : IAsyncDisposable
{
    private SandboxEmulator(EmulatorHost emulator, SandboxEmulatorOptions options)
    {
        Emulator = emulator;
        var client = new LinodeClientOptions { BaseUrl = ApiUrl, Token = options.Token };
        options.ConfigureClient?.Invoke(client);
        Client = LinodeClient.Create(client, options.Time);
        Admin = new HttpClient { BaseAddress = emulator.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", options.Token);
    }

    public EmulatorHost Emulator { get; }

    /// <summary>The emulator's address (the API is under <c>v4</c>, the admin routes under <c>admin</c>).</summary>
    public Uri BaseAddress => Emulator.BaseAddress;

    /// <summary>The API's base URL, <c>http://127.0.0.1:PORT/v4</c>.</summary>
    public string ApiUrl => new Uri(Emulator.BaseAddress, "v4").ToString();

    public StandaloneLinodeClient Client { get; }

    /// <summary>Raw HTTP to the emulator (admin routes, and API reads the typed client does not cover).</summary>
    public HttpClient Admin { get; }

    /// <summary>The user that owns the inspector's token (unless the caller listed that token itself).</summary>
    public const string InspectorUser = "sandbox-inspector";

    public static async Task<SandboxEmulator> StartAsync(SandboxEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SandboxEmulatorOptions();
        var emulatorOptions = options.Emulator;
        // The inspector watches for the test or demo, as another user of the account: its polls do not draw on the
        // rate-limit budget of the autoscaler under test (limits are counted per token owner). A token the caller
        // already listed keeps its place (the inspector then shares that user's budget).
        if (!emulatorOptions.Tokens.Contains(options.Token) && !emulatorOptions.ScopedTokens.Any(t => t.Token == options.Token))
        {
            emulatorOptions.ScopedTokens.Add(new EmulatorToken { Token = options.Token, User = InspectorUser });
        }

        var host = await EmulatorHost.StartAsync(emulatorOptions, options.Services, cancellationToken);
        return new SandboxEmulator(host, options);
    }

    /// <summary>An HTTP config on <paramref name="port"/> that balances round-robin over nodes whose active check of
    /// <c>GET /health</c> runs every <paramref name="checkInterval"/> seconds; passive checks off (a saturated instance
    /// answers 503 by design and must not be taken out for it).</summary>
    public static ConfigRequest HealthCheckedHttp(int port, int checkInterval = 2, int checkAttempts = 1) => new()
    {
        Port = port,
        Protocol = ConfigProtocol.Http,
        Algorithm = BalancingAlgorithm.Roundrobin,
        Check = HealthCheck.Http,
        CheckPath = "/health",
        CheckInterval = checkInterval,
        CheckTimeout = 1,
        CheckAttempts = checkAttempts,
        CheckPassive = false,
    };

    /// <summary>A NodeBalancer in us-east with one config.</summary>
    public async Task<(NodeBalancer NodeBalancer, NodeBalancerConfig Config)> CreateNodeBalancerAsync(string label, ConfigRequest config,
        IReadOnlyList<string>? tags = null, CancellationToken cancellationToken = default)
    {
        var nb = await Client.NodeBalancers.CreateAsync(new CreateNodeBalancerRequest { Region = "us-east", Label = label, Tags = tags }, cancellationToken);
        var created = await Client.NodeBalancers.CreateConfigAsync(nb.Id, config, cancellationToken);
        return (nb, created);
    }

    /// <summary>Changes some fault settings (<c>PUT /admin/faults</c>); returns those in force.</summary>
    public async Task<JsonObject> SetFaultsAsync(object faults)
    {
        using var response = await Admin.PutAsJsonAsync("admin/faults", faults);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT /admin/faults: {(int)response.StatusCode} {text}");
        }

        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>The account's <c>balance_uninvoiced</c> (<c>GET /account</c>): what the emulated cloud has billed so far
    /// this month, by its own arithmetic. Read as a decimal from the JSON text, so it compares exactly with ours.</summary>
    public async Task<decimal> BalanceUninvoicedAsync(CancellationToken cancellationToken = default)
    {
        using var response = await Admin.GetAsync("v4/account", cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET /account: {(int)response.StatusCode} {text}");
        }

        return JsonDocument.Parse(text).RootElement.GetProperty("balance_uninvoiced").GetDecimal();
    }

    /// <summary>Kills an instance's process (<c>POST /admin/instances/{id}/kill</c>); false when it had none.</summary>
    public async Task<bool> KillProcessAsync(long id, CancellationToken cancellationToken = default)
    {
        using var response = await Admin.PostAsync($"admin/instances/{id}/kill", null, cancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("killed").GetBoolean();
    }

    /// <summary>What the cloud holds right now: every instance of the account, those tagged
    /// <paramref name="poolTag"/>, and the nodes of one NodeBalancer config.</summary>
    public async Task<CloudView> ViewAsync(string poolTag, long nodeBalancerId, long configId)
    {
        var all = new List<Instance>();
        await foreach (var i in Client.Instances.ListAsync())
        {
            all.Add(i);
        }

        var nodes = new List<NodeBalancerNode>();
        await foreach (var n in Client.NodeBalancers.ListNodesAsync(nodeBalancerId, configId))
        {
            nodes.Add(n);
        }

        return new CloudView(all, [.. all.Where(i => i.HasTag(poolTag))], nodes);
    }

    /// <summary>Labels of instances whose boot failed (the emulator's <c>linode_boot</c> events with status failed).</summary>
    public async Task<IReadOnlyList<string>> FailedBootsAsync()
    {
        var labels = new List<string>();
        for (var page = 1; ; page++)
        {
            var doc = JsonDocument.Parse(await Admin.GetStringAsync($"v4/account/events?page={page}&page_size=500")).RootElement;
            foreach (var e in doc.GetProperty("data").EnumerateArray())
            {
                if (e.GetProperty("action").GetString() == "linode_boot" && e.GetProperty("status").GetString() == "failed"
                    && e.GetProperty("entity").ValueKind == JsonValueKind.Object)
                {
                    labels.Add(e.GetProperty("entity").GetProperty("label").GetString()!);
                }
            }

            if (page >= doc.GetProperty("pages").GetInt32())
            {
                return labels;
            }
        }
    }

    /// <summary>Deletes every instance and NodeBalancer through the API and waits (up to <paramref name="timeout"/>)
    /// until no instance is left; the instances left, and what went wrong (empty when nothing did).</summary>
    public async Task<(int InstancesLeft, IReadOnlyList<string> Problems)> DeleteEverythingAsync(TimeSpan timeout, TimeProvider? time = null)
    {
        var problems = new List<string>();
        var instancesLeft = 0;
        using var cleanup = new CancellationTokenSource(timeout);
        try
        {
            foreach (var instance in await Client.Instances.ListAsync(null, cleanup.Token).ToListAsync(cleanup.Token))
            {
                if (instance.Status != InstanceStatus.Deleting)
                {
                    await Client.Instances.DeleteAsync(instance.Id, cleanup.Token);
                }
            }

            foreach (var nb in await Client.NodeBalancers.ListAsync(null, cleanup.Token).ToListAsync(cleanup.Token))
            {
                await Client.NodeBalancers.DeleteAsync(nb.Id, cleanup.Token);
            }

            while (true)
            {
                var left = await Client.Instances.ListAsync(null, cleanup.Token).ToListAsync(cleanup.Token);
                instancesLeft = left.Count;
                if (left.Count == 0)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), time ?? TimeProvider.System, cleanup.Token);
            }
        }
        catch (Exception e) when (e is LinodeException or OperationCanceledException or HttpRequestException)
        {
            problems.Add($"could not delete every instance through the API: {e.Message}");
        }

        if (instancesLeft > 0)
        {
            problems.Add($"{instancesLeft} instance(s) still in the emulator after the clean-up");
        }

        return (instancesLeft, problems);
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Client.Dispose();
        await Emulator.DisposeAsync();
    }
}

/// <summary>The account's instances and a pool's NodeBalancer config nodes at one moment.</summary>
public sealed record CloudView(IReadOnlyList<Instance> All, IReadOnlyList<Instance> Members, IReadOnlyList<NodeBalancerNode> Nodes)
{
    /// <summary>The port the autoscaler's pools put in their nodes' addresses.</summary>
    public const int NodePort = 8080;

    private static string NodeAddress(Instance i) => i.PrivateIpv4 + ":" + NodePort;

    /// <summary>Pool-tagged instances not deleting.</summary>
    public IReadOnlyList<Instance> Live => [.. Members.Where(i => i.Status != InstanceStatus.Deleting)];

    /// <summary>Members whose node accepts traffic and is UP while the instance runs.</summary>
    public int Serving => Live.Count(i => i.Status == InstanceStatus.Running
        && Nodes.Any(n => n.Address == NodeAddress(i) && n.Mode == NodeMode.Accept && n.Status == NodeStatus.Up));

    /// <summary>Pool-tagged instances that are neither a node of the NodeBalancer nor named by an open operation
    /// (<paramref name="openOperations"/>: labels and instance ids).</summary>
    public IReadOnlyList<Instance> Leaked(IReadOnlySet<string> openOperations) =>
        [.. Members.Where(i => !Nodes.Any(n => n.Address == NodeAddress(i))
            && !openOperations.Contains(i.Label) && !openOperations.Contains(i.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>Nodes whose address is no instance's.</summary>
    public IReadOnlyList<NodeBalancerNode> Orphans =>
        [.. Nodes.Where(n => !All.Any(i => NodeAddress(i) == n.Address))];

    /// <summary>Instances of the account without the pool tag (the autoscaler only ever creates tagged ones).</summary>
    public IReadOnlyList<Instance> Untagged(string poolTag) => [.. All.Where(i => !i.HasTag(poolTag))];

    public string Describe() =>
        $"{Members.Count} members ({string.Join(", ", Members.Select(m => $"{m.Label}:{m.RawStatus}"))}), {Nodes.Count} nodes ("
        + string.Join(", ", Nodes.Select(n => $"{n.Label}:{n.Status}/{n.Mode}")) + ")";
}

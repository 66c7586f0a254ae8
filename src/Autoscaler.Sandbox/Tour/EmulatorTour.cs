using System.Diagnostics;
using System.Net;
using Autoscaler.Linode;
using Autoscaler.Linode.Models;
using Linode.Emulator;

namespace Autoscaler.Sandbox.Tour;

/// <summary>What the tour left behind.</summary>
/// <param name="InstancesLeft">Instances still listed after the deletions finished.</param>
/// <param name="ProcessesListening">Instances whose app port still answers.</param>
/// <param name="Elapsed">The tour's length.</param>
public sealed record TourResult(int InstancesLeft, int ProcessesListening, TimeSpan Elapsed)
{
    public bool IsClean => InstancesLeft == 0 && ProcessesListening == 0;
}

/// <summary>
/// The local Linode shown working end to end with our own client: instances boot as real processes, join a
/// NodeBalancer whose health checks bring them UP, take traffic, and one dies and is avoided; then everything is
/// drained, deleted, and checked gone.
/// </summary>
public static class EmulatorTour
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    /// <summary>Runs the tour on an emulator started from <paramref name="options"/> (its listen address should be
    /// loopback). Whatever happens, the instances and the NodeBalancer it created are deleted before it returns or
    /// throws (<see cref="OperationCanceledException"/> when cancelled, <see cref="TimeoutException"/> when a step
    /// never comes).</summary>
    public static async Task<TourResult> RunAsync(EmulatorOptions options, int count, int requests, ITourReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(reporter);
        var clock = Stopwatch.StartNew();
        await using var sandbox = await SandboxEmulator.StartAsync(new SandboxEmulatorOptions { Emulator = options, Token = "demo-token" }, ct);
        var linode = sandbox.Client;
        using var web = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(10) };
        var tag = "pool:demo";
        var created = new List<Instance>();
        long? nbId = null;

        void Step(string text) => reporter.OnStep(clock.Elapsed, text);

        try
        {
            reporter.OnBegin();
            Step($"emulator serving the Linode API v4 at [link]{sandbox.BaseAddress}v4[/]");

            Step($"creating {count} instances (g6-nanode-1, linode/debian12, private IP, tag [blue]{tag}[/])");
            var createClock = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                created.Add(await linode.Instances.CreateAsync(new CreateInstanceRequest
                {
                    Region = "us-east",
                    Type = "g6-nanode-1",
                    Image = "linode/debian12",
                    Label = $"demo-web-{i + 1}",
                    RootPass = "Demo-" + Guid.NewGuid().ToString("N"),
                    PrivateIp = true,
                    Tags = [tag],
                }, ct));
            }

            var pool = await WaitAsync("instances running", async () =>
            {
                var list = await linode.Instances.ListAsync(Filter.Tag(tag), ct).ToListAsync(ct);
                return list.Count == count && list.All(l => l.Status == InstanceStatus.Running) ? list : null;
            }, ct);
            Step($"all {count} running after [green]{createClock.Elapsed.TotalSeconds:F1} s[/] (found by X-Filter {{\"tags\":\"{tag}\"}})");
            reporter.OnInstances(pool);

            // Passive checks stay at the API's default here: a killed instance is also seen by the requests it fails.
            var (nb, cfg) = await sandbox.CreateNodeBalancerAsync("demo-nb", SandboxEmulator.HealthCheckedHttp(8088, 2, 2) with { CheckPassive = null }, [tag], ct);
            nbId = nb.Id;
            Step($"NodeBalancer [blue]{nb.Label}[/] at {nb.Ipv4}, config :{cfg.Port} roundrobin, http check /health every 2 s");
            var nodes = new Dictionary<long, NodeBalancerNode>();
            foreach (var instance in pool)
            {
                nodes[instance.Id] = await linode.NodeBalancers.CreateNodeAsync(nb.Id, cfg.Id, new NodeRequest
                {
                    Label = instance.Label,
                    Address = $"{instance.PrivateIpv4}:8080",
                }, ct);
            }
            Step($"nodes added at their private addresses ({string.Join(", ", nodes.Values.Select(n => n.Address))}), status {nodes.Values.First().RawStatus}");

            await WaitAsync("nodes UP", async () =>
            {
                var list = await linode.NodeBalancers.ListNodesAsync(nb.Id, cfg.Id, ct).ToListAsync(ct);
                return list.Count == count && list.All(n => n.Status == NodeStatus.Up) ? list : null;
            }, ct);
            Step("health checks passed: every node [green]UP[/]");

            var spread = await SpreadAsync(web, nb.Ipv4!, cfg.Port, requests, ct);
            reporter.OnSpread("traffic through the NodeBalancer", spread, pool);

            var victim = pool[0];
            await sandbox.KillProcessAsync(victim.Id, ct);
            Step($"[red]killed[/] the process of {victim.Label} (fault injection)");
            await WaitAsync($"{victim.Label} offline and its node DOWN", async () =>
            {
                var instance = await linode.Instances.GetAsync(victim.Id, ct);
                var node = await linode.NodeBalancers.GetNodeAsync(nb.Id, cfg.Id, nodes[victim.Id].Id, ct);
                return instance.Status == InstanceStatus.Offline && node.Status == NodeStatus.Down ? node : null;
            }, ct);
            Step($"{victim.Label} is [red]offline[/], its node [red]DOWN[/]");
            spread = await SpreadAsync(web, nb.Ipv4!, cfg.Port, requests, ct);
            reporter.OnSpread("traffic after the crash", spread, pool);

            Step("scale-in: drain each node, remove it, delete its instance");
            foreach (var instance in pool)
            {
                await linode.NodeBalancers.UpdateNodeAsync(nb.Id, cfg.Id, nodes[instance.Id].Id, new NodeRequest { Mode = NodeMode.Drain }, ct);
                await linode.NodeBalancers.DeleteNodeAsync(nb.Id, cfg.Id, nodes[instance.Id].Id, ct);
                await linode.Instances.DeleteAsync(instance.Id, ct);
                Step($"  {instance.Label}: drained, node removed, instance deleted");
            }
            created.Clear();
            await linode.NodeBalancers.DeleteAsync(nb.Id, ct);
            nbId = null;

            // Deleting takes a moment (status "deleting", then gone), as on the real platform.
            var left = await WaitAsync("the deletions to finish", async () =>
            {
                var list = await linode.Instances.ListAsync(Filter.Tag(tag), ct).ToListAsync(ct);
                return list.All(l => l.Status == InstanceStatus.Deleting) && list.Count > 0 ? null : list;
            }, ct);
            var listening = 0;
            foreach (var instance in pool)
            {
                listening += await Leftovers.IsListeningAsync(IPAddress.Parse(instance.PublicIpv4!), 8080) ? 1 : 0;
            }
            Step($"left behind: [bold]{left.Count}[/] instances, [bold]{listening}[/] processes still listening");
            return new TourResult(left.Count, listening, clock.Elapsed);
        }
        finally
        {
            // Disposing the emulator stops every process and listener; deleting through the API first keeps the
            // emulator's own state tidy when the scenario is cut short.
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            foreach (var instance in created)
            {
                try { await linode.Instances.DeleteAsync(instance.Id, cleanup.Token); } catch (Exception) { /* best effort */ }
            }
            if (nbId is { } id)
            {
                try { await linode.NodeBalancers.DeleteAsync(id, cleanup.Token); } catch (Exception) { /* best effort */ }
            }
        }
    }

    private static async Task<T> WaitAsync<T>(string what, Func<Task<T?>> probe, CancellationToken ct)
        where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            if (deadline.Elapsed > Patience)
            {
                throw new TimeoutException($"gave up waiting for {what} after {Patience.TotalSeconds:F0} s");
            }
            await Task.Delay(250, ct);
        }
    }

    private static async Task<Dictionary<string, int>> SpreadAsync(HttpClient web, string ip, int port, int requests, CancellationToken ct)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < requests; i++)
        {
            string key;
            try
            {
                using var response = await web.GetAsync(new Uri($"http://{ip}:{port}/"), ct);
                key = response.IsSuccessStatusCode && response.Headers.TryGetValues("X-Instance", out var values)
                    ? values.First()
                    : "error";
            }
            catch (HttpRequestException)
            {
                key = "error";
            }
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Autoscaler.Linode;
using Autoscaler.Linode.Models;
using Linode.Emulator;
using Spectre.Console;

namespace Autoscaler.Cli.Commands;

/// <summary>
/// <c>linode-autoscaler tour</c>: the local Linode shown working end to end with our own client — instances boot as
/// real processes, join a NodeBalancer whose health checks bring them UP, take traffic, and one dies and is avoided;
/// then everything is drained, deleted, and checked gone.
/// </summary>
internal static class EmulatorTourCommand
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    public static Command Create()
    {
        var instances = new Option<int>("--instances") { Description = "Instances in the pool (2..20)", DefaultValueFactory = _ => 3 };
        var requests = new Option<int>("--requests") { Description = "Requests sent through the NodeBalancer per phase", DefaultValueFactory = _ => 30 };
        var config = new Option<FileInfo?>("--emulator-config") { Description = "Emulator YAML config (e.g. the realistic delay profile)" };
        var command = new Command("tour", "Tour the local Linode: boot a pool behind a NodeBalancer, send traffic, "
            + "kill an instance, drain and delete everything") { instances, requests, config };
        command.SetAction(async (parse, ct) =>
        {
            var count = parse.GetValue(instances);
            if (count is < 2 or > 20)
            {
                await Console.Error.WriteLineAsync($"tour: --instances must be between 2 and 20 (got {count})");
                return 2;
            }
            var options = parse.GetValue(config) is { } file ? EmulatorOptions.Load(file.FullName) : new EmulatorOptions();
            options.Listen = "127.0.0.1:0";
            var errors = options.Validate();
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    await Console.Error.WriteLineAsync("tour: " + error);
                }
                return 2;
            }
            return await RunAsync(options, count, parse.GetValue(requests), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(EmulatorOptions options, int count, int requests, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using var host = await EmulatorHost.StartAsync(options, cancellationToken: ct);
        using var linode = LinodeClient.Create(new LinodeClientOptions { BaseUrl = host.BaseAddress + "v4", Token = "demo-token" });
        using var web = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(10) };
        var tag = "pool:demo";
        var created = new List<Instance>();
        long? nbId = null;

        void Step(string text) => AnsiConsole.MarkupLine($"[grey]{clock.Elapsed:mm\\:ss\\.f}[/] {text}");

        try
        {
            AnsiConsole.Write(new Rule("[bold]linode-autoscaler tour: the local Linode[/]").LeftJustified());
            Step($"emulator serving the Linode API v4 at [link]{host.BaseAddress}v4[/]");

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
            ShowInstances(pool);

            var nb = await linode.NodeBalancers.CreateAsync(new CreateNodeBalancerRequest { Region = "us-east", Label = "demo-nb", Tags = [tag] }, ct);
            nbId = nb.Id;
            var cfg = await linode.NodeBalancers.CreateConfigAsync(nb.Id, new ConfigRequest
            {
                Port = 8088,
                Protocol = ConfigProtocol.Http,
                Algorithm = BalancingAlgorithm.Roundrobin,
                Check = HealthCheck.Http,
                CheckPath = "/health",
                CheckInterval = 2,
                CheckTimeout = 1,
                CheckAttempts = 2,
            }, ct);
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
            ShowSpread("traffic through the NodeBalancer", spread, pool);

            var victim = pool[0];
            using (var kill = await web.PostAsync(new Uri(host.BaseAddress, $"admin/instances/{victim.Id}/kill"), null, ct))
            {
                kill.EnsureSuccessStatusCode();
            }
            Step($"[red]killed[/] the process of {victim.Label} (fault injection)");
            await WaitAsync($"{victim.Label} offline and its node DOWN", async () =>
            {
                var instance = await linode.Instances.GetAsync(victim.Id, ct);
                var node = await linode.NodeBalancers.GetNodeAsync(nb.Id, cfg.Id, nodes[victim.Id].Id, ct);
                return instance.Status == InstanceStatus.Offline && node.Status == NodeStatus.Down ? node : null;
            }, ct);
            Step($"{victim.Label} is [red]offline[/], its node [red]DOWN[/]");
            spread = await SpreadAsync(web, nb.Ipv4!, cfg.Port, requests, ct);
            ShowSpread("traffic after the crash", spread, pool);

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
                listening += await IsListeningAsync(instance.PublicIpv4!, 8080) ? 1 : 0;
            }
            Step($"left behind: [bold]{left.Count}[/] instances, [bold]{listening}[/] processes still listening");
            AnsiConsole.Write(new Rule($"[green]done in {clock.Elapsed.TotalSeconds:F1} s[/]").LeftJustified());
            return left.Count == 0 && listening == 0 ? 0 : 1;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]interrupted: cleaning up[/]");
            return 130;
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

    private static void ShowInstances(IReadOnlyList<Instance> list)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("id", "label", "status", "public IPv4 (loopback)", "private IPv4");
        foreach (var l in list)
        {
            table.AddRow(l.Id.ToString(CultureInfo.InvariantCulture), l.Label, l.RawStatus, l.PublicIpv4 ?? "-", l.PrivateIpv4 ?? "-");
        }
        AnsiConsole.Write(table);
    }

    private static void ShowSpread(string title, Dictionary<string, int> spread, IReadOnlyList<Instance> pool)
    {
        var chart = new BarChart().Label(title).Width(60);
        foreach (var instance in pool)
        {
            chart.AddItem(instance.Label, spread.GetValueOrDefault(instance.Label), Color.Green);
        }
        if (spread.TryGetValue("error", out var errors))
        {
            chart.AddItem("errors", errors, Color.Red);
        }
        AnsiConsole.Write(chart);
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

    private static async Task<bool> IsListeningAsync(string ip, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(System.Net.IPAddress.Parse(ip), port).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }
}

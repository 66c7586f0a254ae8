using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Autoscaler.Linode.Tests.Support;
using Linode.Emulator;
using CoreNodeMode = Autoscaler.Core.Pools.NodeMode;
using CoreNodeStatus = Autoscaler.Core.Pools.NodeStatus;
using PoolNodeBalancer = Autoscaler.Linode.Configuration.NodeBalancerConfig;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>The provider against the emulator with its real runtimes: instances are Workload processes on their own
/// loopback addresses, the NodeBalancer a YARP listener whose HTTP health checks decide node status.</summary>
public sealed class RealRuntimeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Pool_LaunchJoinServeDrainRemove_NothingLeftBehind()
    {
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        // Addresses of our own, so that emulators of other test classes or projects running now never collide.
        var net = Random.Shared.Next(1, 250);
        options.InstanceAddressPool = $"127.{Random.Shared.Next(100, 150)}.{net}.0/24";
        options.NodeBalancerAddressPool = $"127.{Random.Shared.Next(150, 200)}.{net}.0/24";
        options.Runtime.WorkloadPath = WorkloadLocator.Find();
        // Limits off: this test is about real processes, not pacing; its polling loops would draw on Linode's budgets.
        options.RateLimits.Enabled = false;
        await using var host = await EmulatorHost.StartAsync(options, new EmulatorServices());
        var logs = new TestLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        using var client = TestClients.Create(new Uri(host.BaseAddress, "v4").ToString(), loggerFactory: loggerFactory);
        var factory = new LinodeInstancePoolFactory(client, loggerFactory: loggerFactory, options: new LinodeInstancePoolFactoryOptions
        {
            NewConfig = LinodeInstancePoolFactoryOptions.DefaultNewConfig with { CheckInterval = 2, CheckTimeout = 1, CheckAttempts = 1 },
        });
        var config = ProviderHarness.PoolConfig().WithLinode(l => l with
        {
            NodeBalancer = new PoolNodeBalancer { Label = "rt-nb", Port = 8088, NodePort = 8080, CreateIfMissing = true },
        });
        var pool = await factory.CreateAsync(config, CancellationToken.None);
        var nb = await client.NodeBalancers.GetAsync(pool.Target.NodeBalancerId);

        // Launch two members and wait until both run.
        await pool.LaunchAsync(new LaunchRequest("web", "web-real0001", "op-1", "test"), CancellationToken.None);
        await pool.LaunchAsync(new LaunchRequest("web", "web-real0002", "op-2", "test"), CancellationToken.None);
        var running = await WaitForSnapshotAsync(pool, s => s.Members.Count == 2 && s.Members.All(m => m.State == InstanceState.Running), "two running members");

        // Join them; the balancer's health checks bring both nodes UP.
        foreach (var member in running.Members)
        {
            await pool.JoinAsync(member, CancellationToken.None);
        }

        var serving = await WaitForSnapshotAsync(pool, s => s.Members.All(m => m.Node is { Status: CoreNodeStatus.Up, Mode: CoreNodeMode.Accept }), "both nodes UP");
        Assert.Empty(serving.OrphanNodes);
        using (var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) })
        {
            using var response = await http.GetAsync(new Uri($"http://{nb.Ipv4}:8088/health"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Drain and remove one; the other keeps serving.
        var victim = serving.Members.Single(m => m.Label == "web-real0002");
        var survivor = serving.Members.Single(m => m.Label == "web-real0001");
        await pool.DrainAsync(victim, CancellationToken.None);
        var drained = await WaitForSnapshotAsync(pool, s => s.Members.Single(m => m.Id == victim.Id).Node?.Mode == CoreNodeMode.Drain, "victim draining");
        await pool.RemoveAsync(drained.Members.Single(m => m.Id == victim.Id), CancellationToken.None);
        var afterRemove = await WaitForSnapshotAsync(pool, s => s.Members.Count == 1, "victim gone");
        Assert.Equal(survivor.Id, afterRemove.Members.Single().Id);
        Assert.Equal(CoreNodeStatus.Up, afterRemove.Members.Single().Node!.Status);
        await WaitUntilRefusedAsync(victim.Address!);

        // Remove the survivor too: no instance, node or process may be left.
        await pool.RemoveAsync(afterRemove.Members.Single(), CancellationToken.None);
        var empty = await WaitForSnapshotAsync(pool, s => s.Members.Count == 0, "pool empty");
        Assert.Empty(empty.OrphanNodes);
        Assert.Empty(await client.Instances.ListAsync().ToListAsync());
        Assert.Empty(await client.NodeBalancers.ListNodesAsync(pool.Target.NodeBalancerId, pool.Target.ConfigId).ToListAsync());
        await WaitUntilRefusedAsync(survivor.Address!);
    }

    private static async Task<PoolSnapshot> WaitForSnapshotAsync(LinodeInstancePool pool, Func<PoolSnapshot, bool> condition, string what)
    {
        PoolSnapshot? last = null;
        await TestClients.WaitUntilAsync(async () =>
        {
            last = await pool.SnapshotAsync(CancellationToken.None);
            return condition(last);
        }, what, Patience);
        return last!;
    }

    /// <summary>The instance's Workload process is gone: nothing listens on its app port any more.</summary>
    private static Task WaitUntilRefusedAsync(string address) =>
        TestClients.WaitUntilAsync(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Parse(address), 8080);
                return false;
            }
            catch (SocketException)
            {
                return true;
            }
        }, $"nothing listening on {address}:8080", Patience);
}

/// <summary>Finds the Workload program that emulated instances boot: beside the tests when the project references it,
/// else in the repository's build output of src/Workload (same configuration first).</summary>
internal static class WorkloadLocator
{
    public static string Find()
    {
        var here = AppContext.BaseDirectory;
        var local = Path.Combine(here, "workload.dll");
        if (File.Exists(local))
        {
            return local;
        }

        var root = new DirectoryInfo(here);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "linode-autoscaler.slnx")))
        {
            root = root.Parent;
        }

        Assert.True(root is not null, $"repository root not found above {here}");
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var candidates = new[] { configuration, configuration == "Release" ? "Debug" : "Release" }
            .Select(c => Path.Combine(root.FullName, "src", "Workload", "bin", c, "net10.0", "workload.dll"))
            .ToList();
        var found = candidates.FirstOrDefault(File.Exists);
        Assert.True(found is not null, "the Workload is not built; looked for " + string.Join(", ", candidates) + " (build src/Workload)");
        return found;
    }
}

using System.Globalization;
using System.Net;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Linode.Emulator.Tests.Runtime;

public sealed class ProcessInstanceRuntimeTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static ProcessInstanceRuntime NewRuntime(Action<InstanceRuntimeOptions>? configure = null)
    {
        var options = new InstanceRuntimeOptions { StopGracePeriod = TimeSpan.FromSeconds(2) };
        configure?.Invoke(options);
        return new ProcessInstanceRuntime(options, NullLogger<ProcessInstanceRuntime>.Instance);
    }

    private static InstanceProcessSpec Spec(long id, IPAddress address, string image = "linode/debian12", int vcpus = 2) =>
        new(id, $"web-{id}", address, image, vcpus, null, NoEnvironment);

    private static HttpClient Client() => new(new SocketsHttpHandler { UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private static async Task<bool> HealthyAsync(HttpClient client, IPAddress address)
    {
        try
        {
            using var response = await client.GetAsync(new Uri($"http://{address}:8080/health"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    [Fact]
    public async Task StartAsync_DefaultImage_WorkloadServesOnInstanceAddress()
    {
        await using var runtime = NewRuntime();
        var exited = 0;
        runtime.ProcessExited += _ => Interlocked.Increment(ref exited);
        var address = Loopback.Next();
        using var client = Client();

        await runtime.StartAsync(Spec(11, address, vcpus: 3), CancellationToken.None);
        await Wait.UntilAsync(() => HealthyAsync(client, address), "the workload to answer /health");

        var body = await client.GetStringAsync(new Uri($"http://{address}:8080/?work_ms=1"));
        var metrics = await client.GetStringAsync(new Uri($"http://{address}:9100/metrics"));
        Assert.True(runtime.IsRunning(11));
        Assert.Contains("instance=web-11", body, StringComparison.Ordinal);
        Assert.Contains("node_cpu_seconds_total{cpu=\"2\",mode=\"user\"}", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("cpu=\"3\"", metrics, StringComparison.Ordinal);

        await runtime.StopAsync(11, CancellationToken.None);

        Assert.False(runtime.IsRunning(11));
        Assert.False(await Loopback.IsListeningAsync(new IPEndPoint(address, 8080)));
        Assert.Equal(0, exited);
    }

    [Fact]
    public async Task Kill_RunningWorkload_RaisesProcessExitedOnce()
    {
        await using var runtime = NewRuntime();
        var exits = new List<long>();
        runtime.ProcessExited += id => { lock (exits) { exits.Add(id); } };
        var address = Loopback.Next();
        using var client = Client();
        await runtime.StartAsync(Spec(12, address), CancellationToken.None);
        await Wait.UntilAsync(() => HealthyAsync(client, address), "the workload to answer /health");

        Assert.True(runtime.Kill(12));
        await Wait.UntilAsync(() => { lock (exits) { return exits.Count > 0; } }, "ProcessExited");

        Assert.False(runtime.IsRunning(12));
        Assert.False(runtime.Kill(12));
        Assert.False(await Loopback.IsListeningAsync(new IPEndPoint(address, 8080)));
        await runtime.StopAsync(12, CancellationToken.None);
        lock (exits)
        {
            Assert.Equal([12L], exits);
        }
    }

    [Fact]
    public async Task ProcessExited_CommandCrashes_RaisedWithId()
    {
        await using var runtime = NewRuntime(o => o.Images["test/crash"] = new ImageCommand("/bin/sh", ["-c", "exit 3"]));
        var raised = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        runtime.ProcessExited += id => raised.TrySetResult(id);

        await runtime.StartAsync(Spec(13, Loopback.Next(), "test/crash"), CancellationToken.None);

        Assert.Equal(13, await raised.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(runtime.IsRunning(13));
    }

    [Fact]
    public async Task StartAsync_ImageCommand_SubstitutesPlaceholdersAndSetsEnvironment()
    {
        var output = Path.Combine(Path.GetTempPath(), $"instance-{Guid.NewGuid():N}.txt");
        await using var runtime = NewRuntime(o => o.Images["test/echo"] = new ImageCommand(
            "/bin/sh",
            ["-c", $"echo \"{{id}} {{label}} {{address}} {{vcpus}} $LINODE_ID $LINODE_LABEL $EXTRA $LINODE_USER_DATA\" > {output}.tmp && mv {output}.tmp {output}; exec sleep 300"]));
        var address = Loopback.Next();
        var spec = new InstanceProcessSpec(14, "db-1", address, "test/echo", 4, "hello",
            new Dictionary<string, string> { ["EXTRA"] = "x1" });
        try
        {
            await runtime.StartAsync(spec, CancellationToken.None);
            await Wait.UntilAsync(() => File.Exists(output), "the command to write its file");

            Assert.Equal($"14 db-1 {address} 4 14 db-1 x1 hello", (await File.ReadAllTextAsync(output)).Trim());
            Assert.True(runtime.IsRunning(14));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task StartAsync_MissingCommand_ThrowsInstanceBootException()
    {
        await using var runtime = NewRuntime(o => o.DefaultCommand = new ImageCommand("/nonexistent/boot-me", []));

        var error = await Assert.ThrowsAsync<InstanceBootException>(
            () => runtime.StartAsync(Spec(15, Loopback.Next()), CancellationToken.None));

        Assert.Contains("/nonexistent/boot-me", error.Message, StringComparison.Ordinal);
        Assert.Contains("instance 15", error.Message, StringComparison.Ordinal);
        Assert.False(runtime.IsRunning(15));
    }

    [Fact]
    public async Task StartAsync_MissingWorkload_ThrowsInstanceBootException()
    {
        await using var runtime = NewRuntime(o => o.WorkloadPath = "/nonexistent/workload.dll");

        var error = await Assert.ThrowsAsync<InstanceBootException>(
            () => runtime.StartAsync(Spec(16, Loopback.Next()), CancellationToken.None));

        Assert.Contains("Workload program was not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_AlreadyRunning_Throws()
    {
        await using var runtime = NewRuntime(o => o.DefaultCommand = new ImageCommand("sleep", ["300"]));
        await runtime.StartAsync(Spec(17, Loopback.Next()), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => runtime.StartAsync(Spec(17, Loopback.Next()), CancellationToken.None));
    }

    [Fact]
    public async Task StopAsync_UnknownId_IsNoOp()
    {
        await using var runtime = NewRuntime();

        await runtime.StopAsync(999, CancellationToken.None);

        Assert.False(runtime.IsRunning(999));
        Assert.False(runtime.Kill(999));
    }

    [Fact]
    public async Task StopAsync_CommandIgnoresSigterm_KilledAfterGracePeriod()
    {
        await using var runtime = NewRuntime(o =>
        {
            o.StopGracePeriod = TimeSpan.FromMilliseconds(500);
            o.DefaultCommand = new ImageCommand("/bin/sh", ["-c", "trap '' TERM; sleep 300 & wait; wait"]);
        });
        var exited = 0;
        runtime.ProcessExited += _ => Interlocked.Increment(ref exited);
        await runtime.StartAsync(Spec(18, Loopback.Next()), CancellationToken.None);
        var pids = await DescendantsAsync(runtime, 18, 2);

        await runtime.StopAsync(18, CancellationToken.None);

        Assert.False(runtime.IsRunning(18));
        Assert.All(pids, pid => Assert.False(Alive(pid), $"pid {pid} outlived the stop"));
        Assert.Equal(0, exited);
    }

    [Fact]
    public async Task DisposeAsync_SeveralInstancesWithChildren_LeavesNoProcess()
    {
        var runtime = NewRuntime(o => o.Images["test/tree"] =
            new ImageCommand("/bin/sh", ["-c", "sleep 300 & sleep 301 & wait"]));
        var address = Loopback.Next();
        using var client = Client();
        await runtime.StartAsync(Spec(19, address), CancellationToken.None);
        await runtime.StartAsync(Spec(20, Loopback.Next(), "test/tree"), CancellationToken.None);
        var tree = await DescendantsAsync(runtime, 20, 3);
        await Wait.UntilAsync(() => HealthyAsync(client, address), "the workload to answer /health");

        await runtime.DisposeAsync();

        Assert.False(runtime.IsRunning(19));
        Assert.False(runtime.IsRunning(20));
        Assert.All(tree, pid => Assert.False(Alive(pid), $"pid {pid} outlived dispose"));
        Assert.False(await Loopback.IsListeningAsync(new IPEndPoint(address, 8080)));
        await Assert.ThrowsAsync<ObjectDisposedException>(
            () => runtime.StartAsync(Spec(21, Loopback.Next()), CancellationToken.None));
    }

    // The pids of the instance's process tree once it has at least `count` members.
    private static async Task<List<int>> DescendantsAsync(ProcessInstanceRuntime runtime, long id, int count)
    {
        var root = runtime.ProcessIdOf(id) ?? throw new InvalidOperationException("not running");
        List<int> pids = [];
        await Wait.UntilAsync(() =>
        {
            pids = Descendants(root);
            return pids.Count >= count;
        }, $"{count} processes in the tree of instance {id}");
        return pids;
    }

    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                }
            }
        }

        var tree = new List<int> { root };
        for (var i = 0; i < tree.Count; i++)
        {
            tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        }

        return tree;
    }

    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }
}

using System.Net;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Linode.Emulator.Tests.Runtime;

/// <summary>An instance's process is told both of its addresses: the public loopback address and the one standing
/// for its private IPv4, where NodeBalancers connect.</summary>
public sealed class PrivateNetworkProcessTests
{
    private static ProcessInstanceRuntime NewRuntime(Action<InstanceRuntimeOptions>? configure = null)
    {
        var options = new InstanceRuntimeOptions { StopGracePeriod = TimeSpan.FromSeconds(2) };
        configure?.Invoke(options);
        return new ProcessInstanceRuntime(options, NullLogger<ProcessInstanceRuntime>.Instance);
    }

    [Fact]
    public async Task StartAsync_ImageCommand_ToldBothAddresses()
    {
        var output = Path.Combine(Path.GetTempPath(), $"instance-{Guid.NewGuid():N}.txt");
        await using var runtime = NewRuntime(o => o.Images["test/echo"] = new ImageCommand(
            "/bin/sh",
            ["-c", $"echo \"{{address}} {{private_address}} $EMULATOR_PUBLIC_ADDRESS $EMULATOR_PRIVATE_ADDRESS\" > {output}.tmp && mv {output}.tmp {output}; exec sleep 300"]));
        var (address, privateAddress) = (Loopback.Next(), Loopback.Next());
        try
        {
            await runtime.StartAsync(new InstanceProcessSpec(21, "web-21", address, "test/echo", 1, null,
                new Dictionary<string, string>(), privateAddress), CancellationToken.None);
            await Wait.UntilAsync(() => File.Exists(output), "the command to write its file");

            Assert.Equal($"{address} {privateAddress} {address} {privateAddress}", (await File.ReadAllTextAsync(output)).Trim());
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task StartAsync_Workload_BindsPublicAndPrivateAddress()
    {
        await using var runtime = NewRuntime();
        var (address, privateAddress) = (Loopback.Next(), Loopback.Next());
        await runtime.StartAsync(new InstanceProcessSpec(22, "web-22", address, "linode/debian12", 1, null,
            new Dictionary<string, string>(), privateAddress), CancellationToken.None);

        await Wait.UntilAsync(() => Loopback.IsListeningAsync(new IPEndPoint(privateAddress, 8080)), "the Workload on its private address");
        Assert.True(await Loopback.IsListeningAsync(new IPEndPoint(address, 8080)));
        Assert.True(await Loopback.IsListeningAsync(new IPEndPoint(privateAddress, 9100)));
    }
}

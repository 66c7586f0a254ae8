using System.Net;
using System.Net.Sockets;

namespace Linode.Emulator.Tests.Runtime;

/// <summary>Unique loopback addresses (127.77.x.y) so tests that bind fixed ports can run in parallel.</summary>
internal static class Loopback
{
    private static int _next = Random.Shared.Next(0, 200 * 250);

    public static IPAddress Next()
    {
        var n = Interlocked.Increment(ref _next) % (250 * 250);
        return new IPAddress([127, 77, (byte)(1 + (n / 250)), (byte)(1 + (n % 250))]);
    }

    /// <summary>A port free on the address right now.</summary>
    public static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<bool> IsListeningAsync(IPEndPoint endpoint)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(endpoint, timeout.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

internal static class Wait
{
    /// <summary>Polls a condition in real time; fails with <paramref name="what"/> after a generous timeout.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, int seconds = 60)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > TimeSpan.FromSeconds(seconds))
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(20);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!await condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > TimeSpan.FromSeconds(seconds))
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(50);
        }
    }
}

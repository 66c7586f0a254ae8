using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Autoscaler.Sandbox;

/// <summary>Checks that a part is really gone after a clean-up: its process exited, nothing listens where it did.</summary>
public static class Leftovers
{
    /// <summary>True while process <paramref name="pid"/> runs.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>True when a TCP connection to <paramref name="endpoint"/>'s address and port succeeds within 2 s
    /// (false for a host name: every part listens on a loopback address).</summary>
    public static async Task<bool> IsListeningAsync(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return IPAddress.TryParse(endpoint.Host, out var ip) && await IsListeningAsync(ip, endpoint.Port);
    }

    /// <inheritdoc cref="IsListeningAsync(Uri)"/>
    public static async Task<bool> IsListeningAsync(IPAddress address, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(address, port).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace Autoscaler.Cli.Commands;

/// <summary>
/// Checks made before anything starts, so a taken port or an unreachable API is one line naming the address and the
/// setting to change, not a stack trace after a minute of retries.
/// </summary>
internal static class Preflight
{
    /// <summary>True when something already listens on <paramref name="listen"/> (host:port; port 0 is never taken).</summary>
    public static bool PortTaken(string listen)
    {
        if (!TryEndpoint(listen, out var endpoint) || endpoint.Port == 0)
        {
            return false;
        }

        using var probe = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(endpoint);
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
        catch (SocketException)
        {
            // Not ours to judge (no such address here…): the real start reports it.
            return false;
        }
    }

    /// <summary>Null when a TCP connection to <paramref name="url"/>'s host and port opens within
    /// <paramref name="timeout"/>, else why not ("connection refused").</summary>
    public static async Task<string?> UnreachableAsync(Uri url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(url.Host, url.Port, cts.Token);
            return null;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"host '{url.Host}' not found",
                SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                _ => ex.Message,
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0} s";
        }
    }

    private static bool TryEndpoint(string listen, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        var colon = listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(listen.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        var host = listen[..colon].Trim('[', ']');
        var ip = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (ip is null)
        {
            return false;
        }

        endpoint = new IPEndPoint(ip, port);
        return true;
    }
}

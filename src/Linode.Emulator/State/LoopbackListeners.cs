using System.Globalization;

namespace Linode.Emulator.State;

/// <summary>Whether some process of this machine listens on a loopback address (any port), from Linux's socket table.</summary>
/// <remarks>The table is read once a second at most: with a fleet of lightweight instances (four listening sockets
/// each) and the health checks' closed connections it holds thousands of lines, and a read per address allocated
/// took tens of milliseconds under the state's lock. A second's staleness is harmless: addresses this process
/// hands out are claimed in process (<see cref="AddressPool"/>), so only another process's brand-new listener could
/// be missed, and binding it then fails the boot visibly.</remarks>
internal static class LoopbackListeners
{
    private const string ListenState = "0A";
    private const long MaxAgeMs = 1000;

    private static readonly Lock Gate = new();
    private static HashSet<string>? _listening;
    private static long _readAt;

    public static bool IsListening(uint address)
    {
        // The kernel writes local_address as the IPv4 in host byte order (little endian on x86/arm) then ':port'.
        var hex = BitConverter.IsLittleEndian
            ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(address).ToString("X8", CultureInfo.InvariantCulture)
            : address.ToString("X8", CultureInfo.InvariantCulture);
        lock (Gate)
        {
            var now = Environment.TickCount64;
            if (_listening is null || now - _readAt > MaxAgeMs)
            {
                _listening = Read();
                _readAt = now;
            }
            return _listening.Contains(hex);
        }
    }

    private static HashSet<string> Read()
    {
        const string table = "/proc/net/tcp";
        var listening = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(table))
        {
            return listening;
        }
        try
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 3 && fields[3] == ListenState && fields[1].Length > 8 && fields[1][8] == ':')
                {
                    listening.Add(fields[1][..8]);
                }
            }
        }
        catch (IOException)
        {
            // The table is advisory: without it, allocation falls back to the in-process claims and the random start.
        }
        return listening;
    }
}

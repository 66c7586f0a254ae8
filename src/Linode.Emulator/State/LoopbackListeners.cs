using System.Globalization;

namespace Linode.Emulator.State;

/// <summary>Whether some process of this machine listens on a loopback address (any port), from Linux's socket table.</summary>
internal static class LoopbackListeners
{
    private const string ListenState = "0A";

    public static bool IsListening(uint address)
    {
        const string table = "/proc/net/tcp";
        if (!File.Exists(table))
        {
            return false;
        }
        // The kernel writes local_address as the IPv4 in host byte order (little endian on x86/arm) then ':port'.
        var hex = BitConverter.IsLittleEndian
            ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(address).ToString("X8", CultureInfo.InvariantCulture)
            : address.ToString("X8", CultureInfo.InvariantCulture);
        try
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 3 && fields[3] == ListenState
                    && fields[1].StartsWith(hex, StringComparison.Ordinal) && fields[1][8] == ':')
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            // The table is advisory: without it, allocation falls back to the in-process claims and the random start.
        }
        return false;
    }
}

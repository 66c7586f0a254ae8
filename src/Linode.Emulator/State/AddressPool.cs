using System.Buffers.Binary;
using System.Net;

namespace Linode.Emulator.State;

/// <summary>Hands out IPv4 addresses of a range, next-fit so that a released address is reused as late as possible,
/// never one still in use and never one whose last octet is 0 or 255 (they look like network/broadcast addresses
/// to people and some tools).</summary>
/// <remarks>Several emulators can share one machine (parallel test assemblies, a demo beside a test run), and their
/// instances bind real sockets on these addresses. So a loopback pool starts at a random point of its range, skips
/// addresses another emulator of this process holds, and skips addresses that already have a listening socket.</remarks>
internal sealed class AddressPool
{
    // Loopback addresses held by any emulator of this process.
    private static readonly HashSet<uint> ClaimedInProcess = [];

    private readonly uint _first;
    private readonly uint _last;
    private readonly HashSet<uint> _used = [];
    private readonly bool _bindsSockets;
    private uint _next;

    public AddressPool(IPNetwork network)
    {
        var size = 1u << (32 - network.PrefixLength);
        _first = ToUInt(network.BaseAddress);
        _last = _first + size - 1;
        _bindsSockets = IPAddress.IsLoopback(network.BaseAddress);
        _next = _bindsSockets && size > 1 ? _first + (uint)Random.Shared.NextInt64(size) : _first;
        Network = network;
    }

    public IPNetwork Network { get; }

    public int InUse => _used.Count;

    public bool Contains(IPAddress address) => Network.Contains(address);

    public bool IsUsed(IPAddress address) => _used.Contains(ToUInt(address));

    /// <summary>The next free address, or null when the range is exhausted.</summary>
    public IPAddress? Allocate()
    {
        var span = _last - _first + 1;
        for (var i = 0u; i < span; i++)
        {
            var candidate = _next;
            _next = _next == _last ? _first : _next + 1;
            var lastOctet = candidate & 0xFF;
            if (lastOctet is 0 or 255 || _used.Contains(candidate))
            {
                continue;
            }
            if (_bindsSockets)
            {
                lock (ClaimedInProcess)
                {
                    if (ClaimedInProcess.Contains(candidate) || LoopbackListeners.IsListening(candidate))
                    {
                        continue;
                    }
                    ClaimedInProcess.Add(candidate);
                }
            }
            _used.Add(candidate);
            return FromUInt(candidate);
        }
        return null;
    }

    public void Release(IPAddress address)
    {
        var value = ToUInt(address);
        if (_used.Remove(value) && _bindsSockets)
        {
            lock (ClaimedInProcess)
            {
                ClaimedInProcess.Remove(value);
            }
        }
    }

    /// <summary>Gives back every address this pool holds (the emulator is shutting down).</summary>
    public void ReleaseAll()
    {
        foreach (var value in _used.ToArray())
        {
            Release(FromUInt(value));
        }
    }

    private static uint ToUInt(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.MapToIPv4().TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private static IPAddress FromUInt(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }
}

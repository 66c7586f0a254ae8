using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace Linode.Emulator.Runtime;

/// <summary>The one endpoint the lightweight runtime's Kestrel server listens on: not a socket, but every socket
/// the instances open (see <see cref="InstanceConnectionListener"/>).</summary>
internal sealed class InstancesEndPoint : EndPoint
{
    public override string ToString() => "lightweight-instances";
}

/// <summary>
/// Kestrel's transport for lightweight instances. Kestrel cannot add or remove listen addresses while it runs, but
/// instances come and go every few seconds; so the server listens on one <see cref="InstancesEndPoint"/>, and the
/// runtime hands it each connection its own per-instance sockets accepted. Kestrel then parses HTTP for all of
/// them, and the handler tells instances apart by the connection's local address.
/// </summary>
internal sealed class InstanceConnectionListener : IConnectionListenerFactory, IConnectionListenerFactorySelector, IConnectionListener
{
    private readonly Channel<ConnectionContext> _accepted =
        Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = false });

    public EndPoint EndPoint { get; } = new InstancesEndPoint();

    public bool CanBind(EndPoint endpoint) => endpoint is InstancesEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(this);

    /// <summary>Hands an accepted connection to Kestrel; false once the server has stopped listening.</summary>
    public bool Offer(ConnectionContext connection) => _accepted.Writer.TryWrite(connection);

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // Kestrel reads null as "this listener is done".
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _accepted.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var pending))
        {
            await pending.DisposeAsync();
        }
    }
}

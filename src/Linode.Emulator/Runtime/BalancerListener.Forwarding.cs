using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Linode.Emulator.Runtime;

// Forwarding: HTTP through YARP (with HAProxy-style redispatch and passive checks), TCP byte for byte.
internal sealed partial class BalancerListener
{
    private async Task ForwardHttpAsync(HttpContext context)
    {
        var client = context.Connection.RemoteIpAddress;
        if (!ClientAllowed(client))
        {
            context.Abort();
            return;
        }

        long? cookieNode = context.Request.Cookies.TryGetValue(CookieName, out var cookie)
                           && long.TryParse(cookie, out var parsed) ? parsed : null;
        var retriable = context.Request.ContentLength is null or 0
                        && !context.Request.Headers.ContainsKey("Transfer-Encoding")
                        && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method));
        HashSet<long>? tried = null;
        while (true)
        {
            var node = Choose(client, cookieNode, tried, out var newSticky);
            if (node is null)
            {
                await WriteNoServerAsync(context);
                return;
            }

            context.Items[CookieItem] = newSticky ? node.NodeId : null;
            if (node.Blocked)
            {
                // The node's firewall drops the connection: a failed attempt, redispatched once like any other.
                node.End();
                RecordPassive(node, true);
                if (retriable && tried is null)
                {
                    tried = [node.NodeId];
                    continue;
                }

                await WriteNoServerAsync(context);
                return;
            }

            ForwarderError error;
            try
            {
                error = await _forwarder.SendAsync(context, node.DestinationPrefix, _invoker, RequestConfig,
                    _transformer);
            }
            finally
            {
                node.End();
            }

            var failed = error is not ForwarderError.None and not ForwarderError.RequestCanceled
                             and not ForwarderError.RequestBodyClient and not ForwarderError.ResponseBodyClient
                             and not ForwarderError.RequestBodyCanceled and not ForwarderError.ResponseBodyCanceled
                         || (error == ForwarderError.None && context.Response.StatusCode >= 500);
            RecordPassive(node, failed);

            // Nothing reached the backend and nothing went to the client yet: try another node once.
            if (error == ForwarderError.Request && retriable && !context.Response.HasStarted && tried is null)
            {
                tried = [node.NodeId];
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.Headers.Clear();
                continue;
            }

            return;
        }
    }

    // The NodeBalancer's own firewall: a client it drops gets no connection at all.
    private bool ClientAllowed(IPAddress? client) =>
        Spec.ClientFilter is not { } filter || client is null || filter.Allows(client, Spec.Port);

    private static async Task WriteNoServerAsync(HttpContext context)
    {
        var body = Encoding.ASCII.GetBytes(NoServerPage);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/html";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.Connection = "close";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private void RecordPassive(BalancerNodeState node, bool failed)
    {
        var spec = Spec;
        if (!spec.CheckPassive)
        {
            return;
        }

        if (failed)
        {
            node.CountPassiveFailure();
            ApplyResult(node, false, "passive check: request failed");
        }
        else if (Volatile.Read(ref node.Failures) != 0)
        {
            lock (_gate)
            {
                node.Failures = 0;
            }
        }
    }

    /// <summary>Adds X-Forwarded-For/Proto, keeps the client's Host, and sets the stickiness cookie.</summary>
    private sealed class BalancerTransformer : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(
            HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
            CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            var client = httpContext.Connection.RemoteIpAddress;
            if (client is not null)
            {
                var address = (client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client).ToString();
                var existing = httpContext.Request.Headers["X-Forwarded-For"].ToString();
                proxyRequest.Headers.Remove("X-Forwarded-For");
                proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For",
                    existing.Length == 0 ? address : $"{existing}, {address}");
            }

            proxyRequest.Headers.Remove("X-Forwarded-Proto");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            proxyRequest.Headers.Host = httpContext.Request.Host.HasValue ? httpContext.Request.Host.Value : null;
        }

        public override async ValueTask<bool> TransformResponseAsync(
            HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            if (proxyResponse is not null && httpContext.Items[CookieItem] is long nodeId)
            {
                httpContext.Response.Headers.Append("Set-Cookie", $"{CookieName}={nodeId}; path=/");
            }

            return proceed;
        }
    }

    // ---- TCP forwarding --------------------------------------------------------------------------------------

    private async Task ForwardTcpAsync(ConnectionContext connection)
    {
        var client = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (!ClientAllowed(client))
        {
            connection.Abort();
            return;
        }

        HashSet<long>? tried = null;
        while (true)
        {
            var node = Choose(client, null, tried, out _);
            if (node is null)
            {
                return;
            }

            using var backend = new Socket(node.Backend.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                try
                {
                    if (node.Blocked)
                    {
                        throw new SocketException((int)SocketError.TimedOut);
                    }

                    using var connect = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
                    connect.CancelAfter(TimeSpan.FromSeconds(5));
                    await backend.ConnectAsync(node.Backend, connect.Token);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    RecordPassive(node, true);
                    if (tried is null)
                    {
                        tried = [node.NodeId];
                        continue;
                    }

                    return;
                }

                RecordPassive(node, false);
                await using var stream = new NetworkStream(backend, ownsSocket: false);
                var up = PumpAsync(connection.Transport.Input, stream, backend);
                var down = stream.CopyToAsync(connection.Transport.Output.AsStream(leaveOpen: true));
                if (await Task.WhenAny(up, down) == down)
                {
                    // The backend closed: stop reading the client so the connection can close too. (When the client
                    // closes first, its half-close went on to the backend and the response still flows back.)
                    connection.Transport.Input.CancelPendingRead();
                }

                await Quiet(up);
                await Quiet(down);
            }
            finally
            {
                node.End();
            }

            return;
        }
    }

    private static async Task PumpAsync(PipeReader input, NetworkStream stream, Socket backend)
    {
        await input.CopyToAsync(stream);
        backend.Shutdown(SocketShutdown.Send);
    }

    private static async Task Quiet(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException
                                      or OperationCanceledException or ConnectionResetException)
        {
        }
    }
}

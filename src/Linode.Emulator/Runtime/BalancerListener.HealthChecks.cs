using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Linode.Emulator.Runtime;

// Active health checks: a round every check_interval probes every node not in reject mode; its first success makes
// a node UP, check_attempts failures in a row make it DOWN.
internal sealed partial class BalancerListener
{
    private void RestartChecks()
    {
        var previous = _checksStop;
        var previousTask = _checks;
        previous?.Cancel();
        var stop = new CancellationTokenSource();
        _checksStop = stop;
        _checks = Task.Run(async () =>
        {
            // One loop at a time: the old one is cancelled and finishes before the new one checks.
            await Quiet(previousTask);
            previous?.Dispose();
            await CheckLoopAsync(stop.Token);
        });
    }

    private async Task StopChecksAsync()
    {
        var stop = _checksStop;
        _checksStop = null;
        stop?.Cancel();
        await Quiet(_checks);
        stop?.Dispose();
    }

    private async Task CheckLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await CheckRoundAsync(cancellationToken);
                var interval = TimeSpan.FromSeconds(Math.Max(1, Spec.CheckIntervalSeconds));
                var wait = Task.Delay(interval, _time, cancellationToken);
                Interlocked.Increment(ref _rounds);
                await wait;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task CheckRoundAsync(CancellationToken cancellationToken)
    {
        var spec = Spec;
        var nodes = Volatile.Read(ref _nodes).Where(n => n.Mode != NodeMode.Reject).ToArray();
        var check = spec.Check.ToLowerInvariant();
        var results = await Task.WhenAll(nodes.Select(n => CheckAsync(n, spec, check, cancellationToken)));
        cancellationToken.ThrowIfCancellationRequested();
        for (var i = 0; i < nodes.Length; i++)
        {
            ApplyResult(nodes[i], results[i].Ok, results[i].Reason);
        }
    }

    private async Task<(bool Ok, string Reason)> CheckAsync(
        BalancerNodeState node, BalancerConfigSpec spec, string check, CancellationToken cancellationToken)
    {
        if (check is not ("connection" or "http" or "http_body"))
        {
            return (true, "no active check");
        }

        if (node.Blocked)
        {
            // A firewall drops the probe: no answer, so the check times out.
            return (false, "timed out (dropped by the node's Cloud Firewall)");
        }

        var timeout = TimeSpan.FromSeconds(Math.Max(1, spec.CheckTimeoutSeconds));
        using var clock = new CancellationTokenSource(timeout, _time);

        // check_timeout runs on the injected clock; this real-time net only keeps a check from hanging forever when
        // that clock is a test's and nobody advances it.
        using var wall = new CancellationTokenSource(timeout + TimeSpan.FromSeconds(30));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, clock.Token, wall.Token);
        try
        {
            if (check == "connection")
            {
                using var socket = new Socket(node.Backend.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(node.Backend, linked.Token);
                return (true, "connected");
            }

            var path = string.IsNullOrEmpty(spec.CheckPath) ? "/" : spec.CheckPath;
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{node.Backend}{(path.StartsWith('/') ? path : "/" + path)}"));
            request.Headers.ConnectionClose = true;
            using var response = await _checkClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            if (check == "http")
            {
                return status is >= 200 and < 400 ? (true, $"HTTP {status}") : (false, $"HTTP {status}");
            }

            var body = await ReadStartAsync(response, linked.Token);
            Regex? regex;
            lock (_gate)
            {
                regex = _checkBody;
            }

            return regex is not null && regex.IsMatch(body)
                ? (true, "body matches")
                : (false, $"HTTP {status}, body does not match");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, "timed out");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or RegexMatchTimeoutException)
        {
            return (false, e.Message);
        }
    }

    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[CheckBodyBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private void ApplyResult(BalancerNodeState node, bool ok, string reason)
    {
        string? changedTo = null;
        var spec = Spec;
        lock (_gate)
        {
            if (node.Mode == NodeMode.Reject)
            {
                // A round that began before the node was rejected; reject mode is DOWN whatever it found.
                return;
            }

            if (ok)
            {
                node.Failures = 0;
                if (node.Status != NodeStatus.Up)
                {
                    node.Status = changedTo = NodeStatus.Up;
                }
            }
            else
            {
                node.Failures++;
                if (node.Failures >= Math.Max(1, spec.CheckAttempts) && node.Status != NodeStatus.Down)
                {
                    node.Status = changedTo = NodeStatus.Down;
                }
            }
        }

        if (changedTo is not null)
        {
            LogNodeStatus(_logger, spec.NodeBalancerId, spec.ConfigId, spec.Port, node.NodeId,
                node.Backend.ToString(), changedTo, reason);
        }
    }
}

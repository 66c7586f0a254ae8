using System.Net;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging;

namespace Linode.Emulator.State;

/// <summary>
/// Keeps the load balancer runtime in step with the NodeBalancer configs. Changes are serialized: a change takes the
/// sync gate, mutates the state and builds the specs under the state lock, then applies them outside it. Because the
/// spec is built inside the gate, the last one applied is always the latest state.
/// </summary>
internal sealed partial class BalancerSync(EmulatorState state, ILoadBalancerRuntime runtime, ILogger logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<long> _applied = [];

    /// <summary>A node's health as the API shows it (the runtime says <c>Unknown</c> until checks decide).</summary>
    public string StatusOf(NodeBalancerNode node) => runtime.GetNodeStatus(node.Config.Id, node.Id);

    /// <summary>Runs <paramref name="change"/> (which takes the state lock itself and returns the configs to apply
    /// and to remove), then brings the runtime in line, waiting for it so the listener is ready when the API
    /// answers.</summary>
    public async Task<T> ChangeAsync<T>(Func<BalancerChange<T>> change)
    {
        await _gate.WaitAsync();
        try
        {
            var outcome = change();
            foreach (var id in outcome.Remove)
            {
                try
                {
                    await runtime.RemoveAsync(id, CancellationToken.None);
                    _applied.Remove(id);
                }
                catch (Exception e)
                {
                    LogRemoveFailed(logger, e, id);
                }
            }
            foreach (var spec in outcome.Apply)
            {
                try
                {
                    await runtime.ApplyAsync(spec, CancellationToken.None);
                    _applied.Add(spec.ConfigId);
                }
                catch (Exception e)
                {
                    // The API change stands, as a real NodeBalancer's would; the listener is what failed.
                    LogApplyFailed(logger, e, spec.ConfigId);
                }
            }
            return outcome.Result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The runtime's view of a config (call with the state lock held). A node's backend is the loopback
    /// address behind its private address, with the node's port; no packet goes to 192.168.</summary>
    public BalancerConfigSpec Spec(NodeBalancerConfig config)
    {
        var nodes = new List<BalancerNode>();
        foreach (var node in config.Nodes)
        {
            if (state.LoopbackFor(node.PrivateAddress) is { } loopback)
            {
                nodes.Add(new BalancerNode(node.Id, new IPEndPoint(loopback, node.Port), node.Mode, node.Weight));
            }
        }
        return new BalancerConfigSpec(
            config.NodeBalancer.Id,
            config.Id,
            config.NodeBalancer.Ipv4,
            config.Port,
            config.Protocol,
            config.Algorithm,
            config.Stickiness,
            config.Check,
            config.CheckInterval,
            config.CheckTimeout,
            config.CheckAttempts,
            config.CheckPath,
            config.CheckBody,
            config.CheckPassive,
            nodes);
    }

    /// <summary>Removes every config this emulator applied (on shutdown).</summary>
    public async Task RemoveAllAsync()
    {
        await _gate.WaitAsync();
        try
        {
            foreach (var id in _applied.ToList())
            {
                try
                {
                    await runtime.RemoveAsync(id, CancellationToken.None);
                }
                catch (Exception e)
                {
                    LogRemoveFailed(logger, e, id);
                }
            }
            _applied.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}

/// <summary>What a NodeBalancer change returns to the client, and what the load balancer must do.</summary>
internal sealed record BalancerChange<T>(T Result, IReadOnlyList<BalancerConfigSpec> Apply, IReadOnlyList<long> Remove)
{
    public static BalancerChange<T> Only(T result) => new(result, [], []);

    /// <summary>The same change answering with <paramref name="shape"/> of the result (the API's JSON).</summary>
    public BalancerChange<TOut> Select<TOut>(Func<T, TOut> shape) => new(shape(Result), Apply, Remove);
}

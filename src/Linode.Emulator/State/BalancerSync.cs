using System.Collections.Concurrent;
using System.Net;
using Linode.Emulator.Runtime;
using Microsoft.Extensions.Logging;

namespace Linode.Emulator.State;

/// <summary>
/// Keeps the load balancer runtime in step with the NodeBalancer configs. Changes are serialized: a change takes the
/// sync gate, mutates the state and builds the specs under the state lock, then applies them outside it. Because the
/// spec is built inside the gate, the last one applied is always the latest state.
/// </summary>
/// <remarks>
/// A real NodeBalancer takes changes asynchronously ("applied within 60 seconds"): the API answers with the new
/// values at once, the balancers follow later. So a change to a config that already runs is applied only after the
/// apply delay (<see cref="EmulatorDelays.NodeBalancerApply"/>), each change after its own delay; a change whose
/// delay ends after a later change's has been applied is dropped, so the balancer never goes back to older
/// settings. New configs start and removed configs stop at once (simpler than Linode, where a new config also takes
/// a while: the listener is ready when the API answers).
/// </remarks>
internal sealed partial class BalancerSync(
    EmulatorState state, ILoadBalancerRuntime runtime, ILogger logger, EmulatorDelays? delays = null) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<long> _applied = [];

    // Per config: the sequence number of the change the runtime runs now (guarded by _gate).
    private readonly Dictionary<long, long> _appliedSeq = [];
    private readonly ConcurrentDictionary<Task, byte> _pending = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeSpan _applyDelay = delays?.NodeBalancerApply ?? TimeSpan.Zero;
    private readonly bool _applyRandom = delays?.NodeBalancerApplyRandom ?? false;
    private long _seq;

    /// <summary>A node's health as the API shows it (the runtime says <c>Unknown</c> until checks decide).</summary>
    public string StatusOf(NodeBalancerNode node) => runtime.GetNodeStatus(node.Config.Id, node.Id);

    /// <summary>Changes accepted by the API that the balancer has not applied yet.</summary>
    public int PendingChanges => _pending.Count;

    /// <summary>Runs <paramref name="change"/> (which takes the state lock itself and returns the configs to apply
    /// and to remove), then brings the runtime in line: new configs at once, waiting for them so the listener is
    /// ready when the API answers; changes to running configs after the apply delay.</summary>
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
                // Config ids are never reused: a change still waiting for this config must not bring it back.
                _appliedSeq[id] = long.MaxValue;
            }
            foreach (var spec in outcome.Apply)
            {
                var seq = ++_seq;
                var delay = NextDelay();
                if (_applied.Contains(spec.ConfigId) && delay > TimeSpan.Zero)
                {
                    Schedule(spec, seq, delay);
                    continue;
                }
                await ApplyNowAsync(spec, seq);
            }
            return outcome.Result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private TimeSpan NextDelay() =>
        _applyDelay <= TimeSpan.Zero ? TimeSpan.Zero
        : _applyRandom ? _applyDelay * Random.Shared.NextDouble()
        : _applyDelay;

    // Called with _gate held.
    private async Task ApplyNowAsync(BalancerConfigSpec spec, long seq)
    {
        if (_appliedSeq.GetValueOrDefault(spec.ConfigId) >= seq)
        {
            return;
        }
        try
        {
            await runtime.ApplyAsync(spec, CancellationToken.None);
            _applied.Add(spec.ConfigId);
            _appliedSeq[spec.ConfigId] = seq;
        }
        catch (Exception e)
        {
            // The API change stands, as a real NodeBalancer's would; the listener is what failed.
            LogApplyFailed(logger, e, spec.ConfigId);
        }
    }

    private void Schedule(BalancerConfigSpec spec, long seq, TimeSpan delay)
    {
        var stopping = _stopping.Token;
        var task = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, state.Time, stopping);
                await _gate.WaitAsync(stopping);
                try
                {
                    await ApplyNowAsync(spec, seq);
                }
                finally
                {
                    _gate.Release();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // The emulator is stopping: the change never reaches the balancer, as with a deleted NodeBalancer.
            }
        }, CancellationToken.None);
        _pending.TryAdd(task, 0);
        task.ContinueWith(t => _pending.TryRemove(t, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The runtime's view of a config (call with the state lock held). A node's backend is the loopback
    /// address behind its private address, with the node's port; no packet goes to 192.168.</summary>
    public BalancerConfigSpec Spec(NodeBalancerConfig config)
    {
        var nodes = new List<BalancerNode>();
        var source = config.NodeBalancer.PrivateSource;
        foreach (var node in config.Nodes)
        {
            if (state.LoopbackFor(node.PrivateAddress) is { } loopback)
            {
                // The balancer's checks and requests come from its private address in 192.168.255.0/24: the node's
                // firewall must let that range reach the node's port.
                var firewall = state.InstanceWithPrivate(node.PrivateAddress) is { } instance
                    ? state.Firewalls.Of("linode", instance.Id)
                    : null;
                var blocked = firewall is not null && !firewall.Filter().Allows(source, node.Port);
                nodes.Add(new BalancerNode(node.Id, new IPEndPoint(loopback, node.Port), node.Mode, node.Weight, blocked));
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
            nodes)
        {
            ClientFilter = state.Firewalls.Of("nodebalancer", config.NodeBalancer.Id)?.Filter(),
        };
    }

    /// <summary>The specs of every config (after a firewall change, which may concern any node).</summary>
    public IReadOnlyList<BalancerConfigSpec> AllSpecs() => [.. state.Configs.Values.Select(Spec)];

    /// <summary>Removes every config this emulator applied (on shutdown).</summary>
    public async Task RemoveAllAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_pending.Keys.ToList());
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

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _gate.Dispose();
    }
}

/// <summary>What a NodeBalancer change returns to the client, and what the load balancer must do.</summary>
internal sealed record BalancerChange<T>(T Result, IReadOnlyList<BalancerConfigSpec> Apply, IReadOnlyList<long> Remove)
{
    public static BalancerChange<T> Only(T result) => new(result, [], []);

    /// <summary>The same change answering with <paramref name="shape"/> of the result (the API's JSON).</summary>
    public BalancerChange<TOut> Select<TOut>(Func<T, TOut> shape) => new(shape(Result), Apply, Remove);
}

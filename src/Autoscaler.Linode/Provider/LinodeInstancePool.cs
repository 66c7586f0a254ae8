using System.Globalization;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ApiNodeMode = Autoscaler.Linode.Models.NodeMode;
using ApiNodeStatus = Autoscaler.Linode.Models.NodeStatus;
using CoreNodeMode = Autoscaler.Core.Pools.NodeMode;
using CoreNodeStatus = Autoscaler.Core.Pools.NodeStatus;

namespace Autoscaler.Linode.Provider;

/// <summary>
/// One pool of Linode instances behind one NodeBalancer config: the Linode side of <see cref="IInstancePool"/>.
/// </summary>
/// <remarks>
/// <para>Membership is the pool tag (<see cref="LinodePoolConfig.PoolTag"/>): lists ask the API for it with an
/// X-Filter and check it again on every instance returned, and every call that changes an instance first reads it and
/// refuses (<see cref="PoolMembershipException"/>) when the tag is missing. Protected = carries
/// <see cref="LinodePoolConfig.ProtectionTag"/>.</para>
/// <para>A member's node is the config node whose address is <c>&lt;private IPv4&gt;:&lt;node_port&gt;</c>. Orphan
/// nodes are nodes of the config that (1) match no member, (2) carry the autoscaler's node label mark (the pool's
/// label prefix, see <see cref="NodeLabels"/>) and (3) point at an IP that no instance of the account holds. Nodes
/// added by hand or by Terraform are never reported, even when their instance is gone: the autoscaler only deletes
/// what it created. Autoscaler nodes whose instance still exists but lost the pool tag are left too: someone took the
/// instance out of the pool on purpose.</para>
/// <para>Join adds the node in accept mode and is a no-op when a node with that address exists, whatever its mode: a
/// node in drain or reject belongs to a removal in progress (Core adopts such members as removals), so Join never
/// undoes a drain.</para>
/// <para>Every call is idempotent: 404s on deletes count as done, a launch finds an instance created before a crash
/// by its label.</para>
/// </remarks>
public sealed partial class LinodeInstancePool : IInstancePool
{
    private readonly PoolConfig _config;
    private readonly LinodePoolConfig _linode;
    private readonly ILinodeClient _client;
    private readonly InstanceCreateRateLimiter _createLimiter;
    private readonly string? _userData;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _nodeWeight;
    private readonly string _poolTag;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, (CoreNodeStatus Status, DateTimeOffset Since)> _nodeSeen = [];
    private readonly Dictionary<long, (InstanceState State, DateTimeOffset Since)> _instanceSeen = [];
    private readonly HashSet<long> _foreignNodesLogged = [];
    private readonly LinodeAccountView _view;

    /// <summary>Creates the pool. Prefer <see cref="LinodeInstancePoolFactory"/>, which resolves
    /// <paramref name="target"/> and reads the user data file.</summary>
    /// <param name="config">The pool's configuration.</param>
    /// <param name="client">The Linode API.</param>
    /// <param name="target">The NodeBalancer config members join.</param>
    /// <param name="createLimiter">The account-wide create limiter, shared by every pool.</param>
    /// <param name="userData">Raw cloud-init user data (sent base64-encoded), or null.</param>
    /// <param name="timeProvider">Clock for "status since" times and the limiter's waits.</param>
    /// <param name="logger">Where the pool logs.</param>
    /// <param name="nodeWeight">Weight of the nodes it adds (1..255). Default 100.</param>
    /// <param name="billingPeriod">The account's billing period (default 1 h), reported with the type's price.</param>
    /// <param name="view">The account view shared with the other pools of the factory; default a view of this pool
    /// alone that reads on every snapshot.</param>
    public LinodeInstancePool(PoolConfig config, ILinodeClient client, NodeBalancerTarget target,
        InstanceCreateRateLimiter createLimiter, byte[]? userData = null, TimeProvider? timeProvider = null,
        ILogger<LinodeInstancePool>? logger = null, int nodeWeight = 100, TimeSpan? billingPeriod = null,
        LinodeAccountView? view = null)
    {
        _billingPeriod = billingPeriod ?? TimeSpan.FromHours(1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_billingPeriod, TimeSpan.Zero, nameof(billingPeriod));
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(createLimiter);
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeWeight, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nodeWeight, 255);
        _config = config;
        _client = client;
        Target = target;
        _createLimiter = createLimiter;
        _userData = userData is null ? null : Convert.ToBase64String(userData);
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _nodeWeight = nodeWeight;
        _linode = config.Provider as LinodePoolConfig
            ?? throw new ArgumentException($"pool '{config.Name}' is not a Linode pool (provider: {config.Provider?.Provider ?? "none"})", nameof(config));
        _poolTag = _linode.PoolTagOf(config.Name);
        _view = view ?? new LinodeAccountView(client, _time);
        _view.Register(_poolTag);
    }

    /// <summary>What this pool knows of the account, shared with the other pools of its factory.</summary>
    public LinodeAccountView View => _view;

    /// <inheritdoc />
    public string Name => _config.Name;

    /// <summary>The pool's configuration.</summary>
    public PoolConfig Config => _config;

    /// <summary>The NodeBalancer config members join.</summary>
    public NodeBalancerTarget Target { get; }

    /// <inheritdoc />
    /// <remarks>Linode applies NodeBalancer node changes within 60 s (the factory's
    /// <see cref="LinodeInstancePoolFactoryOptions.NodeApplyDelay"/>, from <c>linode.apply_delay</c>).</remarks>
    public TimeSpan NodeApplyDelay { get; init; }

    /// <inheritdoc />
    public async Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var takenAt = _time.GetUtcNow();
        // One list of every pool's instances serves the whole cycle; membership is this pool's tag, checked here.
        var instances = (await _view.InstancesAsync(cancellationToken).ConfigureAwait(false))
            .Where(i => i.HasTag(_poolTag)).ToList();
        var nodes = (await _view.NodesAsync(Target, Changing(instances), NodeApplyDelay, cancellationToken).ConfigureAwait(false)).ToList();

        var nodeByAddress = new Dictionary<string, NodeBalancerNode>(StringComparer.Ordinal);
        foreach (var node in nodes.OrderBy(n => n.Id))
        {
            nodeByAddress.TryAdd(node.Address, node);
        }

        var members = new List<PoolMember>(instances.Count);
        var memberAddresses = new HashSet<string>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var instance in instances)
            {
                LoadBalancerNode? lbNode = null;
                if (NodeAddress(instance) is { } address)
                {
                    memberAddresses.Add(address);
                    if (nodeByAddress.TryGetValue(address, out var node))
                    {
                        lbNode = ToLoadBalancerNode(node, takenAt);
                    }
                }

                members.Add(ToMember(instance, lbNode, takenAt));
            }

            var seenNodes = nodes.Select(n => n.Id).ToHashSet();
            foreach (var id in _nodeSeen.Keys.Where(id => !seenNodes.Contains(id)).ToArray())
            {
                _nodeSeen.Remove(id);
            }

            var seenInstances = instances.Select(i => i.Id).ToHashSet();
            foreach (var id in _instanceSeen.Keys.Where(id => !seenInstances.Contains(id)).ToArray())
            {
                _instanceSeen.Remove(id);
            }
        }

        var orphans = await FindOrphansAsync(nodes, memberAddresses, cancellationToken).ConfigureAwait(false);
        var billing = await BillingTermsAsync(takenAt, cancellationToken).ConfigureAwait(false);
        return new PoolSnapshot(_config.Name, takenAt, members, orphans, billing);
    }

    /// <inheritdoc />
    public async Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!string.Equals(request.Pool, _config.Name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"pool '{_config.Name}': launch request is for pool '{request.Pool}'", nameof(request));
        }

        // A crash between the create and the journal's close leaves an instance with this label: adopt it.
        if (await FindByLabelAsync(request.Label, cancellationToken, fromView: true).ConfigureAwait(false) is { } existing)
        {
            LogLaunchAdopted(_config.Name, request.Label, existing.Id);
            return ToMemberUntracked(existing);
        }

        // A slot AllowLaunches held for this pool goes at once; a launch without one (a caller that did not ask first)
        // waits its turn in the window.
        var waited = _createLimiter.TryTakeHeld(_poolTag)
            ? TimeSpan.Zero
            : await _createLimiter.AcquireAsync(cancellationToken).ConfigureAwait(false);
        if (waited > TimeSpan.Zero)
        {
            LogCreateRateLimited(_config.Name, request.Label, waited.TotalSeconds);
        }

        LogLaunching(_config.Name, request.Label, request.OperationId, request.Reason);
        Instance created;
        try
        {
            created = await _client.Instances.CreateAsync(BuildCreateRequest(request.Label), cancellationToken).ConfigureAwait(false);
        }
        catch (LinodeValidationException ex) when (ex.Errors.Any(e => e.Field == "label"))
        {
            // Another run created it between our lookup and the create (labels are unique on the account).
            if (await FindByLabelAsync(request.Label, cancellationToken).ConfigureAwait(false) is { } raced)
            {
                LogLaunchAdopted(_config.Name, request.Label, raced.Id);
                return ToMemberUntracked(raced);
            }

            throw;
        }
        catch (LinodeException ex) when (ex is LinodeServerException or LinodeTimeoutException or LinodeTransportException)
        {
            // Creates are not retried after these: the answer may have been lost after the instance was made.
            if (await TryFindByLabelAsync(request.Label, cancellationToken).ConfigureAwait(false) is { } made)
            {
                LogLaunchAdopted(_config.Name, request.Label, made.Id);
                return ToMemberUntracked(made);
            }

            throw;
        }

        LogLaunched(_config.Name, created.Label, created.Id, created.RawStatus);
        _view.Put(created);
        return ToMemberUntracked(created);
    }

    /// <inheritdoc />
    /// <remarks>The account's create limiter is shared by every pool: this takes the pool's share of the slots free
    /// now and holds them for its next launches.</remarks>
    public LaunchAllowance AllowLaunches(int wanted)
    {
        var granted = _createLimiter.TryAcquire(_poolTag, wanted);
        return new LaunchAllowance(granted, granted < wanted ? _createLimiter.Describe() : null);
    }

    /// <inheritdoc />
    public async Task JoinAsync(PoolMember member, CancellationToken cancellationToken)
    {
        var instance = await GetMemberInstanceAsync(member, "join", cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            LogMemberGone(_config.Name, member.Id, member.Label, "join");
            return;
        }

        var privateIp = instance.PrivateIpv4 ?? await AllocatePrivateIpv4Async(instance, cancellationToken).ConfigureAwait(false);
        var address = FormatAddress(privateIp);
        var existing = FindNodes(await _view.NodesForWriteAsync(Target, cancellationToken).ConfigureAwait(false), address);
        if (existing.Count > 0)
        {
            LogAlreadyJoined(_config.Name, instance.Label, address, existing[0].Id, existing[0].Mode.ToString());
            return;
        }

        var node = await _client.NodeBalancers.CreateNodeAsync(Target.NodeBalancerId, Target.ConfigId, new NodeRequest
        {
            Label = NodeLabels.For(_config.EffectiveLabelPrefix, instance),
            Address = address,
            Mode = ApiNodeMode.Accept,
            Weight = _nodeWeight,
        }, cancellationToken).ConfigureAwait(false);
        _view.NodeWritten(Target, node);
        LogJoined(_config.Name, instance.Label, address, node.Id, Target.ToString());
    }

    /// <inheritdoc />
    public async Task DrainAsync(PoolMember member, CancellationToken cancellationToken)
    {
        var instance = await GetMemberInstanceAsync(member, "drain", cancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            LogMemberGone(_config.Name, member.Id, member.Label, "drain");
            return;
        }

        var nodes = NodeAddress(instance) is { } address
            ? FindNodes(await _view.NodesForWriteAsync(Target, cancellationToken).ConfigureAwait(false), address)
            : [];
        if (nodes.Count == 0)
        {
            LogNoNode(_config.Name, instance.Label, "drain");
            return;
        }

        foreach (var node in nodes.Where(n => n.Mode != ApiNodeMode.Drain))
        {
            try
            {
                var drained = await _client.NodeBalancers.UpdateNodeAsync(Target.NodeBalancerId, Target.ConfigId, node.Id,
                    new NodeRequest { Mode = ApiNodeMode.Drain }, cancellationToken).ConfigureAwait(false);
                _view.NodeWritten(Target, drained);
                LogDrained(_config.Name, instance.Label, node.Address, node.Id);
            }
            catch (LinodeNotFoundException)
            {
                // Removed meanwhile: nothing left to drain.
                _view.NodeDeleted(Target, node.Id);
            }
        }
    }

    /// <inheritdoc />
    public async Task RemoveAsync(PoolMember member, CancellationToken cancellationToken)
    {
        var instance = await GetMemberInstanceAsync(member, "remove", cancellationToken).ConfigureAwait(false);

        // The node goes first, so the balancer never sends traffic to an instance being deleted, and a crash in
        // between leaves an instance without node (which the reconciler finishes) rather than a node without instance.
        var address = instance is not null ? NodeAddress(instance) : member.Node?.Address;
        if (address is not null)
        {
            foreach (var node in FindNodes(await _view.NodesForWriteAsync(Target, cancellationToken).ConfigureAwait(false), address))
            {
                await DeleteNodeAsync(node.Id, cancellationToken).ConfigureAwait(false);
                LogNodeRemoved(_config.Name, member.Label, node.Address, node.Id);
            }
        }

        if (instance is null)
        {
            LogMemberGone(_config.Name, member.Id, member.Label, "delete");
            return;
        }

        if (instance.Status == InstanceStatus.Deleting)
        {
            return;
        }

        try
        {
            await _client.Instances.DeleteAsync(instance.Id, cancellationToken).ConfigureAwait(false);
            _view.Remove(instance.Id);
        }
        catch (LinodeNotFoundException)
        {
            _view.Remove(instance.Id);
            return;
        }
        catch (LinodeBusyException)
        {
            // "Linode busy." on a delete usually means a delete is already running.
            var again = await TryGetInstanceAsync(instance.Id, cancellationToken).ConfigureAwait(false);
            if (again is not null && again.Status != InstanceStatus.Deleting)
            {
                throw;
            }
        }

        LogInstanceDeleted(_config.Name, instance.Label, instance.Id);
    }

    /// <inheritdoc />
    public async Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        var nodeId = ParseId(node.Id, "node");
        NodeBalancerNode current;
        try
        {
            current = await _client.NodeBalancers.GetNodeAsync(Target.NodeBalancerId, Target.ConfigId, nodeId, cancellationToken).ConfigureAwait(false);
        }
        catch (LinodeNotFoundException)
        {
            _view.NodeDeleted(Target, nodeId);
            return;
        }

        if (!string.Equals(current.Address, node.Address, StringComparison.Ordinal) || !NodeLabels.IsOurs(_config.EffectiveLabelPrefix, current.Label))
        {
            // Changed since the snapshot (re-pointed or relabelled by someone): no longer the orphan we saw.
            LogOrphanChanged(_config.Name, nodeId, current.Address, current.Label);
            return;
        }

        await DeleteNodeAsync(nodeId, cancellationToken).ConfigureAwait(false);
        LogOrphanRemoved(_config.Name, nodeId, current.Address, current.Label);
    }

    /// <summary>Maps a Linode status to the provider-neutral state. Statuses in which the instance may be serving
    /// (busy, migrating, resizing, cloning, and any status the API adds later) map to <see cref="InstanceState.Running"/>
    /// so that the node's health decides; statuses in which it is being (re)built map to booting.</summary>
    internal static InstanceState MapState(InstanceStatus status) => status switch
    {
        InstanceStatus.Provisioning => InstanceState.Provisioning,
        InstanceStatus.Booting or InstanceStatus.Rebooting or InstanceStatus.Rebuilding or InstanceStatus.Restoring => InstanceState.Booting,
        InstanceStatus.Offline or InstanceStatus.Stopped or InstanceStatus.ShuttingDown or InstanceStatus.BillingSuspension => InstanceState.Offline,
        InstanceStatus.Deleting => InstanceState.Deleting,
        _ => InstanceState.Running,
    };

    private CreateInstanceRequest BuildCreateRequest(string label)
    {
        var tags = new List<string> { _poolTag };
        foreach (var tag in _linode.Tags)
        {
            if (!tags.Contains(tag, StringComparer.Ordinal))
            {
                tags.Add(tag);
            }
        }

        return new CreateInstanceRequest
        {
            Region = _linode.Region,
            Type = _linode.Type,
            Image = _linode.Image,
            Label = label,
            RootPass = RootPasswords.Generate(),
            AuthorizedKeys = _linode.AuthorizedKeys.Count > 0 ? _linode.AuthorizedKeys : null,
            FirewallId = _linode.FirewallId,
            StackscriptId = _linode.StackScript?.Id,
            StackscriptData = _linode.StackScript is { Data.Count: > 0 } s ? s.Data : null,
            Metadata = _userData is null ? null : new InstanceMetadata { UserData = _userData },
            PrivateIp = true,
            Booted = true,
            Tags = tags,
        };
    }

    private PoolMember ToMember(Instance instance, LoadBalancerNode? node, DateTimeOffset now)
    {
        var state = MapState(instance.Status);
        var since = now;
        if (_instanceSeen.TryGetValue(instance.Id, out var seen) && seen.State == state)
        {
            since = seen.Since;
        }

        _instanceSeen[instance.Id] = (state, since);
        return new PoolMember
        {
            Id = instance.Id.ToString(CultureInfo.InvariantCulture),
            Label = instance.Label,
            CreatedAt = instance.Created ?? now,
            State = state,
            StateSince = since,
            Node = node,
            Protected = instance.HasTag(_linode.ProtectionTag),
            Address = instance.PublicIpv4,
        };
    }

    private PoolMember ToMemberUntracked(Instance instance)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return ToMember(instance, null, now);
        }
    }

    /// <summary>The member's instance, null when it no longer exists; throws when it lacks the pool tag.</summary>
    private async Task<Instance?> GetMemberInstanceAsync(PoolMember member, string action, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(member);
        var id = ParseId(member.Id, "instance");
        var instance = await TryGetInstanceAsync(id, ct).ConfigureAwait(false);
        // The fresher answer serves the next snapshot too (and a vanished instance leaves it).
        if (instance is null)
        {
            _view.Remove(id);
        }
        else
        {
            _view.Put(instance);
        }

        if (instance is not null && !instance.HasTag(_poolTag))
        {
            LogRefused(_config.Name, id, instance.Label, _poolTag, action);
            throw new PoolMembershipException(_config.Name, _poolTag, id, instance.Label, action);
        }

        return instance;
    }

    private async Task<Instance?> TryGetInstanceAsync(long id, CancellationToken ct)
    {
        try
        {
            return await _client.Instances.GetAsync(id, ct).ConfigureAwait(false);
        }
        catch (LinodeNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The instance labelled <paramref name="label"/> when it is a member; null when none has that label;
    /// throws when one has it without the pool tag (labels are unique on the account, so no new one can be made).</summary>
    private async Task<Instance?> FindByLabelAsync(string label, CancellationToken ct, bool fromView = false)
    {
        // The cycle's list holds every instance of the pools' tags, ours made since included: no search needed. An
        // instance with the label but without any pool tag is not in it; the create then fails on the label and the
        // search below tells.
        if (fromView && _view.FindByLabel(label) is (true, var known))
        {
            return known;
        }

        Instance? found = null;
        await foreach (var instance in _client.Instances.ListAsync(Filter.Eq("label", label), ct).ConfigureAwait(false))
        {
            if (string.Equals(instance.Label, label, StringComparison.Ordinal))
            {
                found = instance;
                break;
            }
        }

        if (found is not null && !found.HasTag(_poolTag))
        {
            LogRefused(_config.Name, found.Id, found.Label, _poolTag, "adopt");
            throw new PoolMembershipException(_config.Name, _poolTag, found.Id, found.Label, "adopt");
        }

        return found;
    }

    private async Task<Instance?> TryFindByLabelAsync(string label, CancellationToken ct)
    {
        try
        {
            return await FindByLabelAsync(label, ct).ConfigureAwait(false);
        }
        catch (LinodeException)
        {
            // The lookup is best effort after a failed create; the create's own error is the one to report.
            return null;
        }
    }

    private long ParseId(string id, string what) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"pool '{_config.Name}': '{id}' is not a Linode {what} id");
}

using System.Net;
using Linode.Emulator.Catalog;

namespace Linode.Emulator.State;

/// <summary>
/// What the emulated account holds. One lock (<see cref="Gate"/>) guards all of it: request handlers and lifecycle
/// timers take it for short, synchronous sections and never call a runtime (process or load balancer) while holding
/// it. Simple and correct beats clever here; the API is not a hot path.
/// </summary>
internal sealed class EmulatorState
{
    // Distinct id ranges per kind (like the real API's large ids) so that a client mixing up ids gets a 404.
    private long _nextInstanceId = 50_000_001;
    private long _nextNodeBalancerId = 100_001;
    private long _nextConfigId = 200_001;
    private long _nextNodeId = 30_000_001;
    private long _nextEventId = 700_000_001;

    public EmulatorState(LinodeCatalog catalog, TimeProvider time, EmulatorOptions options)
    {
        Catalog = catalog;
        Time = time;
        Username = options.Username;
        InstancePool = new AddressPool(IPNetwork.Parse(options.InstanceAddressPool));
        NodeBalancerPool = new AddressPool(IPNetwork.Parse(options.NodeBalancerAddressPool));
        PrivatePool = new AddressPool(IPNetwork.Parse(options.PrivateAddressPool));
        PrivateLoopbackPool = new AddressPool(IPNetwork.Parse(options.PrivateLoopbackPool));
        Billing = new AccountBilling(options.BillingPeriod);
        StartedAt = time.GetUtcNow();
        KnownStackScripts = options.Network.StackScriptIds.ToHashSet();
        if (options.Network.DefaultFirewall is { } fw)
        {
            Firewalls.AccountDefault = FirewallBook.FromConfig(Firewalls.NextFirewallId(), fw, StartedAt);
            Firewalls.All[Firewalls.AccountDefault.Id] = Firewalls.AccountDefault;
        }
    }

    /// <summary>When the emulated account came to be (<c>GET /account</c>'s <c>active_since</c>).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The account's running bill (<c>GET /account</c>'s <c>balance_uninvoiced</c>).</summary>
    public AccountBilling Billing { get; }

    public Lock Gate { get; } = new();

    public LinodeCatalog Catalog { get; }

    public TimeProvider Time { get; }

    public string Username { get; }

    public SortedDictionary<long, Instance> Instances { get; } = [];

    public SortedDictionary<long, NodeBalancer> NodeBalancers { get; } = [];

    public Dictionary<long, NodeBalancerConfig> Configs { get; } = [];

    public Dictionary<long, NodeBalancerNode> Nodes { get; } = [];

    public SortedDictionary<long, EventRecord> Events { get; } = [];

    public SortedSet<string> Tags { get; } = new(StringComparer.Ordinal);

    public AddressPool InstancePool { get; }

    public AddressPool NodeBalancerPool { get; }

    public AddressPool PrivatePool { get; }

    /// <summary>Loopback addresses standing in for private addresses (the emulated private network).</summary>
    public AddressPool PrivateLoopbackPool { get; }

    /// <summary>Cloud Firewalls and their devices.</summary>
    public FirewallBook Firewalls { get; } = new();

    /// <summary>StackScript ids an instance create may name; empty: any (the emulator has no StackScripts).</summary>
    public IReadOnlySet<long> KnownStackScripts { get; }

    /// <summary>Private addresses of deleted instances that nodes still name, with the loopback address they mapped
    /// to. Both stay reserved until no node names them, so a node of a deleted instance stays DOWN instead of
    /// silently sending traffic to a newer instance that got the same address.</summary>
    public Dictionary<IPAddress, IPAddress> Retired { get; } = [];

    public DateTimeOffset Now => Time.GetUtcNow();

    public long NextInstanceId() => _nextInstanceId++;

    public long NextNodeBalancerId() => _nextNodeBalancerId++;

    public long NextConfigId() => _nextConfigId++;

    public long NextNodeId() => _nextNodeId++;

    /// <summary>How long the account keeps events: <c>GET /account/events</c> covers the last 90 days.</summary>
    public static readonly TimeSpan EventRetention = TimeSpan.FromDays(90);

    /// <summary>Drops events older than <see cref="EventRetention"/> (the oldest come first, ids grow with time).</summary>
    public void DropExpiredEvents()
    {
        var cutoff = Now - EventRetention;
        while (Events.Count > 0 && Events.First() is var (id, oldest) && oldest.Created < cutoff)
        {
            Events.Remove(id);
        }
    }

    /// <summary>Records an event. <paramref name="system"/> events (a crash) have no user.</summary>
    public EventRecord AddEvent(string action, EventEntity entity, string status, EventEntity? secondary = null, bool system = false)
    {
        DropExpiredEvents();
        var record = new EventRecord
        {
            Id = _nextEventId++,
            Action = action,
            Created = Now,
            Entity = entity,
            SecondaryEntity = secondary,
            Status = status,
            Username = system ? null : Username,
        };
        Events[record.Id] = record;
        return record;
    }

    /// <summary>The live instance that holds a private address, if any.</summary>
    public Instance? InstanceWithPrivate(IPAddress address) =>
        Instances.Values.FirstOrDefault(i => !i.Deleted && address.Equals(i.PrivateIpv4));

    /// <summary>Where a node's traffic goes: the loopback address behind its private address (not the instance's
    /// public one, so an app bound only to its public address does not answer the balancer, as on Linode).</summary>
    public IPAddress? LoopbackFor(IPAddress privateAddress) =>
        InstanceWithPrivate(privateAddress)?.PrivateLoopback ?? Retired.GetValueOrDefault(privateAddress);

    /// <summary>Gives an instance a private address and the loopback address behind it; false when either range is
    /// exhausted (nothing is taken then).</summary>
    public bool AssignPrivate(Instance instance)
    {
        if (PrivatePool.Allocate() is not { } priv)
        {
            return false;
        }
        if (PrivateLoopbackPool.Allocate() is not { } loopback)
        {
            PrivatePool.Release(priv);
            return false;
        }
        instance.PrivateIpv4 = priv;
        instance.PrivateLoopback = loopback;
        return true;
    }

    /// <summary>Gives back the addresses of a deleted instance, keeping the ones a node still names.</summary>
    public void ReleaseAddresses(Instance instance)
    {
        Firewalls.Detach("linode", instance.Id);
        InstancePool.Release(instance.PublicIpv4);
        if (instance.PrivateIpv4 is { } priv && Nodes.Values.Any(n => n.PrivateAddress.Equals(priv)))
        {
            Retired[priv] = instance.PrivateLoopback!;
            return;
        }
        if (instance.PrivateIpv4 is { } p)
        {
            PrivatePool.Release(p);
        }
        if (instance.PrivateLoopback is { } l)
        {
            PrivateLoopbackPool.Release(l);
        }
    }

    /// <summary>Releases retired addresses no node names any more (after nodes were removed or re-pointed).</summary>
    public void ReleaseUnreferencedRetired()
    {
        foreach (var (priv, loopback) in Retired.ToList())
        {
            if (!Nodes.Values.Any(n => n.PrivateAddress.Equals(priv)))
            {
                Retired.Remove(priv);
                PrivatePool.Release(priv);
                PrivateLoopbackPool.Release(loopback);
            }
        }
    }

    /// <summary>Tags named on objects exist as account tags too (as on the real API).</summary>
    public void EnsureTags(IEnumerable<string> tags)
    {
        foreach (var tag in tags)
        {
            Tags.Add(tag);
        }
    }
}

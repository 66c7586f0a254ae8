using Autoscaler.Linode.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autoscaler.Linode.Provider;

/// <summary>
/// What every pool of one <see cref="LinodeInstancePoolFactory"/> knows about the account, read once per cycle
/// instead of once per pool: the instances carrying any pool's tag (one paginated list, X-Filter
/// <c>{"+or":[{"tags":"pool-a"},…]}</c>, re-checked client-side by each pool), each NodeBalancer config's nodes (read
/// only when something changes or on <see cref="NodeRefresh"/>), the account's addresses for the orphan rule, and the
/// types' prices. Our own writes keep it current (a create adds the instance, a delete removes it, a node write puts
/// the API's answer in place), so a pool sees its own changes without a re-read.
/// </summary>
/// <remarks>The engine runs every pool one after another each evaluation interval; a list younger than
/// <see cref="Freshness"/> (a fraction of that interval, see <see cref="LinodeInstancePoolFactoryOptions.SnapshotFreshness"/>)
/// is what the pool sees, so the first pool of a cycle reads and the others reuse it. A freshness of zero reads on
/// every snapshot (a pool built on its own, and tests that change the account behind the pool's back).</remarks>
public sealed partial class LinodeAccountView
{
    private readonly ILinodeClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task<IReadOnlyList<Instance>>? _reading;
    private readonly SortedSet<string> _tags = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Instance> _instances = [];
    private readonly List<(long Seq, long Id, Instance? Now)> _ownChanges = [];
    private readonly Dictionary<(long Balancer, long Config), NodeList> _nodes = [];
    private readonly Dictionary<string, LinodeType> _types = new(StringComparer.Ordinal);
    private DateTimeOffset? _readAt;
    private HashSet<string>? _accountAddresses;
    private DateTimeOffset _accountAddressesAt;
    private long _reads;
    private long _changeSeq;
    private int _nodeListsSeen;

    /// <summary>Creates the view.</summary>
    /// <param name="client">The Linode API.</param>
    /// <param name="timeProvider">Clock of the freshness windows.</param>
    /// <param name="freshness">How long a list of the instances serves snapshots (zero: every snapshot reads).</param>
    /// <param name="nodeRefresh">How often a config's nodes are read when nothing changes (zero: every snapshot).</param>
    /// <param name="logger">Where the view logs.</param>
    public LinodeAccountView(ILinodeClient client, TimeProvider? timeProvider = null, TimeSpan freshness = default,
        TimeSpan nodeRefresh = default, ILogger<LinodeAccountView>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(freshness, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeRefresh, TimeSpan.Zero);
        _client = client;
        _time = timeProvider ?? TimeProvider.System;
        Freshness = freshness;
        NodeRefresh = nodeRefresh;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>How long one list of the instances serves every pool's snapshot.</summary>
    public TimeSpan Freshness { get; }

    /// <summary>How often a config's nodes are read when nothing of ours changes there.</summary>
    public TimeSpan NodeRefresh { get; }

    /// <summary>The API budget of the view's client (null for a client made otherwise, e.g. by DI or a test fake).</summary>
    public LinodeApiBudget? Budget => (_client as StandaloneLinodeClient)?.Budget;

    /// <summary>Lists of the instances read so far (each one paginated walk).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Adds a pool's tag to the account list's filter (the next snapshot reads again to include it).</summary>
    public void Register(string poolTag)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(poolTag);
        lock (_lock)
        {
            if (_tags.Add(poolTag))
            {
                _readAt = null;
            }
        }
    }

    /// <summary>The managed instances (those carrying a registered tag) as of at most <see cref="Freshness"/> ago,
    /// with our own changes since applied; reads the account when the list is older.</summary>
    public async Task<IReadOnlyList<Instance>> InstancesAsync(CancellationToken cancellationToken)
    {
        Task<IReadOnlyList<Instance>> reading;
        lock (_lock)
        {
            if (CurrentLocked() is { } current)
            {
                return current;
            }

            // One read at a time: a pool asking while another reads waits for the same answer.
            reading = _reading ??= ReadAsync(cancellationToken);
        }

        return await reading.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<Instance>> ReadAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            var started = _time.GetUtcNow();
            string[] tags;
            long since;
            lock (_lock)
            {
                tags = [.. _tags];
                since = _changeSeq;
            }

            var filter = tags.Length == 1 ? Filter.Tag(tags[0]) : Filter.Or(tags.Select(Filter.Tag));
            var listed = new Dictionary<long, Instance>();
            await foreach (var instance in _client.Instances.ListAsync(filter, cancellationToken).ConfigureAwait(false))
            {
                // The API's tag filter is a convention, not a documented rule: membership is checked here as well.
                if (instance.Tags.Any(tags.Contains))
                {
                    listed[instance.Id] = instance;
                }
                else
                {
                    LogNotManagedSkipped(instance.Id, instance.Label);
                }
            }

            Interlocked.Increment(ref _reads);
            lock (_lock)
            {
                // A create or delete of ours that answered while the list was read may be missing from it (or still in it).
                foreach (var change in _ownChanges.Where(c => c.Seq > since))
                {
                    Apply(listed, change.Id, change.Now);
                }

                // Changes before the read started are in it.
                _ownChanges.RemoveAll(c => c.Seq <= since);
                _instances.Clear();
                foreach (var (id, instance) in listed)
                {
                    _instances[id] = instance;
                }

                _readAt = started;
                return [.. _instances.Values.OrderBy(i => i.Id)];
            }
        }
        finally
        {
            lock (_lock)
            {
                _reading = null;
            }
        }
    }

    /// <summary>True when a list of the instances younger than <see cref="Freshness"/> is at hand.</summary>
    public bool IsFresh
    {
        get
        {
            lock (_lock)
            {
                return _readAt is { } at && _time.GetUtcNow() - at < Freshness;
            }
        }
    }

    /// <summary>The managed instance labelled <paramref name="label"/> in the current list (null when none), or
    /// <c>found: false</c> when no fresh list is at hand to tell.</summary>
    internal (bool Known, Instance? Instance) FindByLabel(string label)
    {
        lock (_lock)
        {
            if (_readAt is null || _time.GetUtcNow() - _readAt.Value >= Freshness)
            {
                return (false, null);
            }

            return (true, _instances.Values.FirstOrDefault(i => string.Equals(i.Label, label, StringComparison.Ordinal)));
        }
    }

    /// <summary>Our own create or fresher read: the instance as the API last answered for it.</summary>
    public void Put(Instance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (_lock)
        {
            var keep = instance.Tags.Any(_tags.Contains);
            Record(instance.Id, keep ? instance : null);
        }
    }

    /// <summary>Our own delete: the instance leaves the list.</summary>
    public void Remove(long instanceId)
    {
        lock (_lock)
        {
            Record(instanceId, null);
        }
    }

    /// <summary>Whether any instance of the account (managed or not) holds <paramref name="ip"/>: from the managed list
    /// when one of them does, else from one list of the whole account, shared by every pool for <see cref="Freshness"/>.</summary>
    internal async Task<bool> AddressHeldAsync(string ip, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_instances.Values.Any(i => i.Ipv4.Contains(ip, StringComparer.Ordinal)))
            {
                return true;
            }

            if (_accountAddresses is not null && _time.GetUtcNow() - _accountAddressesAt < Freshness)
            {
                return _accountAddresses.Contains(ip);
            }
        }

        var started = _time.GetUtcNow();
        var held = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var instance in _client.Instances.ListAsync(null, cancellationToken).ConfigureAwait(false))
        {
            foreach (var address in instance.Ipv4)
            {
                held.Add(address);
            }
        }

        lock (_lock)
        {
            _accountAddresses = held;
            _accountAddressesAt = started;
        }

        return held.Contains(ip);
    }

    /// <summary>The type, read once and kept (prices change rarely; a pool that cannot read it tries again later).</summary>
    internal async Task<LinodeType> TypeAsync(string type, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_types.TryGetValue(type, out var known))
            {
                return known;
            }
        }

        var read = await _client.Types.GetAsync(type, cancellationToken).ConfigureAwait(false);
        UseType(read);
        return read;
    }

    /// <summary>Keeps a type already read (the factory's catalog check).</summary>
    internal void UseType(LinodeType type)
    {
        lock (_lock)
        {
            _types[type.Id] = type;
        }
    }

    private IReadOnlyList<Instance>? CurrentLocked() =>
        _readAt is { } at && _time.GetUtcNow() - at < Freshness ? [.. _instances.Values.OrderBy(i => i.Id)] : null;

    private void Record(long id, Instance? now)
    {
        _ownChanges.Add((++_changeSeq, id, now));
        Apply(_instances, id, now);
    }

    private static void Apply(Dictionary<long, Instance> instances, long id, Instance? now)
    {
        if (now is null)
        {
            instances.Remove(id);
        }
        else
        {
            instances[id] = now;
        }
    }

    // The pool's event id of old, when each pool listed its own tag: the same warning, now for every pool's tags.
    [LoggerMessage(EventId = 151, Level = LogLevel.Warning, Message = "the API listed instance {InstanceId} ({Label}) for the pool tags but it carries none of them: skipped")]
    private partial void LogNotManagedSkipped(long instanceId, string label);
}

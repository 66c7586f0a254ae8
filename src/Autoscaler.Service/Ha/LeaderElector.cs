using System.Data.Common;
using Autoscaler.Service.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Autoscaler.Service.Ha;

/// <summary>What a replica does.</summary>
public enum ReplicaRole
{
    /// <summary>The only replica (SQLite journal): it always acts.</summary>
    Standalone,

    /// <summary>Another replica leads: this one serves the webhook, reads and the dashboard, and refuses writes.</summary>
    Standby,

    /// <summary>It holds the lease and runs the engine.</summary>
    Leader,

    /// <summary>It led and lost the lease: it no longer acts; <c>serve</c> exits so its supervisor restarts it as a
    /// standby with a fresh engine (nothing it remembered is trusted).</summary>
    Deposed,
}

/// <summary>
/// Runs for a replica on a PostgreSQL journal: tries to take the lease at start and every third of the lease, starts
/// the engine loop when it gets it and stops it for good when it loses it (another holder, or no renewal for a whole
/// lease, judged on this replica's monotonic clock from before the last successful renewal). A clean stop releases the
/// lease so a standby takes over at once.
/// </summary>
public sealed partial class LeaderElector : BackgroundService
{
    private readonly LeaderLease _lease;
    private readonly Func<IHostedService> _engine;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<string> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _deposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Gauge _leaderGauge;
    private readonly Gauge _epochGauge;
    private readonly Lock _lock = new();
    private LeaseToken? _token;
    private long _validUntil;
    private volatile ReplicaRole _role = ReplicaRole.Standby;
    private LeaseHolder? _leader;

    /// <summary>Creates the elector; <paramref name="engine"/> gives the loop started once this replica leads (built
    /// after the elector: its pools are fenced by it).</summary>
    public LeaderElector(LeaderLease lease, Func<IHostedService> engine, TimeProvider time, CollectorRegistry registry, ILogger<LeaderElector> logger)
    {
        ArgumentNullException.ThrowIfNull(lease);
        _lease = lease;
        _engine = engine;
        _time = time;
        _logger = logger;
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        _leaderGauge = f.CreateGauge("autoscaler_leader", "1 while this replica holds the leader lease and acts, else 0.");
        _epochGauge = f.CreateGauge("autoscaler_leader_epoch", "Epoch of the leader lease as this replica last saw it.");
    }

    /// <summary>This replica's role.</summary>
    public ReplicaRole Role => _role;

    /// <summary>This replica's id in the lease.</summary>
    public string Holder => _lease.Holder;

    /// <summary>The lease's holder as last read (this replica when it leads).</summary>
    public LeaseHolder? Leader => Volatile.Read(ref _leader);

    /// <summary>Completes when this replica loses the lease it held.</summary>
    public Task Deposed => _deposed.Task;

    /// <summary>The lease this replica acts under, or null when it does not lead (or its lease ran out on its own
    /// clock). The journal's writes are made under it.</summary>
    public LeaseToken? Token
    {
        get
        {
            lock (_lock)
            {
                return _role == ReplicaRole.Leader && _time.GetTimestamp() < _validUntil ? _token : null;
            }
        }
    }

    /// <summary>Where this replica serves, once known (the lease row carries it for the standbys' answers).</summary>
    public void SetAddress(string address) => _address.TrySetResult(address);

    /// <summary>Throws <see cref="FencedException"/> unless this replica leads and the database agrees, with a third of
    /// the lease left (the cloud call that follows must start well before another replica may take over).</summary>
    public async Task EnsureLeaderAsync(string what, CancellationToken cancellationToken)
    {
        var token = Token ?? throw new FencedException($"{what} refused: this replica does not hold the leader lease");
        if (!await _lease.IsHeldAsync(token, _lease.Duration / 3, cancellationToken).ConfigureAwait(false))
        {
            LogFenced(_logger, what, token.Epoch);
            throw new FencedException($"{what} refused: the leader lease of epoch {token.Epoch} is lost or about to expire");
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var address = await _address.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        var period = _lease.Duration / 3;
        while (!stoppingToken.IsCancellationRequested)
        {
            var before = _time.GetTimestamp();
            long? epoch = null;
            var answered = false;
            try
            {
                epoch = await _lease.TryAcquireAsync(address, stoppingToken).ConfigureAwait(false);
                answered = true;
                if (epoch is null)
                {
                    var holder = await _lease.ReadAsync(stoppingToken).ConfigureAwait(false);
                    Volatile.Write(ref _leader, holder);
                    _epochGauge.Set(holder?.Epoch ?? 0);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is DbException or TimeoutException or InvalidOperationException)
            {
                LogLeaseError(_logger, ex.Message);
            }

            if (epoch is { } e)
            {
                await OnHeldAsync(e, before, address, stoppingToken).ConfigureAwait(false);
            }
            else if (_role == ReplicaRole.Leader && (answered || _time.GetTimestamp() >= Volatile.Read(ref _validUntil)))
            {
                await DeposeAsync(answered ? $"replica {_leader?.Holder} took the lease" : "the lease could not be renewed for a whole lease time").ConfigureAwait(false);
                return;
            }

            try
            {
                await Task.Delay(_role == ReplicaRole.Leader && !answered ? TimeSpan.FromSeconds(1) : period, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task OnHeldAsync(long epoch, long before, string address, CancellationToken ct)
    {
        bool started;
        lock (_lock)
        {
            // Valid for a lease from before the statement ran: never longer than the database granted.
            _validUntil = before + (long)(_lease.Duration.TotalSeconds * _time.TimestampFrequency);
            started = _role != ReplicaRole.Leader;
            _token = new LeaseToken(_lease.Holder, epoch);
            _role = ReplicaRole.Leader;
        }

        Volatile.Write(ref _leader, new LeaseHolder(_lease.Holder, address, epoch, true));
        _epochGauge.Set(epoch);
        if (started)
        {
            _leaderGauge.Set(1);
            LogAcquired(_logger, epoch);
            await _engine().StartAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task DeposeAsync(string why)
    {
        lock (_lock)
        {
            _role = ReplicaRole.Deposed;
            _token = null;
        }

        _leaderGauge.Set(0);
        LogDeposed(_logger, why);
        await _engine().StopAsync(CancellationToken.None).ConfigureAwait(false);
        _deposed.TrySetResult();
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_role != ReplicaRole.Leader)
        {
            return;
        }

        await _engine().StopAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _role = ReplicaRole.Standby;
            _token = null;
        }

        _leaderGauge.Set(0);
        try
        {
            await _lease.ReleaseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            LogLeaseError(_logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "leader lease: this replica leads now (epoch {Epoch}): the engine starts, resuming the journal's open operations")]
    private static partial void LogAcquired(ILogger logger, long epoch);

    [LoggerMessage(Level = LogLevel.Error, Message = "leader lease lost ({Why}): this replica stops acting; restart it to serve as a standby")]
    private static partial void LogDeposed(ILogger logger, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "leader lease: cannot reach the journal's database: {Error}")]
    private static partial void LogLeaseError(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "fencing: {What} refused, the lease of epoch {Epoch} is no longer held")]
    private static partial void LogFenced(ILogger logger, string what, long epoch);
}

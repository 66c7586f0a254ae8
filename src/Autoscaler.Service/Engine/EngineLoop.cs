using System.Threading.Channels;
using Autoscaler.Core.Alerts;
using Autoscaler.Core.Engine;
using Autoscaler.Service.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Engine;

/// <summary>
/// Asks the engine loop to evaluate pools soon, out of its interval: the webhook after recording alerts, the API after
/// a manual scale. Requests are coalesced, never block and never run cloud work in the caller.
/// </summary>
public sealed class EngineNudger
{
    private readonly Channel<(string Pool, string Trigger)> _channel =
        Channel.CreateBounded<(string, string)>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Asks for an evaluation of <paramref name="pool"/>.</summary>
    public void Nudge(string pool, string trigger) => _channel.Writer.TryWrite((pool, trigger));

    internal ChannelReader<(string Pool, string Trigger)> Reader => _channel.Reader;
}

/// <summary>
/// Runs <see cref="ScalingEngine.RunCycleAsync"/> every <c>engine.evaluation_interval</c> on the
/// <see cref="TimeProvider"/>, and a single pool's cycle as soon as it is nudged (an alert arrived for it), so the time
/// from a webhook to the first cloud call is a few milliseconds rather than an interval. A webhook nudge within
/// <see cref="MinNudgeInterval"/> of the pool's last evaluation waits for the end of it, merged with every other nudge
/// of the pool meanwhile: a flood of notifications costs a few evaluations per pool, not one per notification. Pools
/// are evaluated one at a time; a failing cycle is logged and the loop goes on. Stops when the host stops.
/// </summary>
public sealed partial class EngineLoop : BackgroundService
{
    private readonly ScalingEngine _engine;
    private readonly EngineNudger _nudger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ServiceMetrics _metrics;
    private readonly AlertStateStore _alerts;
    private readonly ILogger<EngineLoop> _logger;
    private readonly Dictionary<string, DateTimeOffset> _lastRun = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset Due, string Trigger)> _deferred = new(StringComparer.Ordinal);
    private long _cycles;

    /// <summary>Creates the loop.</summary>
    public EngineLoop(ScalingEngine engine, EngineNudger nudger, TimeProvider time, TimeSpan interval, ServiceMetrics metrics,
        AlertStateStore alerts, ILogger<EngineLoop> logger)
    {
        _engine = engine;
        _nudger = nudger;
        _time = time;
        _interval = interval;
        _metrics = metrics;
        _alerts = alerts;
        _logger = logger;
    }

    /// <summary>Least time between a pool's last evaluation and one a webhook asks for (API nudges are never held).
    /// Default zero.</summary>
    public TimeSpan MinNudgeInterval { get; init; }

    /// <summary>Pool cycles run so far (all triggers).</summary>
    public long Cycles => Interlocked.Read(ref _cycles);

    /// <summary>Raised after each pool cycle with the pool's name (tests and measurements wait on it).</summary>
    public event Action<string>? CycleCompleted;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave StartAsync at once: the first cycle runs on the loop, not on the host's start path.
        await Task.Yield();
        var reader = _nudger.Reader;
        var nextFull = _time.GetUtcNow();
        Task<bool>? nudged = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            if (now >= nextFull)
            {
                foreach (var pool in _engine.Pools)
                {
                    await RunPoolAsync(pool, "interval", stoppingToken).ConfigureAwait(false);
                }

                // The next tick is counted from the start of this one, so a slow cycle does not drift the schedule.
                nextFull = now + _interval;
                var after = _time.GetUtcNow();
                if (nextFull <= after)
                {
                    nextFull = after;
                }

                continue;
            }

            if (await RunDueAsync(now, stoppingToken).ConfigureAwait(false))
            {
                continue;
            }

            var wake = nextFull;
            foreach (var (_, d) in _deferred)
            {
                wake = d.Due < wake ? d.Due : wake;
            }

            using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(wake - now, _time, delayCts.Token);
            // One wait at a time on the channel: a wait that outlived the last delay is reused.
            nudged ??= reader.WaitToReadAsync(stoppingToken).AsTask();
            await Task.WhenAny(delay, nudged).ConfigureAwait(false);
            await delayCts.CancelAsync().ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            if (nudged.IsCompleted)
            {
                var hasItems = nudged.IsCompletedSuccessfully && nudged.Result;
                nudged = null;
                if (!hasItems)
                {
                    continue;
                }

                // Coalesce a burst (several replicas, many alerts) into one cycle per pool.
                var pools = new List<(string Pool, string Trigger)>();
                while (reader.TryRead(out var item))
                {
                    // The latest request names the trigger of the merged cycle.
                    var at = pools.FindIndex(p => p.Pool == item.Pool);
                    if (at < 0)
                    {
                        pools.Add(item);
                    }
                    else
                    {
                        pools[at] = item;
                    }
                }

                var asked = _time.GetUtcNow();
                foreach (var (pool, trigger) in pools)
                {
                    if (trigger == "webhook" && _lastRun.TryGetValue(pool, out var last) && asked - last < MinNudgeInterval)
                    {
                        // Held to the end of the interval; later nudges of the pool join it.
                        _deferred[pool] = (last + MinNudgeInterval, trigger);
                        _metrics.NudgeDeferred();
                        continue;
                    }

                    await RunPoolAsync(pool, trigger, stoppingToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Runs the held webhook nudges whose time has come; true when it ran any.</summary>
    private async Task<bool> RunDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        var due = _deferred.Where(d => d.Value.Due <= now).Select(d => (d.Key, d.Value.Trigger)).ToArray();
        foreach (var (pool, trigger) in due)
        {
            await RunPoolAsync(pool, trigger, ct).ConfigureAwait(false);
        }

        return due.Length > 0;
    }

    private async Task RunPoolAsync(string pool, string trigger, CancellationToken ct)
    {
        if (!_engine.Pools.Contains(pool))
        {
            return;
        }

        // Whatever asked, this evaluation answers every nudge held for the pool.
        _deferred.Remove(pool);
        _lastRun[pool] = _time.GetUtcNow();
        var started = _time.GetTimestamp();

        try
        {
            if (trigger == "interval" && pool == _engine.Pools[0])
            {
                _alerts.Prune();
            }

            await _engine.RunPoolCycleAsync(pool, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // The loop must survive any failure of one cycle; it is logged and counted.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogCycleFailed(pool, ex.GetType().Name, ex.Message);
        }

        Interlocked.Increment(ref _cycles);
        _metrics.Cycle(trigger);
        _metrics.CycleDuration(_time.GetElapsedTime(started));
        _metrics.Observe(_engine.GetStatus(pool));
        _metrics.AlertsHeld(_alerts.Count);
        CycleCompleted?.Invoke(pool);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "pool {Pool}: evaluation failed: {Error}: {Message}")]
    private partial void LogCycleFailed(string pool, string error, string message);
}

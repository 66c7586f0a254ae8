using System.Globalization;
using System.Threading.Channels;
using System.Text.RegularExpressions;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Jenkins;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace Autoscaler.Service.Commands;

/// <summary>
/// Runs the configured <c>commands</c> for webhook notifications the way prometheus-am-executor does (same matching,
/// <c>max</c> per fingerprint, <c>ignore_resolved</c>, <c>resolved_signal</c>, same <c>AMX_*</c> environment) but off
/// the request: the webhook queues the body and answers at once. Each run gets its own process group, so signals and
/// the timeout's SIGTERM/SIGKILL reach the script's children too; repeats of a notification already handled (another
/// Alertmanager replica, a retry) are skipped within the command's dedupe window. However the fingerprints are chosen,
/// no more than <c>max_concurrent</c> runs of a command and <c>command_limits.max_concurrent</c> runs in all go at
/// once (the rest are skipped and counted). A run's environment is only PATH, HOME, LANG, its <c>pass_env</c> and the
/// <c>AMX_*</c> variables (<see cref="CommandEnvironment"/>). Logs and /metrics name a command by
/// <see cref="CommandConfig.NameAt"/>, never by its arguments.
/// </summary>
public sealed partial class CommandDispatcher : IDisposable
{
    /// <summary>Bodies waiting to be dispatched; beyond this, notifications are dropped (and counted).</summary>
    public const int QueueCapacity = 256;

    /// <summary>Characters of a run's output kept for the log.</summary>
    public const int MaxOutputChars = 4096;

    private readonly IReadOnlyList<CommandConfig> _commands;
    private readonly string[] _names;
    private readonly int _maxConcurrent;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CommandMetrics _metrics;
    private readonly TimeSpan _killGrace;
    private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Run> _runs = [];
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    // The keys of _seen by when they expire: pruning looks only at what expired, not at every key per notification
    // (with the default 5-minute window a flood held thousands, each scanned again for every body).
    private readonly PriorityQueue<string, DateTimeOffset> _expiry = new();
    private readonly Task _loop;
    private readonly HttpClient? _jenkinsHttp;
    private readonly JenkinsClient? _jenkins;
    private int _disposed;

    /// <summary>Starts the dispatcher; its series go to <paramref name="registry"/>.</summary>
    /// <param name="commands">The commands, in configuration order.</param>
    /// <param name="registry">The /metrics registry.</param>
    /// <param name="time">Clock of timeouts and dedupe windows.</param>
    /// <param name="logger">Where runs and their output are logged.</param>
    /// <param name="killGrace">Between a timeout's SIGTERM and SIGKILL. Default 5 s.</param>
    /// <param name="jenkinsLogger">Where Jenkins actions log.</param>
    /// <param name="maxConcurrent">Most runs at once across every command. Default <see cref="CommandLimits.DefaultMaxConcurrent"/>.</param>
    /// <param name="jenkinsHandler">Transport of the Jenkins client (tests); default a handler that follows no redirect.</param>
    public CommandDispatcher(IReadOnlyList<CommandConfig> commands, CollectorRegistry registry, TimeProvider time, ILogger<CommandDispatcher> logger,
        TimeSpan? killGrace = null, ILogger<JenkinsClient>? jenkinsLogger = null, int maxConcurrent = CommandLimits.DefaultMaxConcurrent,
        HttpMessageHandler? jenkinsHandler = null)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(registry);
        _commands = commands;
        _names = commands.Select((c, i) => c.NameAt(i)).ToArray();
        _maxConcurrent = Math.Max(1, maxConcurrent);
        _time = time;
        _logger = logger;
        _killGrace = killGrace ?? TimeSpan.FromSeconds(5);
        _metrics = new CommandMetrics(registry);
        if (commands.Any(c => c.Jenkins is not null))
        {
#pragma warning disable CA2000 // Owned by the HttpClient, disposed with the dispatcher.
            // A redirect is never followed: the client decides itself where its credentials may go.
            _jenkinsHttp = new HttpClient(jenkinsHandler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: jenkinsHandler is null)
            {
                Timeout = TimeSpan.FromSeconds(60),
            };
#pragma warning restore CA2000
            _jenkins = new JenkinsClient(_jenkinsHttp, time, jenkinsLogger ?? NullLogger<JenkinsClient>.Instance);
        }

        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Runs in progress.</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _runs.Count;
            }
        }
    }

    /// <summary>Queues a validated webhook body; false (and counted as <c>queue_full</c>) when the queue is full.</summary>
    public bool Enqueue(ReadOnlyMemory<byte> body)
    {
        if (_queue.Writer.TryWrite(body.ToArray()))
        {
            return true;
        }

        foreach (var name in _names)
        {
            _metrics.Skip(name, "queue_full");
        }

        LogQueueFull(_logger, QueueCapacity);
        return false;
    }

    private async Task LoopAsync()
    {
        try
        {
            await foreach (var body in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    Dispatch(body);
                }
#pragma warning disable CA1031 // One bad notification must not stop every later one from being handled.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogDispatchFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private void Dispatch(byte[] body)
    {
        var n = AmxNotification.Parse(body);
        if (n is null)
        {
            return;
        }

        var resolved = string.Equals(n.Status, "resolved", StringComparison.Ordinal);
        List<(CommandConfig Command, Run Run)>? starts = null;
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            Prune(now);
            for (var i = 0; i < _commands.Count; i++)
            {
                var c = _commands[i];
                var name = _names[i];
                if (!c.MatchLabels.All(kv => n.CommonLabels.TryGetValue(kv.Key, out var v) && string.Equals(v, kv.Value, StringComparison.Ordinal)))
                {
                    _metrics.Skip(name, "no_match");
                    continue;
                }

                if (c.DedupeWindow > TimeSpan.Zero)
                {
                    var key = DedupeKey(i, n);
                    if (_seen.TryGetValue(key, out var until) && until > now)
                    {
                        _metrics.Skip(name, "duplicate");
                        LogSkipped(_logger, name, "duplicate", n.Status);
                        continue;
                    }

                    _seen[key] = now + c.DedupeWindow;
                    _expiry.Enqueue(key, now + c.DedupeWindow);
                }

                if (resolved && c.IgnoreResolved)
                {
                    _metrics.Skip(name, "resolved_ignored");
                    continue;
                }

                var fingerprint = Fingerprint(c, n);
                if (resolved && c.ResolvedSignal is { } signal && fingerprint.Length > 0)
                {
                    foreach (var r in _runs.Where(r => r.Index == i && r.Fingerprint == fingerprint))
                    {
                        r.Signaled = true;
                        var sent = ProcessGroup.Signal(r.Pid, signal);
                        LogSignaled(_logger, name, fingerprint, signal, r.Pid, Autoscaler.Common.LogWords.YesNo(sent));
                    }
                }

                // A run already told to stop no longer holds its slot, or a resolve could never run after a firing.
                if (c.Max > 0 && fingerprint.Length > 0 && _runs.Count(r => r.Index == i && r.Fingerprint == fingerprint && !r.Signaled) >= c.Max)
                {
                    _metrics.Skip(name, "max_running");
                    LogSkipped(_logger, name, "max_running", n.Status);
                    continue;
                }

                // However many fingerprints an attacker invents, the processes stay few.
                if (_runs.Count(r => r.Index == i) >= c.MaxConcurrent)
                {
                    _metrics.Skip(name, "max_concurrent");
                    LogSkipped(_logger, name, "max_concurrent", n.Status);
                    continue;
                }

                if (_runs.Count >= _maxConcurrent)
                {
                    _metrics.Skip(name, "max_concurrent_total");
                    LogSkipped(_logger, name, "max_concurrent_total", n.Status);
                    continue;
                }

                var run = new Run(i, fingerprint);
                _runs.Add(run);
                (starts ??= []).Add((c, run));
            }
        }

        if (starts is null)
        {
            return;
        }

        var env = AmxEnvironment.For(n);
        foreach (var (c, run) in starts)
        {
            // Started on the pool, not by this loop: a spawn blocks its thread until the child has exec'd, and spawns
            // one after another on the loop kept up with only about 600 alerts a second (the queue filled).
            var vars = env;
            run.Task = c.Jenkins is null ? Task.Run(() => RunAsync(c, run, vars)) : Task.Run(() => RunJenkinsAsync(c, c.Jenkins, run, vars));
        }
    }

    private static string DedupeKey(int index, AmxNotification n) =>
        index.ToString(CultureInfo.InvariantCulture) + "|" + n.Status + "|"
        + string.Join(",", n.Alerts.Select(a => a.Fingerprint + ":" + a.Status + ":" + (a.EndsAt?.ToUnixTimeSeconds() ?? 0)).Order(StringComparer.Ordinal));

    /// <summary>As am-executor: the fingerprint of the first alert carrying every match label.</summary>
    private static string Fingerprint(CommandConfig c, AmxNotification n) =>
        n.Alerts.FirstOrDefault(a => c.MatchLabels.All(kv => a.Labels.TryGetValue(kv.Key, out var v) && string.Equals(v, kv.Value, StringComparison.Ordinal)))?.Fingerprint ?? "";

    private void Prune(DateTimeOffset now)
    {
        while (_expiry.TryPeek(out var key, out var until) && until <= now)
        {
            _expiry.Dequeue();
            // A key seen again after it expired has a later entry of its own.
            if (_seen.TryGetValue(key, out var current) && current <= now)
            {
                _seen.Remove(key);
            }
        }
    }

    private async Task RunAsync(CommandConfig c, Run run, IReadOnlyDictionary<string, string> env)
    {
        var name = _names[run.Index];
        var started = _time.GetTimestamp();
        _metrics.Running(name, 1);
        try
        {
            var (vars, truncated) = CommandEnvironment.Build(c, env, Environment.GetEnvironmentVariable);
            if (truncated.Count > 0)
            {
                LogTruncated(_logger, name, truncated.Count, string.Join(", ", truncated.Take(10)) + (truncated.Count > 10 ? ", …" : ""));
            }

            var output = new OutputTail(MaxOutputChars);
            using var process = CommandProcess.Start(c.Cmd, c.Args, vars, output, out var error);
            if (process is null)
            {
                _metrics.Run(name, "start_failed");
                LogStartFailed(_logger, name, error ?? "unknown error");
                return;
            }

            run.Pid = process.Pid;
            var pumps = process.OutputEnded;

            string result;
            try
            {
                // One timer and no token sources per run.
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(c.Timeout, _time, _stop.Token).ConfigureAwait(false);
                result = process.ExitCode == 0 ? "succeeded" : run.Signaled ? "signaled" : "failed";
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
                result = _stop.IsCancellationRequested ? "stopped" : "timeout";
                await StopGroupAsync(process, run.Pid, gentle: !_stop.IsCancellationRequested).ConfigureAwait(false);
            }

            // A child left holding the pipes must not hold the run open. (Usually the output has ended with the
            // leader: then no timer is made for it.)
            if (!pumps.IsCompleted)
            {
                using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time);
                await Task.WhenAny(pumps, Task.Delay(Timeout.InfiniteTimeSpan, drain.Token)).ConfigureAwait(false);
            }

            _metrics.Run(name, result);
            var seconds = _time.GetElapsedTime(started).TotalSeconds;
            var exit = process.HasExited ? process.ExitCode : -1;
            if (result is "succeeded" or "signaled" or "stopped" || !c.NotifyOnFailure)
            {
                LogRan(_logger, name, run.Fingerprint, result, exit, seconds, output.Text);
            }
            else
            {
                LogFailed(_logger, name, run.Fingerprint, result, exit, seconds, output.Text);
            }
        }
        finally
        {
            _metrics.Running(name, -1);
            lock (_lock)
            {
                _runs.Remove(run);
            }
        }
    }

    private async Task RunJenkinsAsync(CommandConfig c, JenkinsActionConfig j, Run run, IReadOnlyDictionary<string, string> env)
    {
        var name = _names[run.Index];
        var started = _time.GetTimestamp();
        _metrics.Running(name, 1);
        try
        {
            var target = new JenkinsTarget { Url = j.Url, User = j.User, ApiToken = j.ApiToken.Reveal(), Job = j.Job, PollInterval = j.PollInterval };
            var parameters = j.Parameters.ToDictionary(kv => kv.Key, kv => AmxReference().Replace(kv.Value, m => env.TryGetValue(m.Value[1..], out var v) ? v : ""), StringComparer.Ordinal);
            string result, detail;
            using (var timeout = new CancellationTokenSource(c.Timeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token))
            {
                try
                {
                    var build = await _jenkins!.RunAsync(target, parameters, linked.Token).ConfigureAwait(false);
                    result = build.Succeeded ? "succeeded" : "failed";
                    detail = build.Result + (build.BuildUrl is { } u ? " " + u : "");
                }
                catch (OperationCanceledException) when (linked.IsCancellationRequested)
                {
                    result = _stop.IsCancellationRequested ? "stopped" : "timeout";
                    detail = "";
                }
                catch (Exception ex) when (ex is JenkinsException or HttpRequestException or OperationCanceledException)
                {
                    // The client's messages carry status and path only, never the token.
                    result = "failed";
                    detail = ex.Message;
                }
#pragma warning disable CA1031 // An answer of a shape nobody foresaw must end as a counted, logged run, not vanish with its task.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    result = "unexpected_answer";
                    detail = $"{ex.GetType().Name}: {ex.Message}";
                }
            }

            _metrics.Run(name, result);
            var seconds = _time.GetElapsedTime(started).TotalSeconds;
            if (result is "succeeded" or "stopped" || !c.NotifyOnFailure)
            {
                LogRan(_logger, name, run.Fingerprint, result, 0, seconds, detail);
            }
            else
            {
                LogFailed(_logger, name, run.Fingerprint, result, 0, seconds, detail);
            }
        }
        finally
        {
            _metrics.Running(name, -1);
            lock (_lock)
            {
                _runs.Remove(run);
            }
        }
    }

    [GeneratedRegex(@"\$AMX_[A-Za-z0-9_]+")]
    private static partial Regex AmxReference();

    private async Task StopGroupAsync(CommandProcess process, int leader, bool gentle)
    {
        if (gentle)
        {
            ProcessGroup.Signal(leader, ProcessGroup.Term);
            using var grace = new CancellationTokenSource(_killGrace, _time);
            try
            {
                await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Still there after the grace period: SIGKILL below.
            }
        }

        // Also reaches children that outlived the leader.
        ProcessGroup.Signal(leader, ProcessGroup.KillSignal);
        process.Kill();

        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Stops dispatching and kills every run's process group.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _stop.Cancel();
        _loop.Wait(TimeSpan.FromSeconds(10));
        Run[] runs;
        lock (_lock)
        {
            runs = [.. _runs];
        }

        foreach (var r in runs)
        {
            ProcessGroup.Signal(r.Pid, ProcessGroup.KillSignal);
        }

        Task.WaitAll(runs.Select(r => r.Task).Where(t => t is not null).Select(t => t!).ToArray(), TimeSpan.FromSeconds(10));
        _jenkinsHttp?.Dispose();
        _stop.Dispose();
    }

    private sealed class Run(int index, string fingerprint)
    {
        private int _pid;

        public int Index { get; } = index;

        public string Fingerprint { get; } = fingerprint;

        public int Pid
        {
            get => Volatile.Read(ref _pid);
            set => Volatile.Write(ref _pid, value);
        }

        public bool Signaled { get; set; }

        public Task? Task { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "command {Command} ({Fingerprint}): {Result}, exit {Exit}, {Seconds:0.0}s; output: {Output}")]
    private static partial void LogRan(ILogger logger, string command, string fingerprint, string result, int exit, double seconds, string output);

    [LoggerMessage(Level = LogLevel.Warning, Message = "command {Command} ({Fingerprint}): {Result}, exit {Exit}, {Seconds:0.0}s; output: {Output}")]
    private static partial void LogFailed(ILogger logger, string command, string fingerprint, string result, int exit, double seconds, string output);

    [LoggerMessage(Level = LogLevel.Warning, Message = "command {Command}: {Count} environment value(s) too long for execve were truncated (listed in AMX_TRUNCATED): {Names}")]
    private static partial void LogTruncated(ILogger logger, string command, int count, string names);

    [LoggerMessage(Level = LogLevel.Warning, Message = "command {Command} could not start: {Error}")]
    private static partial void LogStartFailed(ILogger logger, string command, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "command {Command}: skipped a {Status} notification ({Reason})")]
    private static partial void LogSkipped(ILogger logger, string command, string reason, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "command {Command} ({Fingerprint}) resolved: signal {Signal} to process group {Group} (delivered: {Sent})")]
    private static partial void LogSignaled(ILogger logger, string command, string fingerprint, int signal, int group, string sent);

    [LoggerMessage(Level = LogLevel.Error, Message = "commands: a notification could not be dispatched")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "commands: {Capacity} notifications already queued; one was dropped")]
    private static partial void LogQueueFull(ILogger logger, int capacity);
}

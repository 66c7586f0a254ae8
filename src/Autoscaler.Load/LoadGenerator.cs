using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Autoscaler.Load;

/// <summary>
/// An open-loop HTTP load generator. Arrivals follow the profile whatever the target does: each request is sent at
/// its scheduled time with its own timeout, and its latency is measured from that scheduled time, so a slow or
/// overloaded target shows its queueing in the numbers instead of quietly receiving less load (no coordinated
/// omission). An arrival that finds <see cref="LoadGeneratorOptions.MaxInFlight"/> requests already in flight is
/// counted as dropped and the schedule moves on.
/// </summary>
/// <example>
/// <code>
/// var options = new LoadGeneratorOptions { Targets = [new Uri("http://127.20.0.1/")], Profile = LoadProfile.Parse("60s@20,30s@80,60s@20") };
/// var report = await new LoadGenerator(options).RunAsync(sample => Console.WriteLine(sample.P95Ms), cancellationToken);
/// </code>
/// </example>
public sealed class LoadGenerator
{
    private readonly LoadGeneratorOptions _options;

    /// <exception cref="ArgumentException">The options are not usable; the message lists every problem.</exception>
    public LoadGenerator(LoadGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }

        _options = options;
    }

    public LoadGeneratorOptions Options => _options;

    /// <summary>Runs the profile to its end, then waits for the requests still in flight (each bounded by its
    /// timeout). Cancelling stops the schedule and abandons what is in flight; the report of what happened so far is
    /// still returned, with <see cref="LoadReport.Cancelled"/> set.</summary>
    /// <param name="progress">Called once per closed window, in order, on the generator's reporting loop (keep it
    /// quick: it delays the next window's report, never the schedule).</param>
    public async Task<LoadReport> RunAsync(IProgress<LoadSample>? progress = null, CancellationToken cancellationToken = default)
    {
        var seed = _options.Seed ?? Random.Shared.Next();
        using var run = new Run(_options, seed, cancellationToken);
        return await run.ExecuteAsync(progress);
    }

    /// <summary><see cref="RunAsync(IProgress{LoadSample}, CancellationToken)"/> with a callback per window.</summary>
    public Task<LoadReport> RunAsync(Action<LoadSample> onSample, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onSample);
        return RunAsync(new CallbackProgress(onSample), cancellationToken);
    }

    /// <summary>Connections only ever reach 127.0.0.0/8 unless remote targets are allowed, whatever a name resolves
    /// to (a second line of defence behind the URL check).</summary>
    internal static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowRemote, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        if (!allowRemote)
        {
            addresses = [.. addresses.Where(LoadTargets.IsAllowed)];
            if (addresses.Length == 0)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError,
                    $"'{endpoint.Host}' has no address in 127.0.0.0/8 and remote targets are not allowed");
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class CallbackProgress(Action<LoadSample> onSample) : IProgress<LoadSample>
    {
        public void Report(LoadSample value) => onSample(value);
    }

    private enum Outcome
    {
        Ok,
        Http4xx,
        Http5xx,
        Timeout,
        Refused,
        Connection,
        Cancelled,
    }

    /// <summary>Counters of one reporting window; changed only under the run's lock.</summary>
    private sealed class Window(LatencyHistogram latency)
    {
        public LatencyHistogram Latency { get; } = latency;

        public long Sent;
        public long Answered;
        public long Ok;
        public long Http4xx;
        public long Http5xx;
        public long Timeout;
        public long Refused;
        public long Connection;
        public long Dropped;
        public long Cancelled;
        public double MaxLagMs;

        public LoadErrorCounts Errors => new(Http4xx, Http5xx, Timeout, Refused, Connection, Dropped);

        public bool IsEmpty => Sent + Answered + Errors.Total + Cancelled == 0;
    }

    private sealed class Run : IDisposable
    {
        private readonly LoadGeneratorOptions _options;
        private readonly int _seed;
        private readonly CancellationToken _caller;
        private readonly CancellationTokenSource _stop;
        private readonly TimeProvider _time;
        private readonly HttpMessageInvoker _http;
        private readonly object _gate = new();
        private readonly LatencyHistogram _total = new();
        private readonly Dictionary<int, long> _statusCodes = [];
        private readonly List<LoadSample> _samples = [];
        private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Window _window = new(new LatencyHistogram());
        private LatencyHistogram _spare = new();
        private long _sent, _answered, _ok, _http4xx, _http5xx, _timeout, _refused, _connection, _dropped, _cancelled;
        private double _maxLagMs;
        private long _start;
        private DateTimeOffset _startedAt;
        private int _inFlight;
        private int _scheduleDone;
        private double _scheduleSeconds;

        public Run(LoadGeneratorOptions options, int seed, CancellationToken caller)
        {
            _options = options;
            _seed = seed;
            _caller = caller;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(caller);
            _time = options.Time;
            var allowRemote = options.AllowRemote;
            var handler = new SocketsHttpHandler
            {
                UseProxy = false,
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                MaxConnectionsPerServer = options.Connections ?? options.MaxInFlight,
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
                ConnectCallback = (context, token) => ConnectAsync(context.DnsEndPoint, allowRemote, token),
            };
            _http = new HttpMessageInvoker(handler, disposeHandler: true);
        }

        public async Task<LoadReport> ExecuteAsync(IProgress<LoadSample>? progress)
        {
            if (_options.Warmup)
            {
                await WarmUpAsync();
            }

            _startedAt = _time.GetUtcNow();
            _start = _time.GetTimestamp();
            var schedule = Task.Run(ScheduleAsync, CancellationToken.None);
            try
            {
                await ReportAsync(progress);
            }
            finally
            {
                // A throwing callback must not leave requests running: stop, then wait for everything to settle.
                await _stop.CancelAsync();
                await schedule;
                await _drained.Task;
            }

            return Report();
        }

        public void Dispose()
        {
            _http.Dispose();
            _stop.Dispose();
        }

        /// <summary>One request per target before the clock starts, outside the statistics: the first request of a
        /// process pays for compiling the HTTP stack and opening a connection, which is the client's cost, not the
        /// target's.</summary>
        private async Task WarmUpAsync()
        {
            foreach (var target in _options.Targets.Distinct())
            {
                // Bounded: a target that does not answer must not hold up the start of the run.
                using var deadline = new CancellationTokenSource(TimeSpan.FromTicks(Math.Min(_options.Timeout.Ticks, TimeSpan.TicksPerSecond)), _time);
                using var stopped = _stop.Token.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), deadline);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, target) { Version = HttpVersion.Version11 };
                    using var response = await _http.SendAsync(request, deadline.Token);
                    await response.Content.CopyToAsync(Stream.Null, deadline.Token);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                {
                    // Whatever is wrong with the target shows in the run itself.
                }
            }
        }

        private async Task ScheduleAsync()
        {
            var schedule = new ArrivalSchedule(_options.Profile, _options.Arrivals, _seed);
            var targets = _options.Targets;
            var frequency = _time.TimestampFrequency;
            var next = 0;
            try
            {
                while (!_stop.IsCancellationRequested && schedule.TryNext(out var at))
                {
                    var due = _start + (long)(at.TotalSeconds * frequency);
                    var wait = _time.GetElapsedTime(_time.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _time, _stop.Token);
                    }

                    Fire(targets[next], due);
                    next = (next + 1) % targets.Count;
                }

                // The run lasts the profile's duration even when its last arrival comes earlier.
                var end = _start + (long)(_options.Profile.Duration.TotalSeconds * frequency);
                var rest = _time.GetElapsedTime(_time.GetTimestamp(), end);
                if (rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, _time, _stop.Token);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            finally
            {
                _scheduleSeconds = Math.Min(_time.GetElapsedTime(_start).TotalSeconds, _options.Profile.Duration.TotalSeconds);
                // Full fences on both sides (here and after each request's decrement): whichever comes last sees
                // the other and completes the drain.
                Interlocked.Exchange(ref _scheduleDone, 1);
                if (Volatile.Read(ref _inFlight) == 0)
                {
                    _drained.TrySetResult();
                }
            }
        }

        private void Fire(Uri target, long due)
        {
            var lagMs = Math.Max(0, _time.GetElapsedTime(due).TotalMilliseconds);
            if (Interlocked.Increment(ref _inFlight) > _options.MaxInFlight)
            {
                Interlocked.Decrement(ref _inFlight);
                lock (_gate)
                {
                    _window.Dropped++;
                    _window.MaxLagMs = Math.Max(_window.MaxLagMs, lagMs);
                }

                return;
            }

            lock (_gate)
            {
                _window.Sent++;
                _window.MaxLagMs = Math.Max(_window.MaxLagMs, lagMs);
            }

            // Not awaited: the schedule never waits for an answer. SendAsync records its own outcome.
            _ = SendAsync(target, due);
        }

        private async Task SendAsync(Uri target, long due)
        {
            var outcome = Outcome.Connection;
            var status = 0;
            TimeSpan? latency = null;
            try
            {
                using var deadline = new CancellationTokenSource(_options.Timeout, _time);
                using var stopped = _stop.Token.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), deadline);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, target)
                    {
                        Version = HttpVersion.Version11,
                        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    };
                    request.Headers.TryAddWithoutValidation("User-Agent", "linode-autoscaler-loadgen");
                    using var response = await _http.SendAsync(request, deadline.Token);
                    // The whole body is part of the answer and frees the connection for the next request.
                    await response.Content.CopyToAsync(Stream.Null, deadline.Token);
                    latency = _time.GetElapsedTime(due);
                    status = (int)response.StatusCode;
                    outcome = status switch
                    {
                        < 400 => Outcome.Ok,
                        < 500 => Outcome.Http4xx,
                        _ => Outcome.Http5xx,
                    };
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    outcome = Outcome.Cancelled;
                }
                catch (OperationCanceledException)
                {
                    // A timed-out request waited at least this long: it belongs in the latency distribution.
                    outcome = Outcome.Timeout;
                    latency = _time.GetElapsedTime(due);
                }
            }
            catch (HttpRequestException e) when (_stop.IsCancellationRequested && e.InnerException is OperationCanceledException)
            {
                outcome = Outcome.Cancelled;
            }
            catch (HttpRequestException e)
            {
                outcome = IsRefused(e) ? Outcome.Refused : Outcome.Connection;
            }
            catch (IOException)
            {
                outcome = Outcome.Connection;
            }
#pragma warning disable CA1031 // A request's failure is an outcome to count; nothing may escape a request nobody awaits.
            catch (Exception)
#pragma warning restore CA1031
            {
                outcome = _stop.IsCancellationRequested ? Outcome.Cancelled : Outcome.Connection;
            }
            finally
            {
                Record(outcome, status, latency);
                if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _scheduleDone) == 1)
                {
                    _drained.TrySetResult();
                }
            }
        }

        private static bool IsRefused(Exception e)
        {
            for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            {
                if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
                {
                    return true;
                }
            }

            return false;
        }

        private void Record(Outcome outcome, int status, TimeSpan? latency)
        {
            lock (_gate)
            {
                var w = _window;
                switch (outcome)
                {
                    case Outcome.Ok: w.Ok++; break;
                    case Outcome.Http4xx: w.Http4xx++; break;
                    case Outcome.Http5xx: w.Http5xx++; break;
                    case Outcome.Timeout: w.Timeout++; break;
                    case Outcome.Refused: w.Refused++; break;
                    case Outcome.Connection: w.Connection++; break;
                    case Outcome.Cancelled: w.Cancelled++; break;
                }

                if (status != 0)
                {
                    w.Answered++;
                    _statusCodes[status] = _statusCodes.GetValueOrDefault(status) + 1;
                }

                if (latency is { } l)
                {
                    w.Latency.Record(l);
                }
            }
        }

        /// <summary>Closes a window every second until the schedule is over and nothing is in flight.</summary>
        private async Task ReportAsync(IProgress<LoadSample>? progress)
        {
            var frequency = _time.TimestampFrequency;
            for (var n = 0; ; n++)
            {
                var end = _start + ((n + 1) * frequency);
                var wait = _time.GetElapsedTime(_time.GetTimestamp(), end);
                if (wait > TimeSpan.Zero && !_drained.Task.IsCompleted)
                {
                    using var tick = new CancellationTokenSource();
                    var delay = Task.Delay(wait, _time, tick.Token);
                    if (await Task.WhenAny(delay, _drained.Task) != delay)
                    {
                        await tick.CancelAsync();
                    }
                }

                var last = _drained.Task.IsCompleted;
                var length = last ? Math.Min(1, _time.GetElapsedTime(_start).TotalSeconds - n) : 1;
                var sample = Close(n, Math.Max(0, length), last);
                if (sample is not null)
                {
                    _samples.Add(sample);
                    progress?.Report(sample);
                }

                if (last)
                {
                    return;
                }
            }
        }

        private LoadSample? Close(int n, double length, bool last)
        {
            Window closed;
            lock (_gate)
            {
                closed = _window;
                _window = new Window(_spare);
            }

            var h = closed.Latency;
            _total.Add(h);
            _sent += closed.Sent;
            _answered += closed.Answered;
            _ok += closed.Ok;
            _http4xx += closed.Http4xx;
            _http5xx += closed.Http5xx;
            _timeout += closed.Timeout;
            _refused += closed.Refused;
            _connection += closed.Connection;
            _dropped += closed.Dropped;
            _cancelled += closed.Cancelled;
            _maxLagMs = Math.Max(_maxLagMs, closed.MaxLagMs);
            var sample = new LoadSample
            {
                Second = n,
                At = _startedAt + TimeSpan.FromSeconds(n),
                LengthSeconds = length,
                TargetRate = length > 0
                    ? _options.Profile.ArrivalsBetween(TimeSpan.FromSeconds(n), TimeSpan.FromSeconds(n + length)) / length
                    : 0,
                Sent = closed.Sent,
                Answered = closed.Answered,
                Ok = closed.Ok,
                ErrorsByKind = closed.Errors,
                InFlight = Volatile.Read(ref _inFlight),
                P50Ms = h.Percentile(50),
                P95Ms = h.Percentile(95),
                P99Ms = h.Percentile(99),
                MaxMs = h.MaxMilliseconds,
                MaxLagMs = closed.MaxLagMs,
            };
            h.Clear();
            _spare = h;
            // A sliver of a window left after the last answer says nothing; a window with events is always kept.
            return last && closed.IsEmpty && length < 0.5 ? null : sample;
        }

        private LoadReport Report()
        {
            // Anything recorded between the last window and the end of the drain lands in the final window already;
            // the totals are the sum of the windows.
            var totals = new LoadTotals
            {
                Sent = _sent,
                Answered = _answered,
                Ok = _ok,
                ErrorsByKind = new LoadErrorCounts(_http4xx, _http5xx, _timeout, _refused, _connection, _dropped),
                Cancelled = _cancelled,
                StatusCodes = new Dictionary<int, long>(_statusCodes),
                ScheduleSeconds = _scheduleSeconds,
                ExpectedArrivals = _options.Profile.ArrivalsBy(TimeSpan.FromSeconds(_scheduleSeconds)),
                P50Ms = _total.Percentile(50),
                P95Ms = _total.Percentile(95),
                P99Ms = _total.Percentile(99),
                MaxMs = _total.MaxMilliseconds,
                MeanMs = _total.MeanMilliseconds,
                MaxLagMs = _maxLagMs,
            };
            return new LoadReport
            {
                StartedAt = _startedAt,
                Elapsed = _time.GetElapsedTime(_start),
                Cancelled = _caller.IsCancellationRequested,
                Targets = _options.Targets,
                Profile = _options.Profile.Description,
                Arrivals = _options.Arrivals,
                Seed = _seed,
                Seconds = _samples,
                Totals = totals,
            };
        }
    }
}

using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Linode.Emulator;

namespace Autoscaler.Sandbox.Bench;

/// <summary>What <c>linode-autoscaler bench --only failover</c> does and how often.</summary>
public sealed record FailoverSettings
{
    /// <summary>Leader kills (20 in <c>make soak</c>, 2 in <c>make test</c>).</summary>
    public int Iterations { get; init; } = 20;

    /// <summary>The seed of the kill points and scale sizes; null: a fresh one (printed, so a run can be replayed).</summary>
    public int? Seed { get; init; }

    /// <summary><c>journal.lease</c> of both replicas: short, so that twenty takeovers take minutes, not hours.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>engine.evaluation_interval</c> of both replicas.</summary>
    public TimeSpan EvaluationInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The pool's size between iterations; each iteration scales it up by 1 or 2.</summary>
    public int Min { get; init; } = 2;

    /// <summary>The kill comes a random delay up to this after the scale-up was accepted: a scale-up by one or two
    /// with the emulator's fast delays makes its creates and joins within about 1–1.5 s (measured: with 3 s, 12 of 20
    /// kills came after the last write), so most kills land between the creates and the joins.</summary>
    public TimeSpan MaxKillDelay { get; init; } = TimeSpan.FromMilliseconds(1200);

    /// <summary>How long the pool may take to converge after a takeover (or after the scale back to <see cref="Min"/>)
    /// before the bench fails.</summary>
    public TimeSpan ConvergeTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "linode-autoscaler-bench",
        Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "failover");

    /// <summary>The program whose <c>serve</c> runs the replicas; null: the program running now.</summary>
    public ServeProgram? Program { get; init; }

    /// <summary>
    /// The correctness bound of a takeover, from the SIGKILL until the other replica leads and its engine makes its
    /// first Linode call: the killed leader renewed at most just before it
    /// died, so the lease expires at most <see cref="Lease"/> after the kill; the standby tries to take it every third of
    /// the lease, so it holds it at most lease/3 later; its engine's first cycle comes within one
    /// <see cref="EvaluationInterval"/>. The slack is that lease/3 plus 3 s for what a loaded 2-core machine adds
    /// (the lease statement, loading the journal's open operations, the first list call, thread scheduling).
    /// </summary>
    public TimeSpan TakeoverBound => Lease + EvaluationInterval + Slack;

    /// <summary>See <see cref="TakeoverBound"/>.</summary>
    public TimeSpan Slack => Lease / 3 + TimeSpan.FromSeconds(3);
}

/// <summary>The figures of the failover bench (JSON names as the issue gives them).</summary>
public sealed record FailoverFigures
{
    public int Iterations { get; init; }

    public int Seed { get; init; }

    public double LeaseSeconds { get; init; }

    public double EvaluationIntervalSeconds { get; init; }

    public double TakeoverBoundSeconds { get; init; }

    /// <summary>SIGKILL of the leader → the other replica leads and its engine makes its first Linode call, per
    /// iteration.</summary>
    public IReadOnlyList<double> TakeoverSeconds { get; init; } = [];

    public double TakeoverSecondsP50 { get; init; }

    public double TakeoverSecondsMax { get; init; }

    /// <summary>SIGKILL → the new leader's first Linode write, in the iterations that left one to make (an adopted
    /// create waits for its instance to boot before the join, so this includes boot time).</summary>
    public double FirstWriteSecondsP50 { get; init; }

    public double FirstWriteSecondsMax { get; init; }

    /// <summary>Iterations whose killed leader had made every write already.</summary>
    public int NoWriteLeft { get; init; }

    /// <summary>Per iteration the larger of: creates of one label beyond the first, answered 2xx, seen by the proxy; and
    /// instances beyond the desired count once converged.</summary>
    public int DuplicateCreates { get; init; }

    /// <summary>Pool-tagged instances in no NodeBalancer node and no open operation, and instances without the pool's
    /// tag, once converged.</summary>
    public int LeakedInstances { get; init; }

    /// <summary>NodeBalancer nodes whose instance is gone, once converged.</summary>
    public int OrphanNodes { get; init; }

    /// <summary>serve processes still alive after the bench stopped them (SIGKILLed ones included).</summary>
    public int LeftoverProcesses { get; init; }

    /// <summary>Instances the clean-up could not delete.</summary>
    public int LeftoverInstances { get; init; }
}

/// <summary>
/// Two <c>serve</c> replicas of one pool on one PostgreSQL journal (<see cref="PostgresServer"/>), against the
/// <see cref="SandboxEmulator"/> (Workload processes behind a YARP NodeBalancer) through a <see cref="RecordingProxy"/>.
/// Each iteration asks the leader to scale up, SIGKILLs it a seeded random delay later, times until the standby acts,
/// lets the pool converge, counts duplicate creates, leaked instances and orphan nodes, scales back to the minimum and
/// restarts the killed replica as the next standby (so the roles alternate).
/// </summary>
public sealed class FailoverBench(FailoverSettings settings, TextWriter output)
{
    private const string Pool = "web";
    private const string PoolTag = "autoscaler:web";
    private const string ApiToken = "bench-failover-api-token";
    private const string WebhookToken = "bench-failover-webhook-token";
    private const string LinodeToken = "bench-failover-linode-token";
    private const string InspectorToken = "bench-failover-inspector-token";

    public async Task<FailoverFigures> RunAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var seed = settings.Seed ?? Random.Shared.Next(1, int.MaxValue);
        var rng = new Random(seed);
        var dir = settings.WorkDirectory;
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"== failover: two serve replicas on PostgreSQL, the leader SIGKILLed during a scale-up, {settings.Iterations} times (seed {seed}: --seed {seed} replays the choices; lease {settings.Lease.TotalSeconds:0.#} s, evaluation every {settings.EvaluationInterval.TotalSeconds:0.#} s)"));

        await using var postgres = await PostgresServer.StartAsync(dir, ct: cancellationToken);
        var url = await postgres.CreateDatabaseAsync("failover", cancellationToken);
        // Two replicas each polling the pool every second: Linode's limits are off, the figures are the election's.
        var options = new EmulatorOptions { Listen = "127.0.0.1:0", Delays = EmulatorDelays.Fast };
        options.RateLimits.Enabled = false;
        await using var cloud = await SandboxEmulator.StartAsync(new SandboxEmulatorOptions { Emulator = options, Token = InspectorToken }, cancellationToken);
        await using var proxy = await RecordingProxy.StartAsync(cloud.BaseAddress, cancellationToken: cancellationToken);
        // Made here, once: every replica runs the provider's start-up, and two creating a missing NodeBalancer race.
        var (nb, config) = await cloud.CreateNodeBalancerAsync(Pool + "-nb",
            SandboxEmulator.HealthCheckedHttp(80, checkInterval: 2, checkAttempts: 1) with { Stickiness = Autoscaler.Linode.Models.SessionStickiness.None },
            cancellationToken: cancellationToken);
        var configPath = Path.Combine(dir, "autoscaler.yaml");
        await File.WriteAllTextAsync(configPath, Yaml(proxy.BaseAddress, url), cancellationToken);

        var program = settings.Program ?? ServeProgram.ThisProcess();
        var run = new Run(cloud, proxy, nb.Id, config.Id, settings);
        await using var a = new Replica("a", program, configPath);
        await using var b = new Replica("b", program, configPath);
        Replica[] replicas = [a, b];
        var totals = new Totals();
        var leftoverProcesses = 0;
        var leftoverInstances = 0;
        try
        {
            await replicas[0].StartAsync(cancellationToken);
            await run.WaitRoleAsync(replicas[0], "leader", cancellationToken);
            await replicas[1].StartAsync(cancellationToken);
            await run.WaitRoleAsync(replicas[1], "standby", cancellationToken);
            await run.WaitConvergedAsync(replicas[0], settings.Min, "the pool at its minimum", cancellationToken);
            var leader = 0;
            for (var i = 1; i <= settings.Iterations; i++)
            {
                await IterationAsync(run, replicas[leader], replicas[1 - leader], rng, i, totals, cancellationToken);
                leader = 1 - leader;
            }
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or HttpRequestException)
        {
            foreach (var r in replicas)
            {
                output.WriteLine($"---- replica {r.Name} (last lines of {r.LogPath}) ----{Environment.NewLine}{r.Tail(30)}");
            }

            throw;
        }
        finally
        {
            foreach (var r in replicas)
            {
                await r.StopAsync();
            }

            leftoverProcesses = replicas.SelectMany(r => r.Pids).Count(Leftovers.IsAlive);
            (leftoverInstances, var problems) = await cloud.DeleteEverythingAsync(TimeSpan.FromSeconds(60));
            foreach (var p in problems)
            {
                output.WriteLine("  clean-up: " + p);
            }
        }

        var sorted = totals.Takeovers.Order().ToList();
        var writes = totals.FirstWrites.Order().ToList();
        var figures = new FailoverFigures
        {
            Iterations = settings.Iterations,
            Seed = seed,
            LeaseSeconds = settings.Lease.TotalSeconds,
            EvaluationIntervalSeconds = settings.EvaluationInterval.TotalSeconds,
            TakeoverBoundSeconds = settings.TakeoverBound.TotalSeconds,
            TakeoverSeconds = totals.Takeovers,
            TakeoverSecondsP50 = Percentile(sorted, 0.50),
            TakeoverSecondsMax = sorted.Count == 0 ? double.NaN : sorted[^1],
            FirstWriteSecondsP50 = Percentile(writes, 0.50),
            FirstWriteSecondsMax = writes.Count == 0 ? double.NaN : writes[^1],
            NoWriteLeft = totals.Takeovers.Count - writes.Count,
            DuplicateCreates = totals.Duplicates,
            LeakedInstances = totals.Leaked,
            OrphanNodes = totals.Orphans,
            LeftoverProcesses = leftoverProcesses,
            LeftoverInstances = leftoverInstances,
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  takeover (SIGKILL → the other replica leads and calls the API), {figures.Iterations} kills: p50 {figures.TakeoverSecondsP50:0.00} s, max {figures.TakeoverSecondsMax:0.00} s (bound: lease + one evaluation + slack = {figures.TakeoverBoundSeconds:0.0} s); "
            + $"first write p50 {figures.FirstWriteSecondsP50:0.00} s, max {figures.FirstWriteSecondsMax:0.00} s ({figures.NoWriteLeft} kills left none to make)"));
        output.WriteLine($"  duplicate creates {figures.DuplicateCreates}, leaked instances {figures.LeakedInstances}, orphan nodes {figures.OrphanNodes}; "
            + $"serve processes left {figures.LeftoverProcesses}, instances left after the clean-up {figures.LeftoverInstances}");
        return figures;
    }

    private async Task IterationAsync(Run run, Replica leader, Replica standby, Random rng, int i, Totals totals, CancellationToken ct)
    {
        var target = settings.Min + rng.Next(1, 3);
        var delay = TimeSpan.FromMilliseconds(rng.Next(0, (int)settings.MaxKillDelay.TotalMilliseconds + 1));
        var from = run.Proxy.Count;
        await leader.ScaleAsync(target, ct);
        await Task.Delay(delay, ct);
        var killedAt = SandboxClock.Now;
        await leader.KillAsync();
        // Only the other replica can call the API from here on: the killed one's process is gone.
        var deadAt = SandboxClock.Now;

        // Acting is the new leader's engine calling the API: its first cycle reads the pool and adopts what the dead
        // leader left half done (a standby makes no Linode call). Its first write can come later with no fault of the
        // election's: an adopted create is joined only once the instance boots; that figure is reported beside it.
        double? leadsAt = null;
        double? actedAt = null;
        var deadline = killedAt + Math.Max(60, 3 * settings.TakeoverBound.TotalSeconds);
        while (leadsAt is null || actedAt is null)
        {
            if (SandboxClock.Now > deadline)
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"failover #{i}: replica {standby.Name} did not act within {deadline - killedAt:0} s of the leader's SIGKILL (leads: {leadsAt is not null})"));
            }

            if (leadsAt is null && await standby.RoleAsync(ct) == "leader")
            {
                leadsAt = SandboxClock.Now;
            }

            actedAt = CallsAfter(run.Proxy, from, deadAt, writesOnly: false).DefaultIfEmpty(double.NaN).Min() is var t && double.IsNaN(t) ? null : t;
            if (leadsAt is null || actedAt is null)
            {
                await Task.Delay(50, ct);
            }
        }

        var takeover = actedAt.Value - killedAt;
        totals.Takeovers.Add(takeover);
        await run.WaitConvergedAsync(standby, target, $"failover #{i}: the pool converged at {target} under replica {standby.Name}", ct);
        var converged = SandboxClock.Now - killedAt;
        var firstWrite = CallsAfter(run.Proxy, from, deadAt, writesOnly: true).DefaultIfEmpty(double.NaN).Min() - killedAt;
        if (!double.IsNaN(firstWrite))
        {
            totals.FirstWrites.Add(firstWrite);
        }

        var view = await run.ViewAsync(ct);
        var pool = await standby.PoolAsync(ct);
        var creates = run.Proxy.Exchanges
            .Where(e => e.Seq > from && e.Endpoint == "POST /linode/instances" && e.Status is >= 200 and < 300)
            .GroupBy(e => Label(e.Body), StringComparer.Ordinal)
            .Sum(g => g.Count() - 1);
        var duplicates = Math.Max(creates, Math.Max(0, view.Live.Count - target));
        var leaked = view.Leaked(OpenOperationKeys(pool)).Count + view.Untagged(PoolTag).Count;
        var orphans = view.Orphans.Count;
        totals.Duplicates += duplicates;
        totals.Leaked += leaked;
        totals.Orphans += orphans;

        // The next iteration starts from the minimum again, under the new leader, with the killed replica back as its
        // standby.
        await standby.ScaleAsync(settings.Min, ct);
        await leader.StartAsync(ct);
        await run.WaitRoleAsync(leader, "standby", ct);
        await run.WaitConvergedAsync(standby, settings.Min, $"failover #{i}: the pool back at {settings.Min}", ct);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  #{i}/{settings.Iterations} {settings.Min}→{target}, {leader.Name} killed {delay.TotalSeconds:0.00} s into the scale-up: {standby.Name} leads after {(leadsAt ?? double.NaN) - killedAt:0.00} s, acts after {takeover:0.00} s, first write {(double.IsNaN(firstWrite) ? "none left to make" : firstWrite.ToString("0.00 s", CultureInfo.InvariantCulture))}, converged after {converged:0.0} s; duplicates {duplicates}, leaked {leaked}, orphans {orphans}"));
    }

    private string Yaml(Uri linode, string journalUrl) => string.Create(CultureInfo.InvariantCulture, $$"""
        # Written by `linode-autoscaler bench --only failover`: both replicas run this file.
        linode: { url: {{linode}}v4, token: {{LinodeToken}} }
        listen: 127.0.0.1:0
        webhook: { auth: { bearer_token: {{WebhookToken}} } }
        api: { auth: { bearer_token: {{ApiToken}} } }
        engine: { evaluation_interval: {{(long)settings.EvaluationInterval.TotalMilliseconds}}ms }
        journal: { url: '{{journalUrl}}', lease: {{(long)settings.Lease.TotalSeconds}}s }
        pools:
          {{Pool}}:
            region: us-east
            type: g6-standard-1
            image: linode/debian12
            min: {{settings.Min}}
            max: {{settings.Min + 2}}
            desired: {{settings.Min}}
            nodebalancer: { label: {{Pool}}-nb, port: 80, node_port: {{CloudView.NodePort}} }
            health: { grace: 60s, replace_after: 60s }
            scale_up: { step: 1, cooldown: 0s, max_in_flight: 10 }
            scale_down: { step: 1, cooldown: 0s, drain: 1s, victim: newest, billing: none }

        """);

    private static string Label(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("label", out var l) ? l.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    /// <summary>Labels and instance ids named by the leader's open operations (a launch not yet joined is no leak).</summary>
    private static HashSet<string> OpenOperationKeys(JsonElement pool)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in pool.GetProperty("operations").EnumerateArray())
        {
            foreach (var name in new[] { "label", "member_id" })
            {
                if (op.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
                {
                    keys.Add(v.GetString()!);
                }
            }
        }

        return keys;
    }

    /// <summary>Arrival times of the calls (or writes) that came after the killed replica was gone: the other's.</summary>
    private static IEnumerable<double> CallsAfter(RecordingProxy proxy, long fromSeq, double deadAt, bool writesOnly) =>
        proxy.Exchanges.Where(e => e.Seq > fromSeq && e.ReceivedAt > deadAt && (!writesOnly || e.Method != "GET")).Select(e => e.ReceivedAt);

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private sealed class Totals
    {
        public List<double> Takeovers { get; } = [];
        public List<double> FirstWrites { get; } = [];
        public int Duplicates;
        public int Leaked;
        public int Orphans;
    }

    /// <summary>The shared parts and the checks made of them.</summary>
    private sealed class Run(SandboxEmulator cloud, RecordingProxy proxy, long nodeBalancerId, long configId, FailoverSettings settings)
    {
        public RecordingProxy Proxy => proxy;

        public Task<CloudView> ViewAsync(CancellationToken ct) => cloud.ViewAsync(PoolTag, nodeBalancerId, configId).WaitAsync(ct);

        /// <summary>Null when the pool is converged at <paramref name="size"/>: that many members, each running with one
        /// node (accept, UP), no other node or instance on the account, and the leader reports the same desired size
        /// with nothing in flight. Otherwise what differs.</summary>
        public async Task<string?> DivergenceAsync(Replica leader, int size, CancellationToken ct)
        {
            var view = await ViewAsync(ct);
            if (view.Live.Count != size || view.Serving != size || view.Nodes.Count != size || view.All.Count != size)
            {
                return $"want {size} serving; {view.All.Count} instances on the account; {view.Describe()}";
            }

            var pool = await leader.PoolAsync(ct);
            var open = pool.GetProperty("operations").GetArrayLength();
            var desired = pool.GetProperty("desired");
            return open > 0 ? $"{open} open operation(s)"
                : desired.ValueKind != JsonValueKind.Number || desired.GetInt32() != size ? $"replica {leader.Name}'s desired is {desired}, want {size}"
                : null;
        }

        public async Task WaitConvergedAsync(Replica leader, int size, string what, CancellationToken ct)
        {
            var deadline = SandboxClock.Now + settings.ConvergeTimeout.TotalSeconds;
            string? last;
            while ((last = await TryAsync(() => DivergenceAsync(leader, size, ct))) is not null)
            {
                if (SandboxClock.Now > deadline)
                {
                    throw new TimeoutException($"{what}: not within {settings.ConvergeTimeout.TotalSeconds:0} s: {last}");
                }

                await Task.Delay(150, ct);
            }
        }

        public async Task WaitRoleAsync(Replica replica, string role, CancellationToken ct)
        {
            var deadline = SandboxClock.Now + Math.Max(60, 4 * settings.Lease.TotalSeconds);
            string last;
            while ((last = await replica.RoleAsync(ct)) != role)
            {
                if (SandboxClock.Now > deadline)
                {
                    throw new TimeoutException($"replica {replica.Name} is {last}, not {role}, after {Math.Max(60, 4 * settings.Lease.TotalSeconds):0} s");
                }

                await Task.Delay(100, ct);
            }
        }

        private static async Task<string?> TryAsync(Func<Task<string?>> check)
        {
            try
            {
                return await check();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Autoscaler.Linode.LinodeException)
            {
                return $"{e.GetType().Name}: {e.Message}";
            }
        }
    }

    /// <summary>One replica: its serve process (started again after each kill) and a client of its API.</summary>
    private sealed class Replica(string name, ServeProgram program, string configPath) : IAsyncDisposable
    {
        private ServeProcess? _serve;
        private HttpClient? _http;
        private int _starts;

        public string Name => name;

        /// <summary>Every serve process this replica ran.</summary>
        public List<int> Pids { get; } = [];

        public string LogPath => Path.Combine(Path.GetDirectoryName(configPath)!, $"serve-{name}-{_starts}.log");

        public async Task StartAsync(CancellationToken ct)
        {
            _starts++;
            _serve = await ServeProcess.StartAsync(program, configPath, LogPath, TimeSpan.FromSeconds(90), ct);
            Pids.Add(_serve.Pid);
            _http = new HttpClient { BaseAddress = _serve.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken);
        }

        /// <summary>SIGKILL (no shutdown code runs, the lease is not released), then waits until it is gone.</summary>
        public async Task KillAsync()
        {
            if (_serve is null)
            {
                return;
            }

            await _serve.KillAsync();
            await ForgetAsync();
        }

        /// <summary>As systemd stops it (SIGTERM: a leader releases its lease).</summary>
        public async Task StopAsync()
        {
            if (_serve is null)
            {
                return;
            }

            await _serve.StopAsync(TimeSpan.FromSeconds(10));
            await ForgetAsync();
        }

        public string Tail(int lines) => File.Exists(LogPath) ? string.Join(Environment.NewLine, File.ReadLines(LogPath).TakeLast(lines)) : "(no log)";

        /// <summary>standby, leader, deposed (the role <c>GET /api/v1/leader</c> serves), or down.</summary>
        public async Task<string> RoleAsync(CancellationToken ct)
        {
            if (_http is null)
            {
                return "down";
            }

            try
            {
                var json = JsonDocument.Parse(await _http.GetStringAsync("api/v1/leader", ct)).RootElement;
                return json.GetProperty("role").GetString() ?? "unknown";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return "unreachable";
            }
        }

        public async Task ScaleAsync(int desired, CancellationToken ct)
        {
            var http = _http ?? throw new InvalidOperationException($"replica {name} is not running");
            using var body = new StringContent($$"""{"desired": {{desired}}}""", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync($"api/v1/pools/{Pool}/scale", body, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"replica {name}: scale to {desired} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
        }

        public async Task<JsonElement> PoolAsync(CancellationToken ct)
        {
            var http = _http ?? throw new InvalidOperationException($"replica {name} is not running");
            return JsonDocument.Parse(await http.GetStringAsync($"api/v1/pools/{Pool}", ct)).RootElement.Clone();
        }

        public ValueTask DisposeAsync() => new(ForgetAsync());

        private async Task ForgetAsync()
        {
            _http?.Dispose();
            _http = null;
            if (_serve is not null)
            {
                await _serve.DisposeAsync();
            }

            _serve = null;
        }
    }
}

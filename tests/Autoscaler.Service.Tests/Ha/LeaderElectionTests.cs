using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Service.Api;
using Autoscaler.Service.Ha;
using Autoscaler.Service.Storage;
using Autoscaler.Service.Tests.Support;
using Npgsql;

namespace Autoscaler.Service.Tests.Ha;

/// <summary>Two in-process replicas on one PostgreSQL journal, acting on one shared (virtual) cloud.</summary>
public sealed class LeaderElectionTests : IAsyncLifetime
{
    private readonly List<AutoscalerHost> _hosts = [];
    private readonly ConcurrentDictionary<string, GatedPool> _cloud = new();
    private readonly ConcurrentQueue<string> _calls = new();
    private string _url = "";

    public async Task InitializeAsync() => _url = await SharedPostgres.NewDatabaseAsync("ha");

    public async Task DisposeAsync()
    {
        foreach (var h in _hosts)
        {
            await h.DisposeAsync();
        }
    }

    private AutoscalerConfig Config(string lease, string interval = "1s", string? journal = null) => TestConfig.Parse($$"""
        linode: { url: http://127.0.0.1:1/v4, token: {{TestConfig.LinodeToken}} }
        listen: 127.0.0.1:0
        webhook: { auth: { bearer_token: {{TestConfig.WebhookToken}} }, min_evaluation_interval: 0s }
        api: { auth: { bearer_token: {{TestConfig.ApiToken}} } }
        engine: { evaluation_interval: {{interval}} }
        journal: {{journal ?? "{ url: '" + _url + "', lease: " + lease + " }"}}
        pools:
        {{TestConfig.Pool(min: 2, max: 6)}}
        """);

    /// <summary>A replica whose cloud calls are recorded with its name ("a:launch").</summary>
    private async Task<AutoscalerHost> StartAsync(string name, string lease = "3s", string interval = "1s")
    {
        var host = await AutoscalerHost.StartAsync(Config(lease, interval), new AutoscalerServices
        {
            InstancePools = p => new NamedPool(_cloud.GetOrAdd(p.Name, n => new GatedPool(n, TimeProvider.System)), name, _calls),
        });
        _hosts.Add(host);
        return host;
    }

    private static HttpClient Client(AutoscalerHost host) => new() { BaseAddress = host.BaseAddress, DefaultRequestHeaders = { Authorization = TestConfig.BearerHeader(TestConfig.ApiToken) } };

    [Fact]
    public async Task TwoReplicas_OneLeads_OnlyItActsAndTheStandbyRefusesWritesNamingTheLeader()
    {
        var a = await StartAsync("a");
        await Wait.UntilAsync(() => a.Elector!.Role == ReplicaRole.Leader, "a leads");
        var b = await StartAsync("b");
        await Wait.UntilAsync(() => b.Elector!.Leader is not null, "b has read the lease");
        await Wait.UntilAsync(async () => (await _cloud["web"].Cloud.SnapshotAsync(default)).Members.Count == 2, "the pool at its min");
        await Task.Delay(2500);

        Assert.Equal(ReplicaRole.Standby, b.Elector!.Role);
        Assert.Equal(0, b.Loop.Cycles);
        Assert.DoesNotContain(_calls, c => c.StartsWith("b:", StringComparison.Ordinal));
        Assert.Equal(2, _calls.Count(c => c == "a:launch"));

        using var http = Client(b);
        using var refused = await http.PostAsync(new Uri("/api/v1/pools/web/scale", UriKind.Relative), TestConfig.Json("""{"desired":3}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var leaderAddress = a.BaseAddress.ToString().TrimEnd('/');
        Assert.Equal(leaderAddress, Assert.Single(refused.Headers.GetValues(StandbyGuard.LeaderHeader)));
        Assert.Contains(leaderAddress, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var role = await http.GetFromJsonAsync<LeaderResponse>("/api/v1/leader", ApiJson.Options);
        Assert.Equal(("standby", a.Elector!.Holder, leaderAddress), (role!.Role, role.Leader, role.LeaderAddress));
        var metricsA = await Client(a).GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("autoscaler_leader 1", metricsA, StringComparison.Ordinal);
        Assert.Contains("autoscaler_leader 0", await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);

        // The webhook is served by every replica (Alertmanager sends to all of them).
        using var hook = new HttpClient { BaseAddress = b.BaseAddress, DefaultRequestHeaders = { Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken) } };
        using var accepted = await hook.PostAsync(new Uri("/hook", UriKind.Relative), TestConfig.Json(TestConfig.Notification("PoolCpuHigh")));
        Assert.True(accepted.IsSuccessStatusCode);

        using var leaderHttp = Client(a);
        using var scaled = await leaderHttp.PostAsync(new Uri("/api/v1/pools/web/scale", UriKind.Relative), TestConfig.Json("""{"desired":3}"""));
        Assert.True(scaled.IsSuccessStatusCode, await scaled.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Standby_PoolReads_AnsweredByTheLeaderAndMarkedSo()
    {
        var a = await StartAsync("a");
        await Wait.UntilAsync(() => a.Elector!.Role == ReplicaRole.Leader, "a leads");
        var b = await StartAsync("b");
        await Wait.UntilAsync(() => b.Elector!.Leader is not null, "b has read the lease");
        using var leaderApi = new AutoscalerApiClient(a.BaseAddress, AutoscalerApiClient.Bearer(TestConfig.ApiToken));
        await Wait.UntilAsync(async () => (await leaderApi.GetPoolAsync("web")).Serving == 2, "the leader sees the pool at its min");

        // What `status` reads: a standby's own engine is idle (it would show no members), so the leader answers.
        using var standbyApi = new AutoscalerApiClient(b.BaseAddress, AutoscalerApiClient.Bearer(TestConfig.ApiToken));
        var status = await standbyApi.GetStatusAsync();
        var leaderAddress = a.BaseAddress.ToString().TrimEnd('/');
        Assert.Equal(new ServedBy(a.Elector!.Holder, leaderAddress, b.Elector!.Holder), status.ServedBy);
        Assert.Equal(2, Assert.Single(status.Pools).Serving);
        Assert.Equal(2, (await standbyApi.GetPoolAsync("web")).Members.Count);
        Assert.Equal(0, b.Loop.Cycles);
        var (code, stdout, stderr) = await CliTests.RunAsync("status", "--url", b.BaseAddress.ToString());
        Assert.True(code == 0, stderr);
        Assert.Contains($"Answered by the leader {a.Elector.Holder} at {leaderAddress}: {b.BaseAddress} is a standby.", stdout, StringComparison.Ordinal);

        using var http = Client(b);
        using var sd = await http.GetAsync(new Uri("/http_sd", UriKind.Relative));
        Assert.Equal(a.Elector.Holder, Assert.Single(sd.Headers.GetValues(LeaderReadProxy.ServedByHeader)));
        Assert.Equal(leaderAddress, Assert.Single(sd.Headers.GetValues(StandbyGuard.LeaderHeader)));
        // The audit trail is the shared database's: the standby answers it itself.
        using var events = await http.GetAsync(new Uri("/api/v1/events?pool=web", UriKind.Relative));
        Assert.False(events.Headers.Contains(LeaderReadProxy.ServedByHeader));
        // A read another replica forwarded is never forwarded again (two standbys with stale views cannot loop).
        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/v1/pools", UriKind.Relative)) { Headers = { { LeaderReadProxy.ForwardedHeader, "c" } } };
        using var refused = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
    }

    [Fact]
    public async Task Standby_LeaderUnreachable_PoolReadIsABadGatewayNamingIt()
    {
        // Another replica holds the lease and advertises an address where nothing listens.
        using (var other = await PostgresStore.OpenAsync(_url))
        {
            Assert.Equal(1, await new LeaderLease(other, "gone", TimeSpan.FromSeconds(60)).TryAcquireAsync("http://127.0.0.1:1", default));
        }

        var b = await StartAsync("b");
        await Wait.UntilAsync(() => b.Elector!.Leader is not null, "b has read the lease");

        using var answer = await Client(b).GetAsync(new Uri("/api/v1/pools", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadGateway, answer.StatusCode);
        Assert.Contains("the leader at http://127.0.0.1:1 did not answer", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeaderStops_StandbyActsWithinTheLeasePlusOneCycle()
    {
        var a = await StartAsync("a");
        await Wait.UntilAsync(() => a.Elector!.Role == ReplicaRole.Leader, "a leads");
        var b = await StartAsync("b");
        await Wait.UntilAsync(async () => (await _cloud["web"].Cloud.SnapshotAsync(default)).Members.Count == 2, "the pool at its min");
        await Wait.UntilAsync(() => b.Elector!.Leader is not null, "b has read the lease");

        var watch = Stopwatch.StartNew();
        _hosts.Remove(a);
        await a.DisposeAsync();
        await Wait.UntilAsync(() => b.Loop.Cycles > 0, "b runs the engine");

        Assert.Equal(ReplicaRole.Leader, b.Elector!.Role);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3 + 1 + 2), $"took over in {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.True(b.Elector.Leader!.Epoch > a.Elector!.Leader!.Epoch);
        // It restored the pool from the journal: nothing launched again.
        await Task.Delay(1500);
        Assert.DoesNotContain("b:launch", _calls);
    }

    [Fact]
    public async Task LeaderPausedPastItsLease_WritesAndCloudCallsRefused()
    {
        // A long lease: the leader does not renew (nor notice anything) during the test, as if it were paused.
        var a = await StartAsync("a", lease: "60s", interval: "1h");
        await Wait.UntilAsync(() => a.Elector!.Role == ReplicaRole.Leader, "a leads");
        var token = a.Elector!.Token!;

        // Another replica takes the lease once it expired (the pause outlasted it).
        await using (var c = new NpgsqlConnection(PostgresAddress.Parse(_url).ConnectionString))
        {
            await c.OpenAsync();
            await using var expire = new NpgsqlCommand("UPDATE leases SET expires_at = now() - interval '1 second'", c);
            await expire.ExecuteNonQueryAsync();
        }

        using (var other = await PostgresStore.OpenAsync(_url))
        {
            Assert.Equal(token.Epoch + 1, await new LeaderLease(other, "intruder", TimeSpan.FromSeconds(60)).TryAcquireAsync("http://127.0.0.1:1", default));
        }

        // The paused leader still believes it leads…
        Assert.Equal(token, a.Elector.Token);
        var pool = new FencedInstancePool(_cloud["web"], a.Elector);
        // …but its cloud call and its journal write are refused.
        var launch = await Assert.ThrowsAsync<FencedException>(() => pool.LaunchAsync(new LaunchRequest("web", "web-late", "op-late", "test"), default));
        Assert.Contains($"epoch {token.Epoch}", launch.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<FencedException>(() => a.Store.SavePoolAsync(new PoolRecord { Pool = "web", Desired = 5 }, default));
        Assert.NotEqual(5, (await a.Store.GetPoolAsync("web", default))?.Desired);
        Assert.DoesNotContain((await _cloud["web"].Cloud.SnapshotAsync(default)).Members, m => m.Label == "web-late");

        // Holding create slots changes nothing in the cloud: the provider's allowance passes through unfenced (without
        // it the leader's passes would wait for Linode's create window inside their launches).
        var holding = new FencedInstancePool(new HoldingPool(_cloud["web"]), a.Elector);
        Assert.Equal(new LaunchAllowance(1, "held by the create window"), holding.AllowLaunches(3));
    }

    [Fact]
    public async Task Lease_HolderKeepsItsEpoch_NewHolderRaisesIt_ExpiryByTheDatabaseClock()
    {
        using var store = await PostgresStore.OpenAsync(_url);
        var a = new LeaderLease(store, "a", TimeSpan.FromSeconds(3));
        var b = new LeaderLease(store, "b", TimeSpan.FromSeconds(3));

        Assert.Equal(1, await a.TryAcquireAsync("http://a", default));
        Assert.Null(await b.TryAcquireAsync("http://b", default));
        Assert.Equal(1, await a.TryAcquireAsync("http://a", default));
        Assert.True(await a.IsHeldAsync(new LeaseToken("a", 1), TimeSpan.FromSeconds(1), default));
        Assert.False(await a.IsHeldAsync(new LeaseToken("a", 1), TimeSpan.FromSeconds(5), default));

        await a.ReleaseAsync(default);
        Assert.Equal(2, await b.TryAcquireAsync("http://b", default));
        Assert.Equal(new LeaseHolder("b", "http://b", 2, true), await a.ReadAsync(default));
        Assert.False(await a.IsHeldAsync(new LeaseToken("a", 1), TimeSpan.Zero, default));
    }

    [Fact]
    public async Task SqliteJournal_Standalone_NoElection()
    {
        using var dir = new TempDir();
        var host = await AutoscalerHost.StartAsync(Config("3s", journal: "{ path: " + dir.File("j.db") + " }"), new AutoscalerServices
        {
            InstancePools = p => new GatedPool(p.Name, TimeProvider.System),
        });
        _hosts.Add(host);

        Assert.Null(host.Elector);
        Assert.IsType<SqliteStore>(host.Store);
        var role = await Client(host).GetFromJsonAsync<LeaderResponse>("/api/v1/leader", ApiJson.Options);
        Assert.Equal("standalone", role!.Role);
    }

    /// <summary>Records each cloud call with the replica's name.</summary>
    /// <summary>A pool whose provider grants one launch a pass.</summary>
    private sealed class HoldingPool(IInstancePool inner) : IInstancePool
    {
        public string Name => inner.Name;

        public LaunchAllowance AllowLaunches(int wanted) => new(Math.Min(wanted, 1), "held by the create window");

        public Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken) => inner.SnapshotAsync(cancellationToken);

        public Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken) => inner.LaunchAsync(request, cancellationToken);

        public Task JoinAsync(PoolMember member, CancellationToken cancellationToken) => inner.JoinAsync(member, cancellationToken);

        public Task DrainAsync(PoolMember member, CancellationToken cancellationToken) => inner.DrainAsync(member, cancellationToken);

        public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken) => inner.UndrainAsync(member, cancellationToken);

        public Task RemoveAsync(PoolMember member, CancellationToken cancellationToken) => inner.RemoveAsync(member, cancellationToken);

        public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken) => inner.RemoveOrphanNodeAsync(node, cancellationToken);
    }

    private sealed class NamedPool(IInstancePool inner, string replica, ConcurrentQueue<string> calls) : IInstancePool
    {
        public string Name => inner.Name;

        public Task<PoolSnapshot> SnapshotAsync(CancellationToken cancellationToken) => inner.SnapshotAsync(cancellationToken);

        public Task<PoolMember> LaunchAsync(LaunchRequest request, CancellationToken cancellationToken)
        {
            calls.Enqueue(replica + ":launch");
            return inner.LaunchAsync(request, cancellationToken);
        }

        public Task JoinAsync(PoolMember member, CancellationToken cancellationToken)
        {
            calls.Enqueue(replica + ":join");
            return inner.JoinAsync(member, cancellationToken);
        }

        public Task DrainAsync(PoolMember member, CancellationToken cancellationToken)
        {
            calls.Enqueue(replica + ":drain");
            return inner.DrainAsync(member, cancellationToken);
        }

        public Task UndrainAsync(PoolMember member, CancellationToken cancellationToken)
        {
            calls.Enqueue(replica + ":undrain");
            return inner.UndrainAsync(member, cancellationToken);
        }

        public Task RemoveAsync(PoolMember member, CancellationToken cancellationToken)
        {
            calls.Enqueue(replica + ":remove");
            return inner.RemoveAsync(member, cancellationToken);
        }

        public Task RemoveOrphanNodeAsync(OrphanNode node, CancellationToken cancellationToken)
        {
            calls.Enqueue(replica + ":orphan");
            return inner.RemoveOrphanNodeAsync(node, cancellationToken);
        }
    }
}

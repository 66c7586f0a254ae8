using System.Globalization;
using System.Text;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;
using Autoscaler.Linode.Provider;
using Autoscaler.Linode.Tests.Support;

namespace Autoscaler.Linode.Tests.Provider;

/// <summary>LaunchAsync against the emulator: what is sent, idempotence by label, and the root password's secrecy.</summary>
public sealed class LaunchTests : IDisposable
{
    private const string CloudConfig = "#cloud-config\nruncmd:\n  - [sh, -c, 'echo hello from cloud-init']\n";
    private const string SshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk0dGVzdGtleWZvcnRoZWF1dG9zY2FsZXI ops@example";

    private readonly string _userDataFile = Path.Combine(Path.GetTempPath(), $"provider-user-data-{Guid.NewGuid():N}.yaml");

    public LaunchTests() => File.WriteAllText(_userDataFile, CloudConfig);

    public void Dispose() => File.Delete(_userDataFile);

    private PoolConfig FullConfig(long firewallId) => ProviderHarness.PoolConfig().WithLinode(l => l with
    {
        Tags = ["app:web", "env:test", "autoscaler:web"],
        AuthorizedKeys = [SshKey],
        StackScript = new StackScriptConfig { Id = 4242, Data = new Dictionary<string, string> { ["APP_VERSION"] = "1.2.3" } },
        UserDataFile = _userDataFile,
        FirewallId = firewallId,
    });

    /// <summary>A firewall in the emulator (it refuses a create naming one that does not exist, as Linode does).</summary>
    private static async Task<long> CreateFirewallAsync(ProviderHarness h)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = h.Host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v4/networking/firewalls")
        {
            Content = new StringContent("""{"label":"web-fw","rules":{"inbound_policy":"ACCEPT","outbound_policy":"ACCEPT"}}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "test-token");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var created = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return created["id"]!.GetValue<long>();
    }

    [Fact]
    public async Task Launch_FullConfig_SendsEveryFieldAndApiShowsThem()
    {
        await using var h = await ProviderHarness.StartAsync();
        var firewallId = await CreateFirewallAsync(h);
        var pool = await h.StartPoolAsync(FullConfig(firewallId));

        var member = await pool.LaunchAsync(new LaunchRequest("web", "web-full0001", "op-full", "scale-up"), CancellationToken.None);

        var id = long.Parse(member.Id, CultureInfo.InvariantCulture);
        Assert.Equal("web-full0001", member.Label);
        Assert.Equal(InstanceState.Provisioning, member.State);
        Assert.Null(member.Node);

        // What the API shows.
        var instance = await h.Client.Instances.GetAsync(id);
        Assert.Equal(["autoscaler:web", "app:web", "env:test"], instance.Tags);
        Assert.NotNull(instance.PrivateIpv4);
        Assert.True(instance.HasUserData);
        Assert.Equal(("us-east", "g6-nanode-1", "linode/debian12"), (instance.Region, instance.Type, instance.Image));

        // What the booted instance got (the emulator hands user data and StackScript fields to its runtime).
        await h.WaitForStatusAsync(id, InstanceStatus.Running);
        var spec = Assert.Single(h.Instances.Started, s => s.LinodeId == id);
        Assert.Equal(CloudConfig, spec.UserData);
        Assert.Equal("1.2.3", spec.Environment["APP_VERSION"]);

        // What went over the wire.
        var body = Assert.Single(h.Recorder.Find("POST", "/linode/instances")).Json;
        Assert.Equal("web-full0001", (string?)body["label"]);
        Assert.Equal(4242, (int?)body["stackscript_id"]);
        Assert.Equal(SshKey, (string?)body["authorized_keys"]![0]);
        Assert.Equal(firewallId, (long?)body["firewall_id"]);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(CloudConfig)), (string?)body["metadata"]!["user_data"]);
        Assert.True((bool?)body["private_ip"]);
        Assert.True((bool?)body["booted"]);
        var password = (string?)body["root_pass"];
        Assert.NotNull(password);
        Assert.Equal(32, password.Length);
        Assert.Contains(password, char.IsAsciiLetterLower);
        Assert.Contains(password, char.IsAsciiLetterUpper);
        Assert.Contains(password, char.IsAsciiDigit);
        Assert.Contains(password, c => !char.IsAsciiLetterOrDigit(c));
    }

    [Fact]
    public async Task Launch_SameLabelAgainAndAfterRestart_CreatesOneInstance()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var request = new LaunchRequest("web", "web-once0001", "op-once", "scale-up");

        var first = await pool.LaunchAsync(request, CancellationToken.None);
        var again = await pool.LaunchAsync(request, CancellationToken.None);
        // A restarted service builds a new pool object and finds the instance by its label.
        var restarted = await h.Factory().CreateAsync(ProviderHarness.PoolConfig(), CancellationToken.None);
        var afterRestart = await restarted.LaunchAsync(request, CancellationToken.None);

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(first.Id, afterRestart.Id);
        Assert.Single(h.Recorder.Find("POST", "/linode/instances"));
        Assert.Single(await h.Client.Instances.ListAsync(Filter.Eq("label", "web-once0001")).ToListAsync());
    }

    [Fact]
    public async Task Launch_LabelHeldByInstanceWithoutPoolTag_RefusesAndCreatesNothing()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();
        var other = await h.CreateOtherInstanceAsync("web-taken001", ["terraform"]);
        h.Recorder.Clear();

        var ex = await Assert.ThrowsAsync<PoolMembershipException>(() =>
            pool.LaunchAsync(new LaunchRequest("web", "web-taken001", "op-x", "scale-up"), CancellationToken.None));

        Assert.Contains("pool 'web'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("autoscaler:web", ex.Message, StringComparison.Ordinal);
        Assert.Equal(other.Id, ex.InstanceId);
        Assert.All(h.Recorder.Requests, r => Assert.Equal("GET", r.Method));
        Assert.Equal(["terraform"], (await h.Client.Instances.GetAsync(other.Id)).Tags);
    }

    [Fact]
    public async Task Launch_RequestForAnotherPool_Throws()
    {
        await using var h = await ProviderHarness.StartAsync();
        var pool = await h.StartPoolAsync();

        await Assert.ThrowsAsync<ArgumentException>(() =>
            pool.LaunchAsync(new LaunchRequest("api", "web-wrong001", "op-x", "scale-up"), CancellationToken.None));
        Assert.Empty(h.Recorder.Find("POST", "/linode/instances"));
    }

    [Fact]
    public async Task Launch_SuccessAndFailure_RootPasswordNeverInLogsOrErrors()
    {
        await using var h = await ProviderHarness.StartAsync();
        var firewallId = await CreateFirewallAsync(h);
        var pool = await h.StartPoolAsync(FullConfig(firewallId));
        var badPool = await h.Factory(options: new LinodeInstancePoolFactoryOptions { CheckCatalog = false })
            .CreateAsync(ProviderHarness.PoolConfig().WithLinode(l => l with { Type = "g6-nonexistent-1" }), CancellationToken.None);

        await pool.LaunchAsync(new LaunchRequest("web", "web-secret01", "op-1", "scale-up"), CancellationToken.None);
        await pool.LaunchAsync(new LaunchRequest("web", "web-secret02", "op-2", "scale-up"), CancellationToken.None);
        var failure = await Assert.ThrowsAsync<LinodeValidationException>(() =>
            badPool.LaunchAsync(new LaunchRequest("web", "web-secret03", "op-3", "scale-up"), CancellationToken.None));

        var passwords = h.Recorder.Find("POST", "/linode/instances").Select(r => (string)r.Json["root_pass"]!).ToList();
        Assert.Equal(3, passwords.Count);
        Assert.Equal(3, passwords.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(h.Logs.Entries, e => e.Category == typeof(LinodeInstancePool).FullName && e.EventId.Id == 101);
        var logs = h.Logs.AllText();
        foreach (var password in passwords)
        {
            Assert.DoesNotContain(password, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(password, failure.ToString(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(TestClients.Token, logs, StringComparison.Ordinal);
    }
}

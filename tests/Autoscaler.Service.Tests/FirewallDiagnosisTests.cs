using System.Text.Json;
using Autoscaler.Service.Tests.Support;
using Linode.Emulator;

namespace Autoscaler.Service.Tests;

/// <summary>Issue 14: on an account whose default Cloud Firewall drops the NodeBalancer's range, the member's node stays
/// DOWN and the autoscaler's status says which firewall drops which range, end to end (real Workload processes and
/// balancers in the emulator).</summary>
public sealed class FirewallDiagnosisTests
{
    [Fact]
    public async Task Status_DefaultFirewallDropsBalancerRange_MemberDiagnosisNamesFirewallAndRange()
    {
        await using var env = await EmulatedService.StartAsync((dir, url) => TestConfig.Build(dir, """
              web:
                region: us-east
                type: g6-standard-1
                image: linode/debian12
                min: 1
                max: 2
                nodebalancer: { label: web-nb, port: 80, node_port: 8080, create_if_missing: true }
                health: { grace: 2s, replace_after: 30m }
                signals:
                  - { alert: PoolCpuHigh, action: up }
            """, linodeUrl: url, interval: "500ms", apiAuth: "{ bearer_token: " + TestConfig.ApiToken + " }"),
            realRuntimes: true,
            emulator: o => o.Network.DefaultFirewall = new EmulatorFirewall { Label = "account-default", InboundPolicy = "DROP" });

        string? diagnosis = null;
        await Wait.UntilAsync(async () =>
        {
            using var pool = JsonDocument.Parse(await env.Http!.GetStringAsync("api/v1/pools/web"));
            diagnosis = pool.RootElement.GetProperty("members").EnumerateArray()
                .Select(m => m.TryGetProperty("diagnosis", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null)
                .FirstOrDefault(d => d is not null);
            return diagnosis is not null;
        }, "a member diagnosed", TimeSpan.FromMinutes(3));

        Assert.Matches(@"^web-\S+ DOWN behind the NodeBalancer: firewall 'account-default' \(id \d+\) drops TCP 8080 from the NodeBalancer range 192\.168\.255\.0/24 \(inbound policy DROP, no rule accepts it\); allow it$", diagnosis);
    }
}

using Autoscaler.Linode.Provider;
using Autoscaler.Linode.Tests.Provider;
using Autoscaler.Linode.Tests.Support;

namespace Autoscaler.Linode.Tests.Stub;

/// <summary>The start-up scope check reads GET /profile's <c>X-OAuth-Scopes</c> when Linode sends it (one call, exact),
/// and probes each scope only when it does not.</summary>
public sealed class ProfileScopeTests
{
    private const string NotFound = """{"errors":[{"reason":"Not found"}]}""";

    [Fact]
    public async Task FactorySetup_ProfileScopesReadOnly_OneLineNamingEveryMissingScopeWithoutProbes()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            if (context.Request.Path == "/v4/profile")
            {
                context.Response.Headers["X-OAuth-Scopes"] = "linodes:read_only nodebalancers:read_only";
                return StubServer.Json(context, 200, """{"username":"ops"}""");
            }

            return StubServer.Json(context, 404, NotFound);
        });
        using var client = TestClients.Create(stub.ApiUrl);
        var factory = new LinodeInstancePoolFactory(client, options: new LinodeInstancePoolFactoryOptions { CheckCatalog = false });
        var pool = ProviderHarness.PoolConfig().WithLinode(l => l with { FirewallId = 12 });

        var ex = await Assert.ThrowsAsync<LinodePoolSetupException>(() => factory.CreateAllAsync([pool], CancellationToken.None));

        var line = Assert.Single(ex.Errors);
        Assert.StartsWith("the Linode token lacks scopes linodes:read_write, nodebalancers:read_write, firewall:read_write (it has \"linodes:read_only nodebalancers:read_only\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
        Assert.Equal("/v4/profile", Assert.Single(stub.Requests).Path);
    }

    [Fact]
    public async Task FactorySetup_ProfileScopesStar_NoProbeAndNoScopeError()
    {
        await using var stub = await StubServer.StartAsync((context, _) =>
        {
            context.Response.Headers["X-OAuth-Scopes"] = "*";
            return context.Request.Path == "/v4/profile" ? StubServer.Json(context, 200, "{}") : StubServer.Json(context, 404, NotFound);
        });
        using var client = TestClients.Create(stub.ApiUrl);
        var factory = new LinodeInstancePoolFactory(client, options: new LinodeInstancePoolFactoryOptions { CheckCatalog = false });

        var ex = await Assert.ThrowsAsync<LinodePoolSetupException>(() => factory.CreateAllAsync([ProviderHarness.PoolConfig()], CancellationToken.None));

        // No scope problem: the NodeBalancer lookup is what fails next.
        Assert.DoesNotContain(ex.Errors, e => e.Contains("scope", StringComparison.Ordinal));
        Assert.DoesNotContain(stub.Requests, r => r.Method == "PUT");
    }

    [Theory]
    [InlineData("*", "")]
    [InlineData("linodes:read_write nodebalancers:read_write", "firewall:read_write, stackscripts:read_only")]
    [InlineData("linodes:read_write,nodebalancers:read_write,firewall:read_write,stackscripts:read_write", "")]
    [InlineData("linodes:read_only", "linodes:read_write, nodebalancers:read_write, firewall:read_write, stackscripts:read_only")]
    [InlineData("", "linodes:read_write, nodebalancers:read_write, firewall:read_write, stackscripts:read_only")]
    public void MissingScopes_GrantedText_ListsWhatIsNotCovered(string granted, string missing)
    {
        string[] required = ["linodes:read_write", "nodebalancers:read_write", "firewall:read_write", "stackscripts:read_only"];

        Assert.Equal(missing, string.Join(", ", LinodeInstancePoolFactory.MissingScopes(required, granted)));
    }
}

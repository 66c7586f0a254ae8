using Autoscaler.Core.Configuration;
using Autoscaler.Linode.Configuration;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Provider;

/// <summary>The token's scopes and the pools' Cloud Firewalls, checked once at start-up.</summary>
public sealed partial class LinodeInstancePoolFactory
{
    /// <summary>The reason Linode gives when a token lacks the scope an endpoint needs.</summary>
    public const string ScopeReason = "Your OAuth token is not authorized to use this endpoint.";

    /// <summary>The scopes the autoscaler's token needs for <paramref name="pools"/>, least privilege: instances and
    /// NodeBalancers read-write always, firewalls read-write with <c>firewall_id</c>/<c>firewall_label</c>, StackScripts
    /// read-only with a <c>stackscript</c>.</summary>
    public static IReadOnlyList<string> RequiredScopes(IEnumerable<PoolConfig> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        var linode = pools.Select(p => p.Provider).OfType<LinodePoolConfig>().ToList();
        var scopes = new List<string> { "linodes:read_write", "nodebalancers:read_write" };
        if (linode.Any(p => p.FirewallId is not null || p.FirewallLabel is not null))
        {
            scopes.Add("firewall:read_write");
        }

        if (linode.Any(p => p.StackScript is not null))
        {
            scopes.Add("stackscripts:read_only");
        }

        return scopes;
    }

    /// <summary>The scopes of <paramref name="required"/> that <paramref name="granted"/> (an <c>X-OAuth-Scopes</c>
    /// value: <c>*</c>, or space- or comma-separated scopes) does not cover; <c>area:read_write</c> covers
    /// <c>area:read_only</c>.</summary>
    public static IReadOnlyList<string> MissingScopes(IReadOnlyList<string> required, string granted)
    {
        ArgumentNullException.ThrowIfNull(required);
        ArgumentNullException.ThrowIfNull(granted);
        var have = granted.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);
        if (have.Contains("*"))
        {
            return [];
        }

        return [.. required.Where(scope => !have.Contains(scope)
            && !(scope.EndsWith(":read_only", StringComparison.Ordinal) && have.Contains(scope[..^":read_only".Length] + ":read_write")))];
    }

    /// <summary>Checks the token's scopes: from <c>GET /profile</c>'s <c>X-OAuth-Scopes</c> when the answer carries it
    /// (one call, exact: one line naming every missing scope), else by probing each scope (below).</summary>
    private async Task CheckScopesAsync(IReadOnlyList<PoolConfig> pools, List<string> errors, CancellationToken ct)
    {
        var scopes = RequiredScopes(pools);
        string? granted;
        try
        {
            granted = await _client.Profile.GetTokenScopesAsync(ct).ConfigureAwait(false);
        }
        catch (LinodeUnauthorizedException ex)
        {
            errors.Add($"the Linode token was refused: {ex.Message}");
            return;
        }
        catch (LinodeException)
        {
            // /profile unreadable (an old proxy, a restricted gateway): the probes below still tell.
            granted = null;
        }

        if (granted is not null)
        {
            var missing = MissingScopes(scopes, granted);
            if (missing.Count > 0)
            {
                errors.Add($"the Linode token lacks scope{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)} (it has \"{granted}\"; the autoscaler needs {string.Join(", ", scopes)})");
            }

            return;
        }

        await ProbeScopesAsync(pools, scopes, errors, ct).ConfigureAwait(false);
    }

    /// <summary>Probes each scope the pools need with a call that changes nothing (a write to id 0, which cannot
    /// exist: Linode checks the scope first, so a read-only token gets the 401 and a read-write one a 404). Each
    /// missing scope is one line naming it and the endpoint that refused.</summary>
    private async Task ProbeScopesAsync(IReadOnlyList<PoolConfig> pools, IReadOnlyList<string> scopes, List<string> errors, CancellationToken ct)
    {
        var stackScriptId = pools.Select(p => p.Provider).OfType<LinodePoolConfig>()
            .Select(p => p.StackScript?.Id).FirstOrDefault(id => id is not null);
        foreach (var scope in scopes)
        {
            Func<Task> probe = scope switch
            {
                "linodes:read_write" => () => _client.Instances.UpdateAsync(0, new UpdateInstanceRequest(), ct),
                "nodebalancers:read_write" => () => _client.NodeBalancers.UpdateAsync(0, new UpdateNodeBalancerRequest(), ct),
                "firewall:read_write" => () => _client.Networking.UpdateFirewallAsync(0, new UpdateFirewallRequest(), ct),
                _ => () => _client.Instances.GetStackScriptAsync(stackScriptId ?? 0, ct),
            };
            try
            {
                await probe().ConfigureAwait(false);
            }
            catch (LinodeUnauthorizedException ex) when (ex.Errors.Any(e => e.Reason.Contains("not authorized to use this endpoint", StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add($"the Linode token lacks scope {scope}: {ex.Method} {ex.Path} answered 401 \"{ScopeReason}\" (the autoscaler needs {string.Join(", ", scopes)})");
            }
            catch (LinodeUnauthorizedException ex)
            {
                errors.Add($"the Linode token was refused: {ex.Message}");
                return;
            }
            catch (LinodeException)
            {
                // 404 (nothing with id 0), 400, 403 for a restricted user's grants, … : the scope itself is there;
                // grants and the rest show on the calls that need them.
            }
        }
    }

    /// <summary>The id of the pool's Cloud Firewall: <c>firewall_id</c>, or the one labelled <c>firewall_label</c>
    /// (GET /networking/firewalls, filtered); null without either (an error is added when the label names none).</summary>
    private async Task<long?> ResolveFirewallAsync(LinodePoolConfig linode, string ctx, List<string> errors, CancellationToken ct)
    {
        if (linode.FirewallLabel is not { Length: > 0 } label)
        {
            return linode.FirewallId;
        }

        try
        {
            await foreach (var firewall in _client.Networking.ListFirewallsAsync(Filter.Eq("label", label), ct).ConfigureAwait(false))
            {
                if (string.Equals(firewall.Label, label, StringComparison.Ordinal))
                {
                    if (string.Equals(firewall.Status, "deleted", StringComparison.Ordinal))
                    {
                        break;
                    }

                    LogFirewallResolved(ctx.TrimEnd(' ', ':'), label, firewall.Id);
                    return firewall.Id;
                }
            }

            errors.Add($"{ctx}firewall_label '{label}': no Cloud Firewall has that label (create it first, e.g. with deploy/terraform)");
        }
        catch (LinodeException ex)
        {
            errors.Add($"{ctx}firewall_label '{label}' cannot be resolved: {ex.Message}");
        }

        return null;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 203, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "{Pool}: firewall '{Label}' is {FirewallId}; new instances are created behind it")]
    private partial void LogFirewallResolved(string pool, string label, long firewallId);
}

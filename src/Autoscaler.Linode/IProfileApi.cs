namespace Autoscaler.Linode;

/// <summary><c>/profile</c>: who the token belongs to and what it may do.</summary>
public interface IProfileApi
{
    /// <summary>The token's scopes as <c>GET /profile</c> answers them in <c>X-OAuth-Scopes</c> (<c>*</c> for all, else
    /// space-separated, e.g. <c>linodes:read_write nodebalancers:read_only</c>); null when the answer has no such
    /// header. Any valid token may read /profile, so this is one call whatever the scopes.</summary>
    Task<string?> GetTokenScopesAsync(CancellationToken cancellationToken = default);
}

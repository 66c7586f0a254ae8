using System.Security.Cryptography;
using System.Text;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;
using Microsoft.AspNetCore.Http;

namespace Autoscaler.Service.Security;

/// <summary>The outcome of checking a request's credentials.</summary>
public enum AuthResult
{
    /// <summary>No credentials are configured: everyone is let in.</summary>
    Open,

    /// <summary>The right credentials were presented.</summary>
    Accepted,

    /// <summary>No Authorization header (or another scheme).</summary>
    Missing,

    /// <summary>Credentials presented and wrong.</summary>
    Wrong,
}

/// <summary>
/// Checks an <c>Authorization</c> header against a configured bearer token or basic-auth pair. Comparisons are
/// constant-time over SHA-256 digests, so neither the content nor the length of a secret leaks through timing; the
/// presented and expected values never reach a log or an answer.
/// </summary>
public sealed class CredentialCheck
{
    private readonly byte[]? _bearer;
    private readonly byte[]? _basic;

    /// <summary>Checks against <paramref name="auth"/>; null means no credentials are required.</summary>
    public CredentialCheck(AuthConfig? auth)
    {
        if (auth?.BearerToken is { } token)
        {
            _bearer = Digest(token.Reveal());
        }
        else if (auth?.Basic is { } basic)
        {
            _basic = Digest(basic.Username.Reveal() + ":" + basic.Password.Reveal());
        }
    }

    /// <summary>True when credentials are required.</summary>
    public bool Required => _bearer is not null || _basic is not null;

    /// <summary>The <c>WWW-Authenticate</c> challenge to send with a 401.</summary>
    public string Challenge => _basic is not null
        ? "Basic realm=\"linode-autoscaler\", charset=\"UTF-8\""
        : "Bearer realm=\"linode-autoscaler\"";

    /// <summary>Checks the request's <c>Authorization</c> header.</summary>
    public AuthResult Check(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Check(request.Headers.Authorization.ToString());
    }

    /// <summary>Checks an <c>Authorization</c> header value.</summary>
    public AuthResult Check(string? header)
    {
        if (!Required)
        {
            return AuthResult.Open;
        }

        if (string.IsNullOrEmpty(header))
        {
            return AuthResult.Missing;
        }

        if (_bearer is not null)
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return AuthResult.Missing;
            }

            return CryptographicOperations.FixedTimeEquals(Digest(header[7..].Trim()), _bearer) ? AuthResult.Accepted : AuthResult.Wrong;
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthResult.Missing;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return AuthResult.Wrong;
        }

        return CryptographicOperations.FixedTimeEquals(Digest(decoded), _basic!) ? AuthResult.Accepted : AuthResult.Wrong;
    }

    private static byte[] Digest(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}

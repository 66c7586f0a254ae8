namespace Linode.Emulator.Api;

/// <summary>Who a bearer token belongs to and what it may do.</summary>
/// <param name="Owner">The user the token belongs to; rate limits are counted per owner.</param>
/// <param name="ScopeText">The scopes as <c>X-OAuth-Scopes</c> shows them (<c>*</c>, or space-separated).</param>
/// <param name="Scopes">The same, parsed.</param>
internal sealed record Caller(string Owner, string ScopeText, IReadOnlySet<string> Scopes);

/// <summary>The accepted tokens: <see cref="EmulatorOptions.Tokens"/> with every scope, and
/// <see cref="EmulatorOptions.ScopedTokens"/> with theirs. Without <see cref="EmulatorOptions.Tokens"/>, any other
/// non-empty token is accepted too, as the account's user with every scope.</summary>
internal sealed class TokenBook
{
    private readonly Dictionary<string, Caller> _tokens = new(StringComparer.Ordinal);
    private readonly Caller _accountUser;

    public TokenBook(EmulatorOptions options)
    {
        Open = options.Tokens.Count == 0;
        _accountUser = new Caller(options.Username, OAuthScopes.All, OAuthScopes.Parse(OAuthScopes.All));
        foreach (var token in options.Tokens)
        {
            _tokens[token] = _accountUser;
        }
        foreach (var token in options.ScopedTokens)
        {
            var scopes = OAuthScopes.Parse(token.Scopes);
            _tokens[token.Token] = new Caller(token.User ?? options.Username,
                scopes.Contains(OAuthScopes.All) ? OAuthScopes.All : string.Join(' ', scopes), scopes);
        }
    }

    /// <summary>The account's user and every other owner of a token.</summary>
    public IEnumerable<string> Owners => _tokens.Values.Select(c => c.Owner).Append(_accountUser.Owner).Distinct(StringComparer.Ordinal);

    /// <summary>Whether the emulator accepts any non-empty token (none is listed in <see cref="EmulatorOptions.Tokens"/>).</summary>
    public bool Open { get; }

    /// <summary>The token's caller; null for a token that is not accepted.</summary>
    public Caller? Find(string token) =>
        token.Length == 0 ? null : _tokens.GetValueOrDefault(token) ?? (Open ? _accountUser : null);
}

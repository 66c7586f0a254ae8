using Npgsql;

namespace Autoscaler.Service.Storage;

/// <summary>
/// <c>journal.url</c>: <c>postgres://user:password@host:port/db?sslmode=require</c> (also <c>postgresql://</c>) or
/// libpq's <c>key=value</c> form (<c>Host=…;Username=…</c>, as Npgsql reads it). Errors never repeat the text they
/// were given, which holds the password; <see cref="Redacted"/> is what the log shows.
/// </summary>
public static class PostgresAddress
{
    private static readonly Dictionary<string, string> QueryKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["sslrootcert"] = "Root Certificate",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["target_session_attrs"] = "Target Session Attributes",
    };

    /// <summary>True when <paramref name="text"/> reads as a connection; otherwise <paramref name="error"/> says why
    /// (without the password).</summary>
    public static bool TryParse(string text, out NpgsqlConnectionStringBuilder? builder, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        builder = null;
        error = null;
        try
        {
            builder = text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUrl(text, out error)
                : new NpgsqlConnectionStringBuilder(text);
        }
        catch (ArgumentException ex)
        {
            // Npgsql's message may quote the offending part; only its kind is kept.
            error = "is not a postgres:// URL nor a key=value connection string (" + ex.GetType().Name + ")";
            builder = null;
        }

        if (builder is not null && error is null)
        {
            if (string.IsNullOrEmpty(builder.Host))
            {
                error = "names no host";
            }
            else if (string.IsNullOrEmpty(builder.Username))
            {
                error = "names no user";
            }
            else if (string.IsNullOrEmpty(builder.Database))
            {
                error = "names no database";
            }
        }

        if (error is not null)
        {
            builder = null;
            return false;
        }

        return true;
    }

    /// <summary>Parses or throws <see cref="ArgumentException"/> (message without the password).</summary>
    public static NpgsqlConnectionStringBuilder Parse(string text) =>
        TryParse(text, out var b, out var error) ? b! : throw new ArgumentException("journal.url " + error, nameof(text));

    /// <summary><c>postgres://user@host:port/db</c>: the address without its password.</summary>
    public static string Redacted(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
    }

    private static NpgsqlConnectionStringBuilder? FromUrl(string text, out string? error)
    {
        error = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            error = "is not a valid postgres:// URL (postgres://user:password@host:port/database)";
            return null;
        }

        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        var userInfo = uri.UserInfo;
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        b.Username = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
        if (colon >= 0)
        {
            b.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (!QueryKeys.TryGetValue(key, out var npgsqlKey))
            {
                error = $"has an unknown parameter '{key}' (known: {string.Join(", ", QueryKeys.Keys)})";
                return null;
            }

            b[npgsqlKey] = value;
        }

        return b;
    }
}

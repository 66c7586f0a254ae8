using Autoscaler.Core.Configuration;

namespace Autoscaler.Service.Configuration;

/// <summary>Reads the service's top-level keys — <c>listen</c>, <c>tls</c>, <c>webhook</c>, <c>api</c>, <c>journal</c>,
/// <c>dashboard</c>, <c>commands</c> — into a <see cref="ServiceConfig"/>.</summary>
public sealed class ServiceSection : IConfigSection
{
    /// <inheritdoc />
    public IConfigSectionValue? Read(MapReader root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var config = new ServiceConfig
        {
            Listen = ReadListen(root),
            Tls = ReadTls(root),
            Webhook = ReadWebhook(root),
            Api = ReadApi(root),
            Journal = ReadJournal(root),
            Dashboard = DashboardSection.ReadDashboard(root),
            Commands = CommandsReader.Read(root),
            CommandLimits = ReadCommandLimits(root),
            AllowedHosts = ReadAllowedHosts(root),
        };
        if (config.Webhook.Auth is null && !IsLoopbackListen(config.Listen))
        {
            // An open webhook runs commands and scales pools for whoever reaches it: that is for one machine only.
            root.Error($"listen {config.Listen} is reachable from other machines and webhook.auth is not set: "
                + "set webhook.auth (and api.auth for writes), or listen on 127.0.0.1", root.Raw("listen"));
        }

        if (config.Api.AuthReads && config.Api.Auth is null)
        {
            root.Error("api.auth_reads needs api.auth (the credentials reads would ask for)", root.Raw("api"));
        }

        return config;
    }

    /// <summary>True when <paramref name="listen"/> binds loopback only (127.0.0.0/8, ::1 or localhost).</summary>
    public static bool IsLoopbackListen(string listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var colon = listen.LastIndexOf(':');
        var host = (colon > 0 ? listen[..colon] : listen).Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
    }

    private static CommandLimits ReadCommandLimits(MapReader root)
    {
        var m = root.Map("command_limits");
        if (m is null)
        {
            return new CommandLimits();
        }

        var max = m.Int("max_concurrent") ?? CommandLimits.DefaultMaxConcurrent;
        if (max < 1)
        {
            m.Error($"command_limits.max_concurrent must be 1 or more (got {max})", m.Raw("max_concurrent"));
        }

        m.Done();
        return new CommandLimits { MaxConcurrent = Math.Max(1, max) };
    }

    private static List<string> ReadAllowedHosts(MapReader root)
    {
        var hosts = root.StringList("allowed_hosts") ?? [];
        foreach (var h in hosts)
        {
            if (h.Length == 0 || h.Contains(':', StringComparison.Ordinal) || h.Contains('/', StringComparison.Ordinal))
            {
                root.Error($"allowed_hosts: '{h}' must be a host name without scheme or port, e.g. autoscaler.example.com", root.Raw("allowed_hosts"));
            }
        }

        return hosts;
    }

    private static string ReadListen(MapReader root)
    {
        var listen = root.String("listen");
        if (listen is null)
        {
            return ServiceConfig.Default.Listen;
        }

        var colon = listen.LastIndexOf(':');
        var host = colon > 0 ? listen[..colon] : "";
        if (colon <= 0 || host.Length == 0 || !int.TryParse(listen[(colon + 1)..], out var port) || port is < 0 or > 65535
            || (host.Contains(':', StringComparison.Ordinal) && !(host.StartsWith('[') && host.EndsWith(']'))))
        {
            root.Error($"listen must be host:port, e.g. 127.0.0.1:9099 (got '{listen}')", root.Raw("listen"));
        }

        return listen;
    }

    private static TlsConfig? ReadTls(MapReader root)
    {
        var m = root.Map("tls");
        if (m is null)
        {
            return null;
        }

        var cert = m.String("cert_file", required: true);
        var key = m.String("key_file", required: true);
        m.Done();
        return cert is null || key is null ? null : new TlsConfig { CertFile = m.Reader.ResolvePath(cert), KeyFile = m.Reader.ResolvePath(key) };
    }

    private static WebhookConfig ReadWebhook(MapReader root)
    {
        var m = root.Map("webhook");
        if (m is null)
        {
            return new WebhookConfig();
        }

        var auth = ReadAuth(m);
        var max = m.Long("max_body_bytes");
        if (max is <= 0 or > 64L * 1024 * 1024)
        {
            m.Error("webhook.max_body_bytes must be between 1 and 67108864", m.Raw("max_body_bytes"));
        }

        var minInterval = m.Duration("min_evaluation_interval");
        if (minInterval < TimeSpan.Zero || minInterval > TimeSpan.FromMinutes(10))
        {
            m.Error("webhook.min_evaluation_interval must be between 0s and 10m", m.Raw("min_evaluation_interval"));
        }

        m.Done();
        return new WebhookConfig
        {
            Auth = auth,
            MaxBodyBytes = max ?? new WebhookConfig().MaxBodyBytes,
            MinEvaluationInterval = minInterval ?? new WebhookConfig().MinEvaluationInterval,
        };
    }

    private static ApiConfig ReadApi(MapReader root)
    {
        var m = root.Map("api");
        if (m is null)
        {
            return new ApiConfig();
        }

        var auth = ReadAuth(m);
        var reads = m.Bool("auth_reads") ?? false;
        m.Done();
        return new ApiConfig { Auth = auth, AuthReads = reads };
    }

    private static AuthConfig? ReadAuth(MapReader parent)
    {
        var m = parent.Map("auth");
        if (m is null)
        {
            return null;
        }

        var field = m.Prefix.TrimEnd('.');
        var hasBearer = m.Has("bearer_token");
        var hasBasic = m.Has("basic");
        var bearer = m.SecretValue("bearer_token");
        BasicAuthConfig? basic = null;
        var b = m.Map("basic");
        if (b is not null)
        {
            var user = b.SecretValue("username", required: true);
            var password = b.SecretValue("password", required: true);
            b.Done();
            if (user is not null && password is not null)
            {
                basic = new BasicAuthConfig { Username = user, Password = password };
            }
        }

        if (hasBearer == hasBasic)
        {
            m.Error($"{field} needs exactly one of bearer_token or basic");
        }
        else if (bearer is { IsEmpty: true })
        {
            m.Error($"{field}.bearer_token must not be empty", m.Raw("bearer_token"));
        }

        m.Done();
        return new AuthConfig { BearerToken = bearer, Basic = basic };
    }

    private static JournalConfig ReadJournal(MapReader root)
    {
        var m = root.Map("journal");
        var path = m?.String("path");
        var url = m?.SecretValue("url");
        var lease = m?.Duration("lease");
        var advertise = m?.String("advertise");
        if (path is { Length: 0 })
        {
            m!.Error("journal.path must not be empty", m.Raw("path"));
        }

        if (path is not null && url is not null)
        {
            m!.Error("journal.path and journal.url are exclusive: path is the embedded SQLite file, url a PostgreSQL database", m.Raw("url"));
        }

        if (url is not null && !Storage.PostgresAddress.TryParse(url.Reveal(), out _, out var why))
        {
            // The value holds the password: the error names the field and the problem only.
            m!.Error("journal.url " + why, m.Raw("url"));
        }

        if (url is null && lease is not null)
        {
            m!.Error("journal.lease needs journal.url (only replicas sharing a PostgreSQL journal elect a leader)", m.Raw("lease"));
        }
        else if (lease is { } l && (l < TimeSpan.FromSeconds(3) || l > TimeSpan.FromMinutes(10)))
        {
            m!.Error($"journal.lease must be between 3s and 10m (got {Autoscaler.Common.Durations.Format(l)})", m.Raw("lease"));
        }

        if (url is null && advertise is not null)
        {
            m!.Error("journal.advertise needs journal.url", m.Raw("advertise"));
        }
        else if (advertise is not null && !(Uri.TryCreate(advertise, UriKind.Absolute, out var a) && (a.Scheme == Uri.UriSchemeHttp || a.Scheme == Uri.UriSchemeHttps)))
        {
            m!.Error($"journal.advertise must be an http(s):// URL (got '{advertise}')", m.Raw("advertise"));
        }

        m?.Done();
        return new JournalConfig
        {
            Path = root.Reader.ResolvePath(path ?? new JournalConfig().Path),
            Url = url,
            Lease = lease ?? JournalConfig.DefaultLease,
            Advertise = advertise,
        };
    }
}

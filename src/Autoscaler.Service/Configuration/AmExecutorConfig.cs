using System.Diagnostics.CodeAnalysis;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Service.Configuration;

/// <summary>
/// prometheus-am-executor's own configuration file, read as is so a user can point the autoscaler at it instead of
/// rewriting it: <c>listen_address</c> (default <c>:8080</c>), <c>verbose</c>, <c>tls_key</c>, <c>tls_crt</c> and
/// <c>commands</c> (each command may also use the autoscaler's <c>timeout</c> and <c>dedupe_window</c>).
/// </summary>
public sealed record AmExecutorConfig
{
    /// <summary>am-executor's default: port 8080 on every interface.</summary>
    public const string DefaultListenAddress = ":8080";

    /// <summary>Go-style host:port; an empty host means every interface.</summary>
    public string ListenAddress { get; init; } = DefaultListenAddress;

    /// <summary>am-executor's debug logging switch.</summary>
    public bool Verbose { get; init; }

    /// <summary>TLS key file, when set.</summary>
    public string? TlsKey { get; init; }

    /// <summary>TLS certificate file, when set.</summary>
    public string? TlsCrt { get; init; }

    /// <summary>The commands, in file order.</summary>
    public IReadOnlyList<CommandConfig> Commands { get; init; } = [];

    /// <summary><see cref="ListenAddress"/> in the autoscaler's <c>listen</c> form (<c>:8080</c> → <c>0.0.0.0:8080</c>).</summary>
    public string Listen => ListenAddress.StartsWith(':') ? "0.0.0.0" + ListenAddress : ListenAddress;

    /// <summary>Reads and validates the file at <paramref name="path"/>; ${VAR} expand from the process environment.</summary>
    public static AmExecutorConfigResult Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return new AmExecutorConfigResult(null, [new ConfigError($"cannot read '{path}': {ex.Message}")]);
        }

        var options = new ConfigLoadOptions { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) };
        return Read(new ConfigReader(null, options), text);
    }

    /// <summary>Parses <paramref name="yaml"/>; <paramref name="environment"/> supplies ${VAR} values (null: the process's).</summary>
    public static AmExecutorConfigResult Parse(string yaml, IReadOnlyDictionary<string, string>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return Read(new ConfigReader(environment), yaml);
    }

    /// <summary>Reads prometheus-am-executor's own YAML (<c>listen_address</c>, <c>verbose</c>, <c>tls_key</c>,
    /// <c>tls_crt</c>, <c>commands</c>).</summary>
    private static AmExecutorConfigResult Read(ConfigReader reader, string yaml)
    {
        if (reader.TryOpen(yaml) is not { } root)
        {
            return new AmExecutorConfigResult(null, reader.SortedErrors());
        }

        var listen = root.String("listen_address");
        var verbose = root.Bool("verbose") ?? false;
        var key = root.String("tls_key");
        var crt = root.String("tls_crt");
        var commands = CommandsReader.Read(root);
        if (commands.Count == 0 && reader.ErrorCount == 0)
        {
            root.Error("commands must list at least one command (am-executor refuses to start without one)", root.Raw("commands") ?? root.Node);
        }

        root.Done();
        if (reader.ErrorCount > 0)
        {
            return new AmExecutorConfigResult(null, reader.SortedErrors());
        }

        return new AmExecutorConfigResult(new AmExecutorConfig
        {
            ListenAddress = string.IsNullOrEmpty(listen) ? DefaultListenAddress : listen,
            Verbose = verbose,
            TlsKey = key is null ? null : reader.ResolvePath(key),
            TlsCrt = crt is null ? null : reader.ResolvePath(crt),
            Commands = commands,
        }, []);
    }
}

/// <summary>An am-executor file read: the configuration, or every problem found.</summary>
/// <param name="Config">Non-null exactly when <see cref="IsValid"/>.</param>
/// <param name="Errors">Every problem, in document order.</param>
public sealed record AmExecutorConfigResult(AmExecutorConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    /// <summary>True when there are no errors.</summary>
    [MemberNotNullWhen(true, nameof(Config))]
    public bool IsValid => Config is not null;
}

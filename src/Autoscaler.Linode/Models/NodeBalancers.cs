using System.Text;
using System.Text.Json.Serialization;
using Autoscaler.Linode.Json;

namespace Autoscaler.Linode.Models;

/// <summary>A NodeBalancer.</summary>
public sealed record NodeBalancer
{
    public long Id { get; init; }

    public string Label { get; init; } = "";

    public string Region { get; init; } = "";

    public string? Hostname { get; init; }

    public string? Ipv4 { get; init; }

    public string? Ipv6 { get; init; }

    public int ClientConnThrottle { get; init; }

    public DateTimeOffset? Created { get; init; }

    public DateTimeOffset? Updated { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public NodeBalancerTransfer? Transfer { get; init; }
}

/// <summary>Transfer this month in MB.</summary>
public sealed record NodeBalancerTransfer
{
    public double? In { get; init; }

    public double? Out { get; init; }

    public double? Total { get; init; }
}

/// <summary>Body of <c>POST /nodebalancers</c>; <see cref="Region"/> is required.</summary>
public sealed record CreateNodeBalancerRequest
{
    public required string Region { get; init; }

    public string? Label { get; init; }

    public int? ClientConnThrottle { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }

    public long? FirewallId { get; init; }

    /// <summary>Configs to create with the NodeBalancer (each needs at least one node).</summary>
    public IReadOnlyList<RebuildConfigRequest>? Configs { get; init; }
}

/// <summary>Body of <c>PUT /nodebalancers/{id}</c>; null fields are left unchanged.</summary>
public sealed record UpdateNodeBalancerRequest
{
    public string? Label { get; init; }

    public int? ClientConnThrottle { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }
}

public enum ConfigProtocol
{
    Unknown = 0,
    Http,
    Https,
    Tcp,
}

public enum BalancingAlgorithm
{
    Unknown = 0,
    Roundrobin,
    Leastconn,
    Source,
}

public enum SessionStickiness
{
    Unknown = 0,
    None,
    Table,
    HttpCookie,
}

public enum HealthCheck
{
    Unknown = 0,
    None,
    Connection,
    Http,
    HttpBody,
}

public enum CipherSuite
{
    Unknown = 0,
    Recommended,
    Legacy,
}

public enum ProxyProtocol
{
    Unknown = 0,
    None,
    V1,
    V2,
}

/// <summary>A NodeBalancer config: one port with its balancing and health-check settings.</summary>
public sealed record NodeBalancerConfig
{
    public long Id { get; init; }

    public long NodebalancerId { get; init; }

    public int Port { get; init; }

    public ConfigProtocol Protocol { get; init; }

    public BalancingAlgorithm Algorithm { get; init; }

    public SessionStickiness Stickiness { get; init; }

    public HealthCheck Check { get; init; }

    /// <summary>Seconds between active checks.</summary>
    public int CheckInterval { get; init; }

    /// <summary>Seconds to wait for a check's answer.</summary>
    public int CheckTimeout { get; init; }

    public int CheckAttempts { get; init; }

    public string? CheckPath { get; init; }

    public string? CheckBody { get; init; }

    public bool CheckPassive { get; init; }

    public CipherSuite CipherSuite { get; init; }

    public ProxyProtocol ProxyProtocol { get; init; }

    public string? SslCommonname { get; init; }

    public string? SslFingerprint { get; init; }

    public NodesStatus? NodesStatus { get; init; }
}

/// <summary>How many backends of a config are UP and DOWN.</summary>
public sealed record NodesStatus
{
    public int Up { get; init; }

    public int Down { get; init; }
}

/// <summary>Body of config create and update; null fields take the API's default (create) or stay (update).
/// <see cref="SslKey"/> never appears in <see cref="ToString"/>.</summary>
public record ConfigRequest
{
    public int? Port { get; init; }

    public ConfigProtocol? Protocol { get; init; }

    public BalancingAlgorithm? Algorithm { get; init; }

    public SessionStickiness? Stickiness { get; init; }

    public HealthCheck? Check { get; init; }

    public int? CheckInterval { get; init; }

    public int? CheckTimeout { get; init; }

    public int? CheckAttempts { get; init; }

    public string? CheckPath { get; init; }

    public string? CheckBody { get; init; }

    public bool? CheckPassive { get; init; }

    public CipherSuite? CipherSuite { get; init; }

    public ProxyProtocol? ProxyProtocol { get; init; }

    public string? SslCert { get; init; }

    public string? SslKey { get; init; }

    protected virtual bool PrintMembers(StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("Port = ").Append(Port)
            .Append(", Protocol = ").Append(Protocol)
            .Append(", Algorithm = ").Append(Algorithm)
            .Append(", Stickiness = ").Append(Stickiness)
            .Append(", Check = ").Append(Check)
            .Append(", CheckInterval = ").Append(CheckInterval)
            .Append(", CheckTimeout = ").Append(CheckTimeout)
            .Append(", CheckAttempts = ").Append(CheckAttempts)
            .Append(", CheckPath = ").Append(CheckPath)
            .Append(", SslCert = ").Append(SslCert is null ? "null" : "(set)")
            .Append(", SslKey = ").Append(SslKey is null ? "null" : "***");
        return true;
    }
}

/// <summary>Body of <c>POST …/configs/{id}/rebuild</c> (and of configs inside a NodeBalancer create):
/// the config plus its complete node list. Nodes with an id are updated, nodes without one are created, and
/// nodes not listed are deleted.</summary>
public sealed record RebuildConfigRequest : ConfigRequest
{
    public IReadOnlyList<RebuildNodeRequest> Nodes { get; init; } = [];

    protected override bool PrintMembers(StringBuilder builder)
    {
        base.PrintMembers(builder);
        builder.Append(", Nodes = ").Append(Nodes.Count);
        return true;
    }
}

/// <summary>A node in a rebuild: with <see cref="Id"/> it updates that node, without it creates one.</summary>
public sealed record RebuildNodeRequest
{
    public long? Id { get; init; }

    public required string Address { get; init; }

    public required string Label { get; init; }

    public int? Weight { get; init; }

    public NodeMode? Mode { get; init; }
}

/// <summary>A node's health as the NodeBalancer's checks see it. The spec says <c>unknown</c>, the live API
/// says <c>Unknown</c>; both, and anything unrecognised, are <see cref="Unknown"/>.</summary>
public enum NodeStatus
{
    Unknown = 0,
    Up,
    Down,
}

/// <summary>How a node takes traffic.</summary>
public enum NodeMode
{
    Unknown = 0,

    /// <summary>Takes new connections.</summary>
    Accept,

    /// <summary>Takes none and drops existing ones.</summary>
    Reject,

    /// <summary>No new connections; existing ones finish.</summary>
    Drain,

    /// <summary>Used only when every accept node is down.</summary>
    Backup,
}

/// <summary>A backend of a NodeBalancer config.</summary>
public sealed record NodeBalancerNode
{
    public long Id { get; init; }

    public long ConfigId { get; init; }

    public long NodebalancerId { get; init; }

    /// <summary><c>&lt;private IPv4&gt;:&lt;port&gt;</c>, e.g. <c>192.168.210.120:80</c>.</summary>
    public string Address { get; init; } = "";

    public string Label { get; init; } = "";

    public int Weight { get; init; }

    public NodeMode Mode { get; init; }

    /// <summary>The status exactly as the API sent it (<c>UP</c>, <c>DOWN</c>, <c>Unknown</c>, <c>unknown</c>…).</summary>
    [JsonPropertyName("status")]
    public string RawStatus { get; init; } = "";

    /// <summary>The status compared without regard to case; unrecognised values are <see cref="NodeStatus.Unknown"/>.</summary>
    [JsonIgnore]
    public NodeStatus Status => LinodeEnums.Parse<NodeStatus>(RawStatus);
}

/// <summary>Body of node create and update. On create, <see cref="Address"/> and <see cref="Label"/> are
/// required; on update null fields are left unchanged.</summary>
public sealed record NodeRequest
{
    public string? Address { get; init; }

    public string? Label { get; init; }

    public int? Weight { get; init; }

    public NodeMode? Mode { get; init; }
}

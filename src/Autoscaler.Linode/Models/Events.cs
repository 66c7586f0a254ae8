using System.Globalization;
using System.Text.Json.Serialization;
using Autoscaler.Linode.Json;

namespace Autoscaler.Linode.Models;

/// <summary>An event's status; unrecognised values are <see cref="Unknown"/>.</summary>
public enum EventStatus
{
    Unknown = 0,
    Scheduled,
    Started,
    Finished,
    Failed,
    Notification,
}

/// <summary>An account event (<c>GET /account/events</c>).</summary>
public sealed record LinodeEvent
{
    public long Id { get; init; }

    /// <summary>e.g. <c>linode_create</c>, <c>linode_boot</c>; kept as a string because new actions appear.
    /// See <see cref="EventActions"/>.</summary>
    public string Action { get; init; } = "";

    public DateTimeOffset? Created { get; init; }

    /// <summary>Seconds the job took, when known.</summary>
    public double? Duration { get; init; }

    public EventEntity? Entity { get; init; }

    public EventEntity? SecondaryEntity { get; init; }

    public string? Message { get; init; }

    public int? PercentComplete { get; init; }

    public string? Rate { get; init; }

    public bool Read { get; init; }

    public bool Seen { get; init; }

    /// <summary>The status exactly as the API sent it.</summary>
    [JsonPropertyName("status")]
    public string RawStatus { get; init; } = "";

    [JsonIgnore]
    public EventStatus Status => LinodeEnums.Parse<EventStatus>(RawStatus);

    /// <summary>As the API sent it: the spec says a string, finished events carry the number 0 (read as "0").</summary>
    [JsonConverter(typeof(NumberOrStringConverter))]
    public string? TimeRemaining { get; init; }

    public string? Username { get; init; }
}

/// <summary>The object an event is about.</summary>
public sealed record EventEntity
{
    /// <summary>The entity's id as text: a number for Linodes and NodeBalancers, the tag's name for tags.</summary>
    [JsonConverter(typeof(NumberOrStringConverter))]
    public string? Id { get; init; }

    public string? Label { get; init; }

    /// <summary>linode, nodebalancer, tag, …</summary>
    public string? Type { get; init; }

    /// <summary>Relative URL, e.g. <c>/v4/linode/instances/123</c>.</summary>
    public string? Url { get; init; }

    /// <summary><see cref="Id"/> as a number, when it is one.</summary>
    [JsonIgnore]
    public long? NumericId =>
        long.TryParse(Id, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}

/// <summary>Event actions this project cares about (the API has many more).</summary>
public static class EventActions
{
    public const string LinodeCreate = "linode_create";
    public const string LinodeBoot = "linode_boot";
    public const string LinodeReboot = "linode_reboot";
    public const string LinodeShutdown = "linode_shutdown";
    public const string LinodeDelete = "linode_delete";
    public const string LinodeUpdate = "linode_update";
    public const string LinodeAddIp = "linode_addip";
    public const string NodeBalancerCreate = "nodebalancer_create";
    public const string NodeBalancerUpdate = "nodebalancer_update";
    public const string NodeBalancerDelete = "nodebalancer_delete";
    public const string NodeBalancerConfigCreate = "nodebalancer_config_create";
    public const string NodeBalancerConfigUpdate = "nodebalancer_config_update";
    public const string NodeBalancerConfigDelete = "nodebalancer_config_delete";
    public const string NodeBalancerNodeCreate = "nodebalancer_node_create";
    public const string NodeBalancerNodeUpdate = "nodebalancer_node_update";
    public const string NodeBalancerNodeDelete = "nodebalancer_node_delete";
    public const string TagCreate = "tag_create";
    public const string TagDelete = "tag_delete";
}

using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Configuration;

/// <summary>Which members a scale-in removes first (after the unhealthy and not-yet-serving ones).</summary>
public enum VictimPolicy
{
    /// <summary>Most recently created first.</summary>
    Newest,

    /// <summary>Least recently created first.</summary>
    Oldest,
}

/// <summary>
/// One pool: how its instances are created, where they serve, its bounds and policies, and the signals that size it.
/// Membership is the <see cref="PoolTag"/>: the autoscaler never touches an instance without it.
/// </summary>
public sealed record PoolConfig
{
    /// <summary>Pool name (letters, digits, '-', '_').</summary>
    public required string Name { get; init; }

    /// <summary>Linode region, e.g. <c>us-east</c>.</summary>
    public string Region { get; init; } = "";

    /// <summary>Linode type, e.g. <c>g6-standard-1</c>.</summary>
    public string Type { get; init; } = "";

    /// <summary>Image, e.g. <c>linode/debian12</c> or <c>private/123</c>.</summary>
    public string Image { get; init; } = "";

    /// <summary>Optional StackScript run at first boot.</summary>
    public StackScriptConfig? StackScript { get; init; }

    /// <summary>Optional cloud-init user data file (resolved against the configuration's folder when loaded from a file).</summary>
    public string? UserDataFile { get; init; }

    /// <summary>SSH public keys installed for root.</summary>
    public IReadOnlyList<string> AuthorizedKeys { get; init; } = [];

    /// <summary>Cloud Firewall attached at creation, so a new instance never runs unprotected.</summary>
    public long? FirewallId { get; init; }

    /// <summary>Extra tags put on every instance (besides <see cref="PoolTag"/>).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The tag that makes an instance a member. Default <c>autoscaler:NAME</c>.</summary>
    public string PoolTag { get; init; } = "";

    /// <summary>Instance labels are this prefix, '-', and a unique suffix. Default the pool name.</summary>
    public string LabelPrefix { get; init; } = "";

    /// <summary>Members carrying this tag are never removed or replaced. Default <c>autoscaler:protected</c>.</summary>
    public string ProtectionTag { get; init; } = "autoscaler:protected";

    /// <summary>Smallest size.</summary>
    public int Min { get; init; }

    /// <summary>Largest size.</summary>
    public int Max { get; init; } = 1;

    /// <summary>Initial desired size of an empty pool without journal record (an existing pool keeps its member count).</summary>
    public int? Desired { get; init; }

    /// <summary>The NodeBalancer config the members serve behind.</summary>
    public NodeBalancerConfig NodeBalancer { get; init; } = new();

    /// <summary>Health grace and replacement.</summary>
    public HealthConfig Health { get; init; } = new();

    /// <summary>Scale-up policy.</summary>
    public ScaleUpConfig ScaleUp { get; init; } = new();

    /// <summary>Scale-down policy.</summary>
    public ScaleDownConfig ScaleDown { get; init; } = new();

    /// <summary>Signals, in file order.</summary>
    public IReadOnlyList<SignalConfig> Signals { get; init; } = [];

    /// <summary>Queries the dashboard charts for this pool (requests/s, CPU, p95 latency); null when none.</summary>
    public PoolDashboardConfig? Dashboard { get; init; }

    /// <summary><see cref="PoolTag"/>, or its default when unset.</summary>
    public string EffectivePoolTag => PoolTag.Length > 0 ? PoolTag : "autoscaler:" + Name;

    /// <summary><see cref="LabelPrefix"/>, or its default when unset.</summary>
    public string EffectiveLabelPrefix => LabelPrefix.Length > 0 ? LabelPrefix : Name;
}

/// <summary>A StackScript and its user-defined field values (values may be secrets and are not shown in dumps).</summary>
public sealed record StackScriptConfig
{
    /// <summary>StackScript id.</summary>
    public int Id { get; init; }

    /// <summary>UDF values.</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();
}

/// <summary>Which NodeBalancer config members join, identified by id or label.</summary>
public sealed record NodeBalancerConfig
{
    /// <summary>NodeBalancer id (exclusive with <see cref="Label"/>).</summary>
    public int? Id { get; init; }

    /// <summary>NodeBalancer label (exclusive with <see cref="Id"/>).</summary>
    public string? Label { get; init; }

    /// <summary>The NodeBalancer's front-end port whose config members join.</summary>
    public int Port { get; init; } = 80;

    /// <summary>Config id, when the port alone is ambiguous or to pin it.</summary>
    public int? ConfigId { get; init; }

    /// <summary>Port the members' application listens on. Default: <see cref="Port"/>.</summary>
    public int NodePort { get; init; } = 80;

    /// <summary>Create the NodeBalancer (by label) and its config when missing.</summary>
    public bool CreateIfMissing { get; init; }
}

/// <summary>When a member that does not serve is replaced.</summary>
public sealed record HealthConfig
{
    /// <summary>Time after creation during which a member that does not serve is not held against it. Default 60 s.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A member not serving for this long after the grace period is replaced. Default 120 s.</summary>
    public TimeSpan ReplaceAfter { get; init; } = TimeSpan.FromSeconds(120);
}

/// <summary>Scale-up policy.</summary>
public sealed record ScaleUpConfig
{
    /// <summary>Instances added per alert-driven step. Default 1.</summary>
    public int Step { get; init; } = 1;

    /// <summary>When set, a step is at least this percentage of the serving instances (rounded up).</summary>
    public double? StepPercent { get; init; }

    /// <summary>No further scale-up until this long after the last scale-up's capacity serves. Default 60 s.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most members launching (created, not yet serving) at once. Default 10.</summary>
    public int MaxInFlight { get; init; } = 10;
}

/// <summary>Scale-down policy.</summary>
public sealed record ScaleDownConfig
{
    /// <summary>Instances removed per alert-driven step. Default 1.</summary>
    public int Step { get; init; } = 1;

    /// <summary>No scale-down until this long after the last scale-down finished or the last scale-up served. Default 300 s.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Time a victim's node stays in drain mode before it is removed. Default 30 s.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Which serving members go first. Default newest.</summary>
    public VictimPolicy Victim { get; init; } = VictimPolicy.Newest;
}

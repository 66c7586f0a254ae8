using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Linode.Emulator.Catalog;

namespace Linode.Emulator.State;

// The emulated account's objects. They are plain mutable classes guarded by EmulatorState.Gate; each knows how to
// show itself exactly as the API does (the 4.189 schema's fields, nulls included, nothing else).

internal sealed class Instance
{
    public required long Id { get; init; }
    public required string Label { get; set; }
    public string Group { get; set; } = "";
    public required string Status { get; set; }
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Updated { get; set; }
    public required LinodeType Type { get; init; }
    public required Region Region { get; init; }
    public Image? Image { get; init; }
    public required IPAddress PublicIpv4 { get; init; }
    public IPAddress? PrivateIpv4 { get; set; }

    /// <summary>The loopback address behind <see cref="PrivateIpv4"/> (the emulated private network).</summary>
    public IPAddress? PrivateLoopback { get; set; }
    public required string Slaac { get; init; }
    public List<string> Tags { get; set; } = [];
    public int AlertCpu { get; set; }
    public int AlertIo { get; set; } = 10000;
    public int AlertNetworkIn { get; set; } = 10;
    public int AlertNetworkOut { get; set; } = 10;
    public int AlertTransferQuota { get; set; } = 80;
    public bool BackupsEnabled { get; set; }
    public string? BackupDay { get; set; }
    public string? BackupWindow { get; set; }
    public bool WatchdogEnabled { get; set; } = true;
    public required string HostUuid { get; init; }
    public string? UserData { get; init; }
    public Dictionary<string, string> StackScriptData { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The job in progress (provisioning, booting, shutdown, reboot, delete); null when idle.</summary>
    public InstanceJob? Job { get; set; }

    /// <summary>A process was started for the instance and not stopped since.</summary>
    public bool ProcessStarted { get; set; }

    /// <summary>The process exited while the instance was still booting: the boot fails.</summary>
    public bool ExitedWhileBooting { get; set; }

    public bool Deleted { get; set; }

    /// <summary>When the delete call was accepted: billing stops here.</summary>
    public DateTimeOffset? DeleteRequestedAt { get; set; }

    public string Url => $"/v4/linode/instances/{Id}";

    public JsonObject ToJson()
    {
        var ipv4 = new JsonArray { PublicIpv4.ToString() };
        if (PrivateIpv4 is not null)
        {
            ipv4.Add(PrivateIpv4.ToString());
        }
        return new JsonObject
        {
            ["id"] = Id,
            ["label"] = Label,
            ["group"] = Group,
            ["status"] = Status,
            ["created"] = Json.Timestamp(Created),
            ["updated"] = Json.Timestamp(Updated),
            ["type"] = Type.Id,
            ["ipv4"] = ipv4,
            ["ipv6"] = Slaac + "/128",
            ["image"] = Image?.Id,
            ["region"] = Region.Id,
            ["specs"] = new JsonObject
            {
                ["disk"] = Type.Disk,
                ["memory"] = Type.Memory,
                ["vcpus"] = Type.Vcpus,
                ["gpus"] = 0,
                ["transfer"] = Type.Transfer,
            },
            ["alerts"] = new JsonObject
            {
                ["cpu"] = AlertCpu,
                ["network_in"] = AlertNetworkIn,
                ["network_out"] = AlertNetworkOut,
                ["transfer_quota"] = AlertTransferQuota,
                ["io"] = AlertIo,
            },
            ["backups"] = new JsonObject
            {
                ["enabled"] = BackupsEnabled,
                ["available"] = false,
                ["schedule"] = new JsonObject { ["day"] = BackupDay, ["window"] = BackupWindow },
                ["last_successful"] = null,
            },
            ["hypervisor"] = "kvm",
            ["watchdog_enabled"] = WatchdogEnabled,
            ["tags"] = Json.Strings(Tags),
            ["host_uuid"] = HostUuid,
            ["has_user_data"] = UserData is not null,
            ["placement_group"] = null,
            ["lke_cluster_id"] = null,
            ["capabilities"] = new JsonArray(),
        };
    }

    /// <summary>The instance's IPv4 addresses as IP objects (public first).</summary>
    public IEnumerable<JsonObject> Ipv4Objects()
    {
        yield return PublicIpJson();
        if (PrivateIpv4 is not null)
        {
            yield return PrivateIpJson();
        }
    }

    public JsonObject PublicIpJson()
    {
        var bytes = PublicIpv4.GetAddressBytes();
        return new JsonObject
        {
            ["address"] = PublicIpv4.ToString(),
            ["gateway"] = string.Create(CultureInfo.InvariantCulture, $"{bytes[0]}.{bytes[1]}.{bytes[2]}.1"),
            ["subnet_mask"] = "255.255.255.0",
            ["prefix"] = 24,
            ["type"] = "ipv4",
            ["public"] = true,
            ["rdns"] = PublicIpv4.ToString().Replace('.', '-') + ".ip.linodeusercontent.com",
            ["linode_id"] = Id,
            ["region"] = Region.Id,
            ["vpc_nat_1_1"] = null,
        };
    }

    /// <summary>The private IPv4 as an IP object. The 4.189 schema of <c>ipv4.private</c> in GET …/ips has no
    /// <c>vpc_nat_1_1</c>, unlike every other IP object; <paramref name="withNat"/> follows that.</summary>
    public JsonObject PrivateIpJson(bool withNat = true)
    {
        var ip = new JsonObject
        {
            ["address"] = PrivateIpv4!.ToString(),
            ["gateway"] = null,
            ["subnet_mask"] = "255.255.128.0",
            ["prefix"] = 17,
            ["type"] = "ipv4",
            ["public"] = false,
            ["rdns"] = null,
            ["linode_id"] = Id,
            ["region"] = Region.Id,
        };
        if (withNat)
        {
            ip["vpc_nat_1_1"] = null;
        }
        return ip;
    }

    /// <summary>The SLAAC address as an IP object; in GET /networking/ips it carries <c>vpc_nat_1_1</c> like every
    /// entry there, in GET …/ips it does not (both as the 4.189 schema has them).</summary>
    public JsonObject SlaacJson(bool withNat = false)
    {
        var ip = SlaacCore();
        if (withNat)
        {
            ip["vpc_nat_1_1"] = null;
        }
        return ip;
    }

    private JsonObject SlaacCore() => new()
    {
        ["address"] = Slaac,
        ["gateway"] = "fe80::1",
        ["subnet_mask"] = "ffff:ffff:ffff:ffff::",
        ["prefix"] = 64,
        ["type"] = "ipv6",
        ["public"] = true,
        ["rdns"] = null,
        ["linode_id"] = Id,
        ["region"] = Region.Id,
    };

    public JsonObject LinkLocalJson() => new()
    {
        ["address"] = "fe80::" + Slaac[(Slaac.IndexOf("::", StringComparison.Ordinal) + 2)..],
        ["gateway"] = "fe80::1",
        ["subnet_mask"] = "ffff:ffff:ffff:ffff::",
        ["prefix"] = 64,
        ["type"] = "ipv6",
        ["public"] = false,
        ["rdns"] = null,
        ["linode_id"] = Id,
        ["region"] = Region.Id,
    };
}

/// <summary>A running instance job: what it is, how to cancel it, and its task (awaited before a delete stops the
/// process, so a process started by a job that was cancelled mid-start is still stopped).</summary>
internal sealed class InstanceJob(string kind, CancellationTokenSource cancellation)
{
    public string Kind { get; } = kind;

    public CancellationTokenSource Cancellation { get; } = cancellation;

    public Task Completion { get; set; } = Task.CompletedTask;

    /// <summary>Set (under the state lock) when the job has ended; its cancellation source is then disposed.</summary>
    public bool Done { get; set; }

    /// <summary>The events this job will finish or fail.</summary>
    public List<EventRecord> Events { get; } = [];
}

internal sealed class NodeBalancer
{
    public required long Id { get; init; }
    public required string Label { get; set; }
    public required Region Region { get; init; }
    public required IPAddress Ipv4 { get; init; }
    public required string Ipv6 { get; init; }
    public int ClientConnThrottle { get; set; }
    public List<string> Tags { get; set; } = [];
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Updated { get; set; }
    public List<NodeBalancerConfig> Configs { get; } = [];

    public string Url => $"/v4/nodebalancers/{Id}";

    /// <summary>Where the balancer's traffic to its nodes comes from: Linode's NodeBalancer range 192.168.255.0/24
    /// (what a node's Cloud Firewall must accept). Only ever compared with firewall rules, never a target.</summary>
    public IPAddress PrivateSource => new([192, 168, 255, (byte)(1 + (Id % 254))]);

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["label"] = Label,
        ["region"] = Region.Id,
        // Observed form: "172-232-98-34.ip.linodeusercontent.com" (linode/docs#6842); the spec's example keeps dots.
        ["hostname"] = Ipv4.ToString().Replace('.', '-') + ".ip.linodeusercontent.com",
        ["ipv4"] = Ipv4.ToString(),
        ["ipv6"] = Ipv6,
        ["client_conn_throttle"] = ClientConnThrottle,
        ["created"] = Json.Timestamp(Created),
        ["updated"] = Json.Timestamp(Updated),
        ["tags"] = Json.Strings(Tags),
        ["transfer"] = new JsonObject { ["in"] = null, ["out"] = null, ["total"] = null },
    };
}

internal sealed class NodeBalancerConfig
{
    public required long Id { get; init; }
    public required NodeBalancer NodeBalancer { get; init; }
    public int Port { get; set; } = 80;
    public string Protocol { get; set; } = "http";
    public string Algorithm { get; set; } = "roundrobin";
    public string Stickiness { get; set; } = "none";
    public string Check { get; set; } = "none";
    public int CheckInterval { get; set; } = 31;
    public int CheckTimeout { get; set; } = 30;
    public int CheckAttempts { get; set; } = 3;
    public string CheckPath { get; set; } = "";
    public string CheckBody { get; set; } = "";
    public bool CheckPassive { get; set; } = true;
    public string CipherSuite { get; set; } = "recommended";
    public string ProxyProtocol { get; set; } = "none";
    public string? SslCert { get; set; }
    public string? SslKey { get; set; }
    public string SslCommonName { get; set; } = "";
    public string SslFingerprint { get; set; } = "";
    public List<NodeBalancerNode> Nodes { get; } = [];

    public string Url => $"/v4/nodebalancers/{NodeBalancer.Id}/configs/{Id}";

    public JsonObject ToJson(Func<NodeBalancerNode, string> statusOf)
    {
        var statuses = Nodes.Select(statusOf).ToList();
        return new JsonObject
        {
            ["id"] = Id,
            ["nodebalancer_id"] = NodeBalancer.Id,
            ["port"] = Port,
            ["protocol"] = Protocol,
            ["algorithm"] = Algorithm,
            ["stickiness"] = Stickiness,
            ["check"] = Check,
            ["check_interval"] = CheckInterval,
            ["check_timeout"] = CheckTimeout,
            ["check_attempts"] = CheckAttempts,
            ["check_path"] = CheckPath,
            ["check_body"] = CheckBody,
            ["check_passive"] = CheckPassive,
            ["cipher_suite"] = CipherSuite,
            ["proxy_protocol"] = ProxyProtocol,
            // Responses never carry the certificate or key themselves.
            ["ssl_cert"] = SslCert is null ? null : "<REDACTED>",
            ["ssl_key"] = SslKey is null ? null : "<REDACTED>",
            ["ssl_commonname"] = SslCommonName,
            ["ssl_fingerprint"] = SslFingerprint,
            ["nodes_status"] = new JsonObject
            {
                ["up"] = statuses.Count(s => string.Equals(s, "UP", StringComparison.OrdinalIgnoreCase)),
                ["down"] = statuses.Count(s => string.Equals(s, "DOWN", StringComparison.OrdinalIgnoreCase)),
            },
        };
    }
}

internal sealed class NodeBalancerNode
{
    public required long Id { get; init; }
    public required NodeBalancerConfig Config { get; init; }
    public required string Label { get; set; }

    /// <summary>The private IPv4 the client gave.</summary>
    public required IPAddress PrivateAddress { get; set; }
    public required int Port { get; set; }
    public int Weight { get; set; } = 50;
    public string Mode { get; set; } = "accept";

    public string Address => $"{PrivateAddress}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public string Url => $"{Config.Url}/nodes/{Id}";

    public JsonObject ToJson(string status) => new()
    {
        ["id"] = Id,
        ["address"] = Address,
        ["label"] = Label,
        ["status"] = status,
        ["weight"] = Weight,
        ["mode"] = Mode,
        ["config_id"] = Config.Id,
        ["nodebalancer_id"] = Config.NodeBalancer.Id,
    };
}

/// <summary>What an event is about.</summary>
internal sealed record EventEntity(JsonNode Id, string Label, string Type, string Url)
{
    public static EventEntity Of(Instance i) => new(i.Id, i.Label, "linode", i.Url);

    public static EventEntity Of(NodeBalancer nb) => new(nb.Id, nb.Label, "nodebalancer", nb.Url);

    public JsonObject ToJson() => new()
    {
        ["id"] = Id.DeepClone(),
        ["label"] = Label,
        ["type"] = Type,
        ["url"] = Url,
    };
}

/// <summary>An account event. Jobs go scheduled → started → finished | failed with a growing percent_complete and
/// duration; instant changes (updates, NodeBalancer and tag changes) are <c>notification</c>s.</summary>
internal sealed class EventRecord
{
    public required long Id { get; init; }
    public required string Action { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required EventEntity Entity { get; init; }
    public EventEntity? SecondaryEntity { get; init; }
    public required string Status { get; set; }
    public string? Username { get; init; }
    public string Message { get; set; } = "";
    public bool Read { get; set; }
    public bool Seen { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>How long the job is expected to take once started (for percent_complete).</summary>
    public TimeSpan Expected { get; set; }

    public int LastPercent { get; set; }

    public JsonObject ToJson(DateTimeOffset now)
    {
        double? duration = null;
        int? percent = null;
        switch (Status)
        {
            case "scheduled":
                percent = 0;
                break;
            case "started":
                var elapsed = now - (StartedAt ?? Created);
                duration = Math.Round(Math.Max(0, elapsed.TotalSeconds), 6);
                percent = Expected <= TimeSpan.Zero ? 0 : (int)Math.Clamp(elapsed / Expected * 100, 0, 99);
                break;
            case "finished":
                duration = Math.Round(Math.Max(0, ((EndedAt ?? now) - (StartedAt ?? Created)).TotalSeconds), 6);
                percent = 100;
                break;
            case "failed":
                duration = Math.Round(Math.Max(0, ((EndedAt ?? now) - (StartedAt ?? Created)).TotalSeconds), 6);
                percent = LastPercent;
                break;
        }
        return new JsonObject
        {
            ["id"] = Id,
            ["action"] = Action,
            ["created"] = Json.Timestamp(Created),
            ["duration"] = duration,
            ["entity"] = Entity.ToJson(),
            ["secondary_entity"] = SecondaryEntity?.ToJson(),
            ["message"] = Message,
            ["percent_complete"] = percent,
            ["rate"] = null,
            ["read"] = Read,
            ["seen"] = Seen,
            ["status"] = Status,
            // Recorded finished events say 0 (SUBSET.md §13); running ones null, as the API does not estimate.
            ["time_remaining"] = Status == "finished" ? 0 : null,
            ["username"] = Username,
        };
    }

    public void Start(DateTimeOffset now, TimeSpan expected)
    {
        Status = "started";
        StartedAt = now;
        Expected = expected;
    }

    public void Finish(DateTimeOffset now)
    {
        StartedAt ??= now;
        Status = "finished";
        EndedAt = now;
    }

    public void Fail(DateTimeOffset now, string message)
    {
        if (Status == "started" && Expected > TimeSpan.Zero && StartedAt is { } started)
        {
            LastPercent = (int)Math.Clamp((now - started) / Expected * 100, 0, 99);
        }
        StartedAt ??= now;
        Status = "failed";
        EndedAt = now;
        Message = message;
    }
}

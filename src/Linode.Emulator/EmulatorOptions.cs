using System.Globalization;
using System.Net;
using Linode.Emulator.Runtime;

namespace Linode.Emulator;

/// <summary>Everything the emulator can be told. Defaults suit tests and local use; see examples/emulator.yaml.</summary>
public sealed class EmulatorOptions
{
    // Errors found while reading a YAML file (bad durations, unknown keys) are reported by Validate with the rest,
    // so a bad config fails at start with every problem listed at once.
    private readonly List<string> _loadErrors = [];

    /// <summary>Address and port the API listens on; loopback only. Port 0 picks a free port.</summary>
    public string Listen { get; set; } = "127.0.0.1:8081";

    /// <summary>Bearer tokens accepted by the API, each with every scope (<c>*</c>). Empty: any non-empty token is
    /// accepted, with every scope (besides <see cref="ScopedTokens"/>, which keep theirs).</summary>
    public List<string> Tokens { get; } = [];

    /// <summary>Tokens limited to some OAuth scopes (e.g. <c>linodes:read_only nodebalancers:read_write</c>), and
    /// optionally owned by another user (rate limits are counted per owner).</summary>
    public List<EmulatorToken> ScopedTokens { get; } = [];

    /// <summary>The account's user name, shown as <c>username</c> in events.</summary>
    public string Username { get; set; } = "emulator";

    /// <summary>How long each lifecycle step takes.</summary>
    public EmulatorDelays Delays { get; set; } = EmulatorDelays.Fast;

    /// <summary>Fault injection (errors, latency, boot failures); all off by default. Changeable at run time through
    /// <c>PUT /admin/faults</c>.</summary>
    public EmulatorFaults Faults { get; set; } = new();

    /// <summary>Linode's published API rate limits, enforced by default (<c>rate_limits.enabled: false</c> turns
    /// them off for tests that compress hours into seconds).</summary>
    public EmulatorRateLimits RateLimits { get; set; } = new();

    /// <summary>Linode bills each instance per started hour; a shorter period lets a demo show hour ends in minutes
    /// (the autoscaler's <c>billing_period</c> must then match). Default 1 h.</summary>
    public TimeSpan BillingPeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>What booting an image runs.</summary>
    public InstanceRuntimeOptions Runtime { get; set; } = new();

    /// <summary>Loopback range for instances; each instance's address is also its public IPv4 in the API.</summary>
    public string InstanceAddressPool { get; set; } = "127.10.0.0/16";

    /// <summary>Loopback range for NodeBalancers (their <c>ipv4</c>).</summary>
    public string NodeBalancerAddressPool { get; set; } = "127.20.0.0/16";

    /// <summary>Linode's private IPv4 range; only ever an identifier, mapped to a loopback address of
    /// <see cref="PrivateLoopbackPool"/>.</summary>
    public string PrivateAddressPool { get; set; } = "192.168.128.0/17";

    /// <summary>Loopback range standing in for the private network: each private address gets its own loopback
    /// address here (distinct from the instance's public one), where NodeBalancers connect and the instance's
    /// process is told to bind.</summary>
    public string PrivateLoopbackPool { get; set; } = "127.12.0.0/16";

    /// <summary>Cloud Firewall behaviour of the emulated account (an account default firewall).</summary>
    public EmulatorNetwork Network { get; set; } = new();

    /// <summary>Account images (<c>private/…</c>) in addition to the public catalog.</summary>
    public List<EmulatorPrivateImage> PrivateImages { get; } = [];

    /// <summary>Reads a YAML file (snake_case keys). Problems are reported by <see cref="Validate"/>.</summary>
    public static EmulatorOptions Load(string yamlPath)
    {
        var options = new EmulatorOptions();
        string text;
        try
        {
            text = File.ReadAllText(yamlPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            options._loadErrors.Add($"config '{yamlPath}': cannot be read ({e.Message})");
            return options;
        }
        EmulatorOptionsYaml.Apply(text, options, options._loadErrors);
        return options;
    }

    /// <summary>Every problem with these options, each naming its field; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(_loadErrors);

        if (!TryParseListen(Listen, out _, out var listenError))
        {
            errors.Add($"listen: {listenError}");
        }
        for (var i = 0; i < Tokens.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Tokens[i]))
            {
                errors.Add($"tokens[{i}]: must not be empty");
            }
        }
        if (string.IsNullOrWhiteSpace(Username))
        {
            errors.Add("username: must not be empty");
        }

        if (Delays is null)
        {
            errors.Add("delays: must be set");
        }
        else
        {
            foreach (var (name, value) in Delays.All())
            {
                if (value < TimeSpan.Zero)
                {
                    errors.Add($"delays.{name}: must not be negative (is {value})");
                }
            }
        }

        if (BillingPeriod <= TimeSpan.Zero)
        {
            errors.Add($"billing_period: must be positive (is {BillingPeriod})");
        }

        if (Faults is null)
        {
            errors.Add("faults: must be set");
        }
        else
        {
            errors.AddRange(Faults.Validate().Select(e => "faults." + e));
        }

        if (RateLimits is null)
        {
            errors.Add("rate_limits: must be set");
        }
        else
        {
            errors.AddRange(RateLimits.Validate().Select(e => "rate_limits." + e));
        }
        errors.AddRange(EmulatorToken.ValidateAll(ScopedTokens));

        if (Runtime is null)
        {
            errors.Add("runtime: must be set");
        }
        else
        {
            foreach (var (image, command) in Runtime.Images)
            {
                if (command is null || string.IsNullOrWhiteSpace(command.Command))
                {
                    errors.Add($"runtime.images['{image}'].command: must not be empty");
                }
            }
            if (Runtime.DefaultCommand is { } fallback && string.IsNullOrWhiteSpace(fallback.Command))
            {
                errors.Add("runtime.default_command.command: must not be empty");
            }
            if (Runtime.StopGracePeriod < TimeSpan.Zero)
            {
                errors.Add("runtime.stop_grace_period: must not be negative");
            }
            if (!Enum.IsDefined(Runtime.Kind))
            {
                errors.Add($"runtime.kind: must be 'process' or 'lightweight' (is {(int)Runtime.Kind})");
            }
            if (Runtime.WorkMs is < 0 or > Workload.WorkloadHandler.MaxWorkMs)
            {
                errors.Add($"runtime.work_ms: must be between 0 and {Workload.WorkloadHandler.MaxWorkMs} (is {Runtime.WorkMs})");
            }
            if (Runtime.Queue < 0)
            {
                errors.Add($"runtime.queue: must not be negative (is {Runtime.Queue})");
            }
        }

        var instancePool = CheckPool("instance_address_pool", InstanceAddressPool, IPNetwork.Parse("127.0.0.0/8"), errors);
        var nodeBalancerPool = CheckPool("nodebalancer_address_pool", NodeBalancerAddressPool, IPNetwork.Parse("127.0.0.0/8"), errors);
        CheckPool("private_address_pool", PrivateAddressPool, IPNetwork.Parse("192.168.128.0/17"), errors);
        var privateLoopbackPool = CheckPool("private_loopback_pool", PrivateLoopbackPool, IPNetwork.Parse("127.0.0.0/8"), errors);
        if (instancePool is { } a && nodeBalancerPool is { } b && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress)))
        {
            errors.Add($"nodebalancer_address_pool: {NodeBalancerAddressPool} overlaps instance_address_pool {InstanceAddressPool}");
        }
        foreach (var (name, value, pool) in new[] { ("instance_address_pool", InstanceAddressPool, instancePool), ("nodebalancer_address_pool", NodeBalancerAddressPool, nodeBalancerPool) })
        {
            if (privateLoopbackPool is { } pl && pool is { } other && (pl.Contains(other.BaseAddress) || other.Contains(pl.BaseAddress)))
            {
                errors.Add($"private_loopback_pool: {PrivateLoopbackPool} overlaps {name} {value}");
            }
        }
        if (Network is null)
        {
            errors.Add("network: must be set");
        }
        else
        {
            errors.AddRange(Network.Validate().Select(e => "network." + e));
        }
        if (TryParseListen(Listen, out var listen, out _))
        {
            if (instancePool is { } ip && ip.Contains(listen!.Address))
            {
                errors.Add($"listen: {Listen} lies inside instance_address_pool {InstanceAddressPool}");
            }
            if (nodeBalancerPool is { } np && np.Contains(listen!.Address))
            {
                errors.Add($"listen: {Listen} lies inside nodebalancer_address_pool {NodeBalancerAddressPool}");
            }
        }

        var imageIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < PrivateImages.Count; i++)
        {
            var image = PrivateImages[i];
            var at = $"private_images[{i}]";
            if (image is null)
            {
                errors.Add($"{at}: must be set");
                continue;
            }
            if (string.IsNullOrWhiteSpace(image.Id) || !image.Id.StartsWith("private/", StringComparison.Ordinal)
                || image.Id.Length == "private/".Length)
            {
                errors.Add($"{at}.id: must look like 'private/<name>' (is '{image.Id}')");
            }
            else if (!imageIds.Add(image.Id))
            {
                errors.Add($"{at}.id: '{image.Id}' is listed twice");
            }
            if (string.IsNullOrWhiteSpace(image.Label))
            {
                errors.Add($"{at}.label: must not be empty");
            }
            if (image.Size < 0)
            {
                errors.Add($"{at}.size: must not be negative");
            }
        }
        return errors;
    }

    internal static bool TryParseListen(string? value, out IPEndPoint? endpoint, out string error)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "must be 'address:port', e.g. 127.0.0.1:8081";
            return false;
        }
        var text = value.Trim();
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            text = "127.0.0.1" + text["localhost".Length..];
        }
        if (!IPEndPoint.TryParse(text, out var parsed) || !text.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{value}' is not 'address:port', e.g. 127.0.0.1:8081";
            return false;
        }
        if (!IPAddress.IsLoopback(parsed.Address) || parsed.Address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            error = $"'{value}' is not an IPv4 loopback address (127.0.0.0/8); the emulator never listens elsewhere";
            return false;
        }
        endpoint = parsed;
        error = "";
        return true;
    }

    private static IPNetwork? CheckPool(string name, string? value, IPNetwork within, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value) || !IPNetwork.TryParse(value, out var network)
            || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            errors.Add($"{name}: '{value}' is not an IPv4 CIDR range, e.g. 127.10.0.0/16");
            return null;
        }
        if (!within.Contains(network.BaseAddress) || network.PrefixLength < within.PrefixLength)
        {
            errors.Add($"{name}: {value} must lie inside {within}");
            return null;
        }
        if (network.PrefixLength > 24)
        {
            errors.Add($"{name}: {value} is too small (at most /24)");
            return null;
        }
        return network;
    }
}

/// <summary>Durations of the instance lifecycle steps.</summary>
public sealed class EmulatorDelays
{
    /// <summary>Short steps for tests and demos: create to running in about half a second.</summary>
    public static EmulatorDelays Fast => new()
    {
        Provisioning = TimeSpan.FromMilliseconds(200),
        Booting = TimeSpan.FromMilliseconds(300),
        ShuttingDown = TimeSpan.FromMilliseconds(200),
        Rebooting = TimeSpan.FromMilliseconds(400),
        Deleting = TimeSpan.FromMilliseconds(200),
        NodeBalancerApply = TimeSpan.Zero,
    };

    /// <summary>What a real Linode takes, from recorded real answers (linodego's
    /// TestEventPoller_InstancePower cassette, SUBSET.md §13): create to running about 65 s, a boot 24 s, a shutdown
    /// 28 s; a reboot is a shutdown and a boot.</summary>
    public static EmulatorDelays Realistic => new()
    {
        Provisioning = TimeSpan.FromSeconds(41),
        Booting = TimeSpan.FromSeconds(24),
        ShuttingDown = TimeSpan.FromSeconds(28),
        Rebooting = TimeSpan.FromSeconds(52),
        Deleting = TimeSpan.FromSeconds(10),
        NodeBalancerApply = TimeSpan.FromSeconds(60),
        NodeBalancerApplyRandom = true,
    };

    /// <summary>Zero delays; transitions still go through every status, just at once.</summary>
    public static EmulatorDelays None => new();

    /// <summary><c>provisioning</c> before the first boot (or before <c>offline</c> when not booted).</summary>
    public TimeSpan Provisioning { get; set; }

    /// <summary><c>booting</c> before <c>running</c>; the process is started when booting begins.</summary>
    public TimeSpan Booting { get; set; }

    /// <summary><c>shutting_down</c> before <c>offline</c>.</summary>
    public TimeSpan ShuttingDown { get; set; }

    /// <summary><c>rebooting</c> before <c>running</c>.</summary>
    public TimeSpan Rebooting { get; set; }

    /// <summary><c>deleting</c> before the instance is gone (404).</summary>
    public TimeSpan Deleting { get; set; }

    /// <summary>How long a change to an existing NodeBalancer config or its nodes (mode, weight, address, checks)
    /// takes to reach the running balancer; the API answers at once with the new values. Linode: "Changes made to
    /// the Mode field are applied within 60 seconds". With <see cref="NodeBalancerApplyRandom"/> this is the
    /// longest delay.</summary>
    public TimeSpan NodeBalancerApply { get; set; }

    /// <summary>Each change waits a random time between 0 and <see cref="NodeBalancerApply"/> instead of exactly it.</summary>
    public bool NodeBalancerApplyRandom { get; set; }

    internal IEnumerable<(string Name, TimeSpan Value)> All() =>
    [
        ("provisioning", Provisioning),
        ("booting", Booting),
        ("shutting_down", ShuttingDown),
        ("rebooting", Rebooting),
        ("deleting", Deleting),
        ("nodebalancer_apply", NodeBalancerApply),
    ];

    internal EmulatorDelays Clone() => new()
    {
        Provisioning = Provisioning,
        Booting = Booting,
        ShuttingDown = ShuttingDown,
        Rebooting = Rebooting,
        Deleting = Deleting,
        NodeBalancerApply = NodeBalancerApply,
        NodeBalancerApplyRandom = NodeBalancerApplyRandom,
    };
}

/// <summary>Fault injection. Rates are probabilities per request (or per boot) in 0..1.</summary>
public sealed class EmulatorFaults
{
    /// <summary>Share of API requests answered 429 Too many requests (with Retry-After).</summary>
    public double Rate429 { get; set; }

    /// <summary>Retry-After (seconds) sent with injected 429s.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Share of API requests answered 500.</summary>
    public double Rate500 { get; set; }

    /// <summary>Share of API requests answered 503 with <c>X-Maintenance-Mode</c>, as Linode does during
    /// maintenance (1 = the API is down for maintenance).</summary>
    public double RateMaintenance { get; set; }

    /// <summary>Extra latency added to every API request.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Share of boots that fail: the instance ends <c>offline</c> and its boot event <c>failed</c>.</summary>
    public double BootFailureRate { get; set; }

    internal IEnumerable<string> Validate()
    {
        if (Rate429 is < 0 or > 1 || double.IsNaN(Rate429))
        {
            yield return $"rate_429: must be between 0 and 1 (is {Rate429.ToString(CultureInfo.InvariantCulture)})";
        }
        if (Rate500 is < 0 or > 1 || double.IsNaN(Rate500))
        {
            yield return $"rate_500: must be between 0 and 1 (is {Rate500.ToString(CultureInfo.InvariantCulture)})";
        }
        if (RateMaintenance is < 0 or > 1 || double.IsNaN(RateMaintenance))
        {
            yield return $"rate_maintenance: must be between 0 and 1 (is {RateMaintenance.ToString(CultureInfo.InvariantCulture)})";
        }
        if (BootFailureRate is < 0 or > 1 || double.IsNaN(BootFailureRate))
        {
            yield return $"boot_failure_rate: must be between 0 and 1 (is {BootFailureRate.ToString(CultureInfo.InvariantCulture)})";
        }
        if (RetryAfterSeconds < 0)
        {
            yield return $"retry_after_seconds: must not be negative (is {RetryAfterSeconds})";
        }
        if (LatencyMs < 0)
        {
            yield return $"latency_ms: must not be negative (is {LatencyMs})";
        }
    }

    internal EmulatorFaults Clone() => new()
    {
        Rate429 = Rate429,
        RetryAfterSeconds = RetryAfterSeconds,
        Rate500 = Rate500,
        RateMaintenance = RateMaintenance,
        LatencyMs = LatencyMs,
        BootFailureRate = BootFailureRate,
    };
}

/// <summary>An account image (<c>private/…</c>).</summary>
public sealed class EmulatorPrivateImage
{
    /// <summary><c>private/&lt;name&gt;</c>, e.g. <c>private/12345</c>.</summary>
    public string Id { get; set; } = "";

    /// <summary>The image's label.</summary>
    public string Label { get; set; } = "";

    /// <summary>Free text.</summary>
    public string? Description { get; set; }

    /// <summary>Size in MB.</summary>
    public int Size { get; set; } = 2500;

    /// <summary>Whether the image has the <c>cloud-init</c> capability (needed for <c>metadata.user_data</c>).</summary>
    public bool CloudInit { get; set; } = true;

    /// <summary>Tags of the image.</summary>
    public List<string> Tags { get; } = [];
}

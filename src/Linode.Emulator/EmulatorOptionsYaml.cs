using System.Globalization;
using Autoscaler.Common;
using Linode.Emulator.Runtime;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Linode.Emulator;

/// <summary>Maps the YAML config (snake_case keys) onto <see cref="EmulatorOptions"/>. The document is walked by hand
/// rather than deserialized so that every problem (unknown key, bad duration, wrong type) is reported with its path
/// instead of stopping at the first.</summary>
internal static class EmulatorOptionsYaml
{
    public static void Apply(string text, EmulatorOptions options, List<string> errors)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(text);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            errors.Add($"config: not valid YAML at line {e.Start.Line}: {e.Message}");
            return;
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return;
        }
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add("config: the document must be a mapping of keys to values");
            return;
        }

        var r = new Reader(errors);
        foreach (var (key, value) in r.Entries(root, ""))
        {
            switch (key)
            {
                case "listen":
                    options.Listen = r.String(value, key) ?? options.Listen;
                    break;
                case "tokens":
                    foreach (var token in r.Strings(value, key))
                    {
                        options.Tokens.Add(token);
                    }
                    break;
                case "scoped_tokens":
                    ReadScopedTokens(r, value, key, options.ScopedTokens);
                    break;
                case "username":
                    options.Username = r.String(value, key) ?? options.Username;
                    break;
                case "delays":
                    options.Delays = ReadDelays(r, value, key);
                    break;
                case "faults":
                    ReadFaults(r, value, key, options.Faults);
                    break;
                case "rate_limits":
                    ReadRateLimits(r, value, key, options.RateLimits);
                    break;
                case "runtime":
                    ReadRuntime(r, value, key, options.Runtime);
                    break;
                case "instance_address_pool":
                    options.InstanceAddressPool = r.String(value, key) ?? options.InstanceAddressPool;
                    break;
                case "nodebalancer_address_pool":
                    options.NodeBalancerAddressPool = r.String(value, key) ?? options.NodeBalancerAddressPool;
                    break;
                case "private_address_pool":
                    options.PrivateAddressPool = r.String(value, key) ?? options.PrivateAddressPool;
                    break;
                case "private_loopback_pool":
                    options.PrivateLoopbackPool = r.String(value, key) ?? options.PrivateLoopbackPool;
                    break;
                case "network":
                    EmulatorNetworkYaml.Read(r, value, key, options.Network);
                    break;
                case "private_images":
                    ReadPrivateImages(r, value, key, options.PrivateImages);
                    break;
                case "billing_period":
                    options.BillingPeriod = r.Duration(value, key) ?? options.BillingPeriod;
                    break;
                default:
                    r.Unknown(key);
                    break;
            }
        }
    }

    private static EmulatorDelays ReadDelays(Reader r, YamlNode node, string at)
    {
        if (node is not YamlMappingNode map)
        {
            r.Error(at, "must be a mapping");
            return EmulatorDelays.Fast;
        }
        // The profile is the base; individual steps override it whatever their order in the file.
        var delays = EmulatorDelays.Fast;
        if (map.Children.TryGetValue(new YamlScalarNode("profile"), out var profileNode))
        {
            switch (r.String(profileNode, at + ".profile"))
            {
                case "fast":
                    break;
                case "realistic":
                    delays = EmulatorDelays.Realistic;
                    break;
                case "none":
                    delays = EmulatorDelays.None;
                    break;
                case var other:
                    r.Error(at + ".profile", $"must be fast, realistic or none (is '{other}')");
                    break;
            }
        }
        foreach (var (key, value) in r.Entries(map, at))
        {
            var path = at + "." + key;
            switch (key)
            {
                case "profile":
                    break;
                case "provisioning":
                    delays.Provisioning = r.Duration(value, path) ?? delays.Provisioning;
                    break;
                case "booting":
                    delays.Booting = r.Duration(value, path) ?? delays.Booting;
                    break;
                case "shutting_down":
                    delays.ShuttingDown = r.Duration(value, path) ?? delays.ShuttingDown;
                    break;
                case "rebooting":
                    delays.Rebooting = r.Duration(value, path) ?? delays.Rebooting;
                    break;
                case "deleting":
                    delays.Deleting = r.Duration(value, path) ?? delays.Deleting;
                    break;
                case "nodebalancer_apply":
                    delays.NodeBalancerApply = r.Duration(value, path) ?? delays.NodeBalancerApply;
                    break;
                case "nodebalancer_apply_random":
                    delays.NodeBalancerApplyRandom = r.Bool(value, path) ?? delays.NodeBalancerApplyRandom;
                    break;
                default:
                    r.Unknown(path);
                    break;
            }
        }
        return delays;
    }

    private static void ReadFaults(Reader r, YamlNode node, string at, EmulatorFaults faults)
    {
        foreach (var (key, value) in r.Entries(node, at))
        {
            var path = at + "." + key;
            switch (key)
            {
                case "rate_429":
                    faults.Rate429 = r.Double(value, path) ?? faults.Rate429;
                    break;
                case "retry_after_seconds":
                    faults.RetryAfterSeconds = r.Int(value, path) ?? faults.RetryAfterSeconds;
                    break;
                case "rate_500":
                    faults.Rate500 = r.Double(value, path) ?? faults.Rate500;
                    break;
                case "rate_maintenance":
                    faults.RateMaintenance = r.Double(value, path) ?? faults.RateMaintenance;
                    break;
                case "latency_ms":
                    faults.LatencyMs = r.Int(value, path) ?? faults.LatencyMs;
                    break;
                case "boot_failure_rate":
                    faults.BootFailureRate = r.Double(value, path) ?? faults.BootFailureRate;
                    break;
                default:
                    r.Unknown(path);
                    break;
            }
        }
    }

    private static void ReadRateLimits(Reader r, YamlNode node, string at, EmulatorRateLimits limits)
    {
        // Bounds are checked by EmulatorRateLimits.Validate, with the rest of the options.
        foreach (var (key, value) in r.Entries(node, at))
        {
            var path = at + "." + key;
            switch (key)
            {
                case "enabled":
                    limits.Enabled = r.Bool(value, path) ?? limits.Enabled;
                    break;
                case "general_limit":
                    limits.GeneralLimit = r.Int(value, path) ?? limits.GeneralLimit;
                    break;
                case "general_window":
                    limits.GeneralWindow = r.Duration(value, path) ?? limits.GeneralWindow;
                    break;
                case "create_instance_limit":
                    limits.CreateInstanceLimit = r.Int(value, path) ?? limits.CreateInstanceLimit;
                    break;
                case "create_instance_window":
                    limits.CreateInstanceWindow = r.Duration(value, path) ?? limits.CreateInstanceWindow;
                    break;
                case "paginated_limit":
                    limits.PaginatedLimit = r.Int(value, path) ?? limits.PaginatedLimit;
                    break;
                case "paginated_window":
                    limits.PaginatedWindow = r.Duration(value, path) ?? limits.PaginatedWindow;
                    break;
                case "images_limit":
                    limits.ImagesLimit = r.Int(value, path) ?? limits.ImagesLimit;
                    break;
                case "images_window":
                    limits.ImagesWindow = r.Duration(value, path) ?? limits.ImagesWindow;
                    break;
                case "stats_limit":
                    limits.StatsLimit = r.Int(value, path) ?? limits.StatsLimit;
                    break;
                case "stats_window":
                    limits.StatsWindow = r.Duration(value, path) ?? limits.StatsWindow;
                    break;
                default:
                    r.Unknown(path);
                    break;
            }
        }
    }

    private static void ReadScopedTokens(Reader r, YamlNode node, string at, List<EmulatorToken> tokens)
    {
        if (node is not YamlSequenceNode sequence)
        {
            r.Error(at, "must be a list");
            return;
        }
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var token = new EmulatorToken();
            var itemAt = $"{at}[{i}]";
            foreach (var (key, value) in r.Entries(sequence.Children[i], itemAt))
            {
                var path = itemAt + "." + key;
                switch (key)
                {
                    case "token":
                        token.Token = r.String(value, path) ?? "";
                        break;
                    case "scopes":
                        token.Scopes = r.String(value, path) ?? "";
                        break;
                    case "user":
                        token.User = r.String(value, path);
                        break;
                    default:
                        r.Unknown(path);
                        break;
                }
            }
            tokens.Add(token);
        }
    }

    private static void ReadRuntime(Reader r, YamlNode node, string at, InstanceRuntimeOptions runtime)
    {
        foreach (var (key, value) in r.Entries(node, at))
        {
            var path = at + "." + key;
            switch (key)
            {
                case "images":
                    foreach (var (image, commandNode) in r.Entries(value, path, keysAreData: true))
                    {
                        if (ReadCommand(r, commandNode, $"{path}['{image}']") is { } command)
                        {
                            runtime.Images[image] = command;
                        }
                    }
                    break;
                case "default_command":
                    runtime.DefaultCommand = ReadCommand(r, value, path) ?? runtime.DefaultCommand;
                    break;
                case "workload_path":
                    runtime.WorkloadPath = r.String(value, path) ?? runtime.WorkloadPath;
                    break;
                case "stop_grace_period":
                    runtime.StopGracePeriod = r.Duration(value, path) ?? runtime.StopGracePeriod;
                    break;
                case "kind":
                    switch (r.String(value, path))
                    {
                        case null:
                            break;
                        case "process":
                            runtime.Kind = InstanceRuntimeKind.Process;
                            break;
                        case "lightweight":
                            runtime.Kind = InstanceRuntimeKind.Lightweight;
                            break;
                        case var other:
                            r.Error(path, $"'{other}' is not 'process' or 'lightweight'");
                            break;
                    }
                    break;
                case "work_ms":
                    runtime.WorkMs = r.Int(value, path) ?? runtime.WorkMs;
                    break;
                case "queue":
                    runtime.Queue = r.Int(value, path) ?? runtime.Queue;
                    break;
                default:
                    r.Unknown(path);
                    break;
            }
        }
    }

    private static ImageCommand? ReadCommand(Reader r, YamlNode node, string at)
    {
        string? command = null;
        var args = new List<string>();
        foreach (var (key, value) in r.Entries(node, at))
        {
            switch (key)
            {
                case "command":
                    command = r.String(value, at + ".command");
                    break;
                case "args":
                    args.AddRange(r.Strings(value, at + ".args"));
                    break;
                default:
                    r.Unknown(at + "." + key);
                    break;
            }
        }
        if (string.IsNullOrWhiteSpace(command))
        {
            r.Error(at + ".command", "must not be empty");
            return null;
        }
        return new ImageCommand(command, args);
    }

    private static void ReadPrivateImages(Reader r, YamlNode node, string at, List<EmulatorPrivateImage> images)
    {
        if (node is not YamlSequenceNode sequence)
        {
            r.Error(at, "must be a list");
            return;
        }
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            var image = new EmulatorPrivateImage();
            var itemAt = $"{at}[{i}]";
            foreach (var (key, value) in r.Entries(sequence.Children[i], itemAt))
            {
                var path = itemAt + "." + key;
                switch (key)
                {
                    case "id":
                        image.Id = r.String(value, path) ?? "";
                        break;
                    case "label":
                        image.Label = r.String(value, path) ?? "";
                        break;
                    case "description":
                        image.Description = r.String(value, path);
                        break;
                    case "size":
                        image.Size = r.Int(value, path) ?? image.Size;
                        break;
                    case "cloud_init":
                        image.CloudInit = r.Bool(value, path) ?? image.CloudInit;
                        break;
                    case "tags":
                        image.Tags.AddRange(r.Strings(value, path));
                        break;
                    default:
                        r.Unknown(path);
                        break;
                }
            }
            images.Add(image);
        }
    }

    internal sealed class Reader(List<string> errors)
    {
        public void Error(string at, string message) => errors.Add($"{at}: {message}");

        public void Unknown(string at) => errors.Add($"{at}: unknown key");

        public IEnumerable<(string Key, YamlNode Value)> Entries(YamlNode node, string at, bool keysAreData = false)
        {
            if (node is YamlScalarNode { Value: null or "" or "~" })
            {
                yield break;
            }
            if (node is not YamlMappingNode map)
            {
                Error(at.Length == 0 ? "config" : at, "must be a mapping");
                yield break;
            }
            foreach (var (keyNode, value) in map.Children)
            {
                if (keyNode is not YamlScalarNode { Value: { } key })
                {
                    Error(at, "keys must be plain strings");
                    continue;
                }
                yield return (keysAreData ? key : key.ToLowerInvariant(), value);
            }
        }

        public string? String(YamlNode node, string at)
        {
            if (node is YamlScalarNode scalar)
            {
                return scalar.Value;
            }
            Error(at, "must be a single value");
            return null;
        }

        public List<string> Strings(YamlNode node, string at)
        {
            if (node is YamlScalarNode { Value: null or "" })
            {
                return [];
            }
            if (node is not YamlSequenceNode sequence)
            {
                Error(at, "must be a list");
                return [];
            }
            var values = new List<string>();
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                if (sequence.Children[i] is YamlScalarNode { Value: { } value })
                {
                    values.Add(value);
                }
                else
                {
                    Error($"{at}[{i}]", "must be a single value");
                }
            }
            return values;
        }

        public int? Int(YamlNode node, string at)
        {
            var text = String(node, at);
            if (text is null)
            {
                return null;
            }
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
            Error(at, $"must be a whole number (is '{text}')");
            return null;
        }

        public double? Double(YamlNode node, string at)
        {
            var text = String(node, at);
            if (text is null)
            {
                return null;
            }
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
            Error(at, $"must be a number (is '{text}')");
            return null;
        }

        public bool? Bool(YamlNode node, string at)
        {
            var text = String(node, at);
            switch (text?.ToLowerInvariant())
            {
                case null:
                    return null;
                case "true" or "yes" or "on":
                    return true;
                case "false" or "no" or "off":
                    return false;
                default:
                    Error(at, $"must be true or false (is '{text}')");
                    return null;
            }
        }

        public TimeSpan? Duration(YamlNode node, string at)
        {
            var text = String(node, at);
            if (text is null)
            {
                return null;
            }
            if (Durations.TryParse(text, out var value, out var hint))
            {
                return value;
            }
            Error(at, $"must be a duration such as 500ms, 30s, 2m or 1h30m (is '{text}'{(hint is null ? "" : "; " + hint)})");
            return null;
        }
    }
}

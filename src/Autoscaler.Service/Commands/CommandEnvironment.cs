using System.Text;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Commands;

/// <summary>
/// The whole environment of a command run. It starts empty — the service's own (the Linode token, the webhook's
/// credentials, whatever its unit file sets) never passes — and gets PATH, HOME and LANG from the service, the
/// command's <c>pass_env</c> names, and the notification's <c>AMX_*</c> variables. A value too long for
/// <c>execve</c> (Linux refuses any one string over 128 KiB with E2BIG, and the whole block beyond its limit) is cut
/// at a character boundary; the cut names are listed in <c>AMX_TRUNCATED</c> and returned, so the run says so.
/// </summary>
public static class CommandEnvironment
{
    /// <summary>Linux's MAX_ARG_STRLEN: the longest one <c>NAME=value</c> string execve takes, with its NUL.</summary>
    public const int MaxStringBytes = 128 * 1024;

    /// <summary>Bytes of <c>NAME=value</c> strings given to one run in all; well inside the usual 2 MiB ARG_MAX, which
    /// the arguments share.</summary>
    public const int MaxTotalBytes = 1024 * 1024;

    /// <summary>Variables every command gets from the service, when set there.</summary>
    public static readonly IReadOnlyList<string> Inherited = ["PATH", "HOME", "LANG"];

    /// <summary>Used when the service itself has no PATH.</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The environment for a run of <paramref name="command"/>; <paramref name="service"/> reads the service's
    /// own variables.</summary>
    public static (Dictionary<string, string> Environment, IReadOnlyList<string> Truncated) Build(CommandConfig command,
        IReadOnlyDictionary<string, string> amx, Func<string, string?> service)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(amx);
        ArgumentNullException.ThrowIfNull(service);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var truncated = new List<string>();
        var budget = MaxTotalBytes - 4096; // room for AMX_TRUNCATED
        foreach (var name in Inherited.Concat(command.PassEnv))
        {
            if (service(name) is { } value)
            {
                Add(env, truncated, name, value, ref budget);
            }
        }

        env.TryAdd("PATH", DefaultPath);
        foreach (var (name, value) in amx)
        {
            Add(env, truncated, name, value, ref budget);
        }

        if (truncated.Count > 0)
        {
            var list = string.Join(",", truncated);
            env["AMX_TRUNCATED"] = list.Length <= 3000 ? list : list[..3000] + ",…";
        }

        return (env, truncated);
    }

    private static void Add(Dictionary<string, string> env, List<string> truncated, string name, string value, ref int budget)
    {
        var nameBytes = Encoding.UTF8.GetByteCount(name) + 2; // '=' and the NUL
        var room = Math.Max(0, Math.Min(MaxStringBytes - nameBytes, budget - nameBytes));
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > room)
        {
            value = Cut(value, room);
            bytes = Encoding.UTF8.GetByteCount(value);
            truncated.Add(name);
        }

        env[name] = value;
        budget -= nameBytes + bytes;
    }

    /// <summary>The longest prefix of <paramref name="value"/> within <paramref name="maxBytes"/> UTF-8 bytes, never
    /// splitting a surrogate pair.</summary>
    private static string Cut(string value, int maxBytes)
    {
        var used = 0;
        var i = 0;
        while (i < value.Length)
        {
            var width = char.IsHighSurrogate(value[i]) && i + 1 < value.Length ? 2 : 1;
            var bytes = Encoding.UTF8.GetByteCount(value.AsSpan(i, width));
            if (used + bytes > maxBytes)
            {
                break;
            }

            used += bytes;
            i += width;
        }

        return value[..i];
    }
}

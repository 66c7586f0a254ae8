using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Tests.Configuration;

/// <summary>The parse set-up the configuration tests of one section share: a valid one-pool file to add the section
/// to, and its parse or its error messages.</summary>
internal static class ConfigParse
{
    /// <summary>A minimal valid file with one pool <c>web</c> (pool keys at four spaces, top-level keys at none).</summary>
    public const string OnePool = """
        linode: { token: t }
        pools:
          web:
            region: us-east
            type: g6-standard-1
            image: linode/debian12
            min: 1
            max: 3
            nodebalancer: { label: web-nb, port: 80 }
        """;

    /// <summary>Parses <paramref name="yaml"/> with <paramref name="env"/> as the environment (empty by default).</summary>
    public static ConfigResult Parse(string yaml, IReadOnlyDictionary<string, string>? env = null) =>
        ServiceSchema.Parse(yaml, env ?? new Dictionary<string, string>());

    /// <summary>The messages of a parse that must fail.</summary>
    public static string[] Errors(string yaml, IReadOnlyDictionary<string, string>? env = null)
    {
        var result = Parse(yaml, env);
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.Message).ToArray();
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Linode.Emulator.Catalog;

namespace Linode.Emulator.State;

/// <summary>
/// What makes a NodeBalancer config or node acceptable beyond the shape of its fields: the values each setting takes,
/// the config checked as a whole (a port free on the NodeBalancer, check_interval above check_timeout, a certificate
/// for https...) and a node's backend (a private address of an instance in the NodeBalancer's region). Problems are
/// reported through <c>problem(field, reason)</c>, the field named relative to the object checked, so the API can
/// list every one with its full path. Called with <see cref="EmulatorState.Gate"/> held.
/// </summary>
internal static class NodeBalancerRules
{
    public static readonly string[] Protocols = ["http", "https", "tcp"];
    public static readonly string[] Algorithms = ["roundrobin", "leastconn", "source"];
    public static readonly string[] Stickinesses = ["none", "table", "http_cookie"];
    public static readonly string[] Checks = ["none", "connection", "http", "http_body"];
    public static readonly string[] CipherSuites = ["recommended", "legacy"];
    public static readonly string[] ProxyProtocols = ["none", "v1", "v2"];
    public static readonly string[] Modes = ["accept", "reject", "drain", "backup"];

    public const string LabelTaken = "Label must be unique among your NodeBalancers";

    /// <summary>True when another NodeBalancer than <paramref name="exceptId"/> has <paramref name="label"/>.</summary>
    public static bool IsLabelTaken(EmulatorState state, string label, long exceptId = 0) =>
        state.NodeBalancers.Values.Any(nb => nb.Id != exceptId && nb.Label == label);

    /// <summary>Checks a config's settings together (after the request's fields were read onto it).
    /// <paramref name="checkPort"/> is false when the port itself was already rejected.</summary>
    public static void CheckConfig(NodeBalancerConfig draft, IReadOnlySet<int> portsInUse, bool checkPort, Action<string, string> problem)
    {
        if (checkPort && portsInUse.Contains(draft.Port))
        {
            problem("port", "Port is already in use by another config on this NodeBalancer");
        }
        if (draft.CheckTimeout is < 1 or > 30)
        {
            problem("check_timeout", "Must be between 1 and 30");
        }
        if (draft.CheckAttempts is < 1 or > 30)
        {
            problem("check_attempts", "Must be between 1 and 30");
        }
        if (draft.CheckInterval is < 2 or > 3600)
        {
            problem("check_interval", "Must be between 2 and 3600");
        }
        else if (draft.CheckInterval <= draft.CheckTimeout)
        {
            problem("check_interval", "check_interval must be greater than check_timeout");
        }
        if (draft.Check == "http_body" && draft.CheckBody.Length == 0)
        {
            problem("check_body", "check_body is required for http_body checks");
        }
        if (draft.Stickiness == "http_cookie" && draft.Protocol == "tcp")
        {
            problem("stickiness", "http_cookie stickiness needs the http or https protocol");
        }
        if (draft.ProxyProtocol != "none" && draft.Protocol != "tcp")
        {
            problem("proxy_protocol", "Proxy protocol needs the tcp protocol");
        }
    }

    /// <summary>An https config needs a certificate and key that form a valid PEM pair (a new pair gives the config
    /// its common name and fingerprint); any other protocol drops them.</summary>
    public static void ApplyTls(NodeBalancerConfig draft, string? cert, string? key, Action<string, string> problem)
    {
        if (draft.Protocol != "https")
        {
            draft.SslCert = null;
            draft.SslKey = null;
            draft.SslCommonName = "";
            draft.SslFingerprint = "";
            return;
        }

        if (cert is not null)
        {
            draft.SslCert = cert;
        }
        if (key is not null)
        {
            draft.SslKey = key;
        }
        if (draft.SslCert is null)
        {
            problem("ssl_cert", "ssl_cert is required for https");
        }
        if (draft.SslKey is null)
        {
            problem("ssl_key", "ssl_key is required for https");
        }
        if (draft.SslCert is not null && draft.SslKey is not null && (cert is not null || key is not null))
        {
            try
            {
                using var parsed = X509Certificate2.CreateFromPem(draft.SslCert, draft.SslKey);
                draft.SslCommonName = parsed.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
                draft.SslFingerprint = string.Join(':', parsed.Thumbprint.Chunk(2).Select(c => new string(c)));
            }
            catch (CryptographicException)
            {
                problem("ssl_cert", "The certificate and key are not a valid PEM pair");
            }
        }
    }

    /// <summary>Why <paramref name="address"/> cannot be a node's backend in <paramref name="region"/>, or null.</summary>
    public static string? BackendProblem(EmulatorState state, IPAddress address, Region region)
    {
        if (!state.PrivatePool.Contains(address))
        {
            // The real API only takes private addresses; here they are also the only ones that map to a backend.
            return "Must be a private IP address";
        }
        if (state.InstanceWithPrivate(address) is not { } owner || owner.Region.Id != region.Id)
        {
            return $"No Linode in {region.Id} has the private IP address {address}";
        }
        return null;
    }
}

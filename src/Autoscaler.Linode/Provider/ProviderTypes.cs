using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using Autoscaler.Core.Providers;
using Autoscaler.Linode.Models;

namespace Autoscaler.Linode.Provider;

/// <summary>The NodeBalancer config a pool's members join, as resolved from the pool's configuration.</summary>
/// <param name="NodeBalancerId">NodeBalancer id.</param>
/// <param name="Label">NodeBalancer label (for messages).</param>
/// <param name="Region">NodeBalancer region (members must be in the same one: nodes use private IPs).</param>
/// <param name="ConfigId">Config id.</param>
/// <param name="Port">Config (front-end) port.</param>
public sealed record NodeBalancerTarget(long NodeBalancerId, string Label, string Region, long ConfigId, int Port)
{
    /// <summary><c>NodeBalancer 'web-nb' (12) port 80 (config 34)</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"NodeBalancer '{Label}' ({NodeBalancerId}) port {Port} (config {ConfigId})");
}

/// <summary>The provider refused to act on an instance that is not (or no longer) a member of the pool: it does not
/// carry the pool tag. The autoscaler never touches such an instance.</summary>
public sealed class PoolMembershipException : InvalidOperationException
{
    public PoolMembershipException()
    {
    }

    public PoolMembershipException(string message)
        : base(message)
    {
    }

    public PoolMembershipException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal PoolMembershipException(string pool, string poolTag, long instanceId, string label, string action)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"pool '{pool}': instance {instanceId} ({label}) does not carry the pool tag '{poolTag}'; refusing to {action} it"))
    {
        Pool = pool;
        InstanceId = instanceId;
    }

    /// <summary>Pool name.</summary>
    public string? Pool { get; }

    /// <summary>The instance that was left alone.</summary>
    public long? InstanceId { get; }
}

/// <summary>A Linode pool could not be set up (its NodeBalancer, config, region, type, image or user data is wrong).
/// <see cref="Exception.Message"/> lists every problem, each naming its pool.</summary>
public sealed class LinodePoolSetupException : ProviderSetupException
{
    public LinodePoolSetupException()
        : this([])
    {
    }

    public LinodePoolSetupException(string message)
        : this([message])
    {
    }

    public LinodePoolSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>One exception for every problem found.</summary>
    public LinodePoolSetupException(IReadOnlyList<string> errors)
        : base("Linode pools cannot be set up:", errors)
    {
    }
}

/// <summary>Generates root passwords for new instances: 32 characters from a CSPRNG with lower, upper, digit and
/// symbol characters. A password only lives in the create request; it is never logged or stored (access is by the
/// configured SSH keys).</summary>
internal static class RootPasswords
{
    private const string Lower = "abcdefghijkmnopqrstuvwxyz";
    private const string Upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    private const string Digits = "23456789";
    private const string Symbols = "-_.+=@%^";
    private const string All = Lower + Upper + Digits + Symbols;
    private static readonly SearchValues<char> LowerValues = SearchValues.Create(Lower);
    private static readonly SearchValues<char> UpperValues = SearchValues.Create(Upper);
    private static readonly SearchValues<char> DigitValues = SearchValues.Create(Digits);
    private static readonly SearchValues<char> SymbolValues = SearchValues.Create(Symbols);

    public static string Generate(int length = 32)
    {
        while (true)
        {
            var candidate = RandomNumberGenerator.GetString(All, length);
            var span = candidate.AsSpan();
            if (span.ContainsAny(LowerValues) && span.ContainsAny(UpperValues) && span.ContainsAny(DigitValues) && span.ContainsAny(SymbolValues))
            {
                return candidate;
            }
        }
    }
}

/// <summary>
/// Node labels mark the nodes the autoscaler added, so the orphan rule can tell them from nodes added by hand or by
/// Terraform. A node label is at most 32 characters of <c>[A-Za-z0-9-_.]</c>: <c>MARK-TAIL</c> where MARK is the pool's
/// label prefix (cut to 20 characters) and TAIL the instance label's unique suffix (or the instance id for a member whose
/// label does not start with the prefix). With the default prefix the node label equals the instance label
/// (<c>web-k3v9x2ab</c>).
/// </summary>
internal static class NodeLabels
{
    private const int MaxLength = 32;
    private const int MaxMarkLength = 20;

    public static string Mark(string labelPrefix) =>
        (labelPrefix.Length > MaxMarkLength ? labelPrefix[..MaxMarkLength] : labelPrefix) + "-";

    public static string For(string labelPrefix, Instance instance)
    {
        var mark = Mark(labelPrefix);
        var tail = instance.Label.StartsWith(labelPrefix + "-", StringComparison.Ordinal) && instance.Label.Length > labelPrefix.Length + 1
            ? instance.Label[(labelPrefix.Length + 1)..]
            : instance.Id.ToString(CultureInfo.InvariantCulture);
        var label = mark + tail;
        return label.Length > MaxLength ? label[..MaxLength] : label;
    }

    public static bool IsOurs(string labelPrefix, string? nodeLabel) =>
        nodeLabel is not null && nodeLabel.StartsWith(Mark(labelPrefix), StringComparison.Ordinal);
}

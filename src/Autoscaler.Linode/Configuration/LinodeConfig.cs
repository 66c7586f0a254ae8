using System.Globalization;
using System.Text;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Linode.Configuration;

/// <summary>The Linode API connection: the top-level <c>linode:</c> section.</summary>
public sealed record LinodeConfig : IConfigSectionValue
{
    /// <summary>The API's address when <c>url</c> is not set.</summary>
    public static readonly Uri DefaultUrl = new("https://api.linode.com/v4");

    /// <summary>API base URL. Default <c>https://api.linode.com/v4</c>.</summary>
    public Uri Url { get; init; } = DefaultUrl;

    /// <summary>Personal access token.</summary>
    public required Secret Token { get; init; }

    /// <summary>The account's billing period: Linode bills per started hour (the default); a demo against the emulator
    /// shortens it on both sides to show scale-in at period ends within minutes.</summary>
    public TimeSpan BillingPeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Linode's apply delay for real API addresses: NodeBalancer node changes "are applied within 60 seconds".</summary>
    public static readonly TimeSpan RealApplyDelay = TimeSpan.FromSeconds(60);

    /// <summary>How long the NodeBalancers may take to apply a node change after the API answered (a drain lasts at
    /// least this plus the pool's <c>drain</c>). Default 60 s for a real API address, 0 for a loopback one (the
    /// emulator's <c>fast</c> profile applies at once; set it for the <c>realistic</c> profile).</summary>
    public TimeSpan ApplyDelay { get; init; } = RealApplyDelay;

    /// <summary>The default <see cref="NodeRefresh"/>: 60 s. A node going DOWN does not wait for it: each pass reads
    /// the config's own UP/DOWN counts (one GET of the general bucket) and re-reads the nodes when they differ.</summary>
    public static readonly TimeSpan DefaultNodeRefresh = TimeSpan.FromSeconds(60);

    /// <summary>How often a NodeBalancer config's nodes are read in full when nothing says they changed. They are read
    /// at once when a member boots, a node of ours is not UP or drains, a change of ours is younger than
    /// <see cref="ApplyDelay"/>, or the config's <c>nodes_status</c> (read every pass: one non-paginated GET per
    /// config) counts other numbers of nodes UP and DOWN than the cached list. Linode has no account-wide list of
    /// nodes: each config's list is one paginated GET, so with many pools this keeps the paginated calls per pass from
    /// growing with the pools; what it delays is seeing a change the counts do not show (a node swapped for another
    /// in the same pass, a mode set by hand). 0 reads every pass. Default 60 s.</summary>
    public TimeSpan NodeRefresh { get; init; } = DefaultNodeRefresh;

    /// <summary>How long one list of the account's managed instances serves every pool's snapshot; null: 0.8 ×
    /// <c>engine.evaluation_interval</c>, at most 10 s (one list per pass). 0 reads on every snapshot (a pool per
    /// list, as before the shared view: only for measuring the path of one evaluation).</summary>
    public TimeSpan? SnapshotFreshness { get; init; }

    /// <summary>The default <see cref="ApplyDelay"/> for <paramref name="url"/>.</summary>
    public static TimeSpan DefaultApplyDelay(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.IsLoopback ? TimeSpan.Zero : RealApplyDelay;
    }

    /// <inheritdoc />
    public void Describe(StringBuilder text, string indent)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append(CultureInfo.InvariantCulture, $"{indent}linode: {{ url: {Url}, token: {Token}, billing_period: {Autoscaler.Common.Durations.Format(BillingPeriod)}, apply_delay: {Autoscaler.Common.Durations.Format(ApplyDelay)}, node_refresh: {Autoscaler.Common.Durations.Format(NodeRefresh)}{(SnapshotFreshness is { } f ? ", snapshot_freshness: " + Autoscaler.Common.Durations.Format(f) : "")} }}\n");
    }
}

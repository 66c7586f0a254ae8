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

    /// <inheritdoc />
    public void Describe(StringBuilder text, string indent)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append(CultureInfo.InvariantCulture, $"{indent}linode: {{ url: {Url}, token: {Token}, billing_period: {Autoscaler.Common.Durations.Format(BillingPeriod)} }}\n");
    }
}

using System.Globalization;
using System.Text;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Service.Configuration;

/// <summary>The web dashboard's history: how often each pool is sampled and how much is kept (in memory).</summary>
public sealed record DashboardConfig
{
    /// <summary>Time between two samples of every pool. Default 5 s.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How far back the charts reach. Default 1 h.</summary>
    public TimeSpan History { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Most samples a pool keeps: <see cref="History"/> / <see cref="SampleInterval"/>.</summary>
    public int Capacity => (int)Math.Max(1, Math.Ceiling(History / SampleInterval));

    /// <summary>Largest <see cref="Capacity"/> accepted, so a pool's history stays a few hundred kilobytes.</summary>
    public const int MaxSamples = 20_000;
}

/// <summary>
/// What a pool's dashboard charts beyond what the autoscaler knows itself (instances by state, decisions): PromQL
/// queries, each giving one number for the pool. Any of them may be left out; its chart then says the value is not
/// known.
/// </summary>
public sealed record PoolDashboardConfig : IConfigSectionValue
{
    /// <summary>Prometheus base URL; when not set, the pool's first <c>target_tracking</c> signal's.</summary>
    public required Uri Prometheus { get; init; }

    /// <summary>Requests per second through the pool's NodeBalancer.</summary>
    public string? Requests { get; init; }

    /// <summary>The pool's aggregate CPU, in percent.</summary>
    public string? Cpu { get; init; }

    /// <summary>The pool's 95th percentile latency, in seconds.</summary>
    public string? LatencyP95 { get; init; }

    /// <inheritdoc />
    public void Describe(StringBuilder text, string indent)
    {
        ArgumentNullException.ThrowIfNull(text);
        text.Append(CultureInfo.InvariantCulture, $"{indent}dashboard: {{ prometheus: {Prometheus}, requests: {Query(Requests)}, cpu: {Query(Cpu)}, latency_p95: {Query(LatencyP95)} }}\n");
    }

    private static string Query(string? q) => q is null ? "~" : "'" + q + "'";
}

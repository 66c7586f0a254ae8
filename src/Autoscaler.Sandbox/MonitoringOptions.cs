using System.Globalization;

namespace Autoscaler.Sandbox;

/// <summary>What the <see cref="MonitoringStack"/> runs and how fast it reacts. The defaults are the demo's: scrapes
/// every 2 s and alerts within seconds.</summary>
public sealed record MonitoringOptions
{
    /// <summary>Prometheus binary; null finds Debian's <c>prometheus</c> in PATH.</summary>
    public string? PrometheusPath { get; init; }

    /// <summary>Alertmanager binary; null finds Debian's <c>prometheus-alertmanager</c> (or <c>alertmanager</c>) in PATH.</summary>
    public string? AlertmanagerPath { get; init; }

    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan RuleInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The rate() window of the pool CPU rule.</summary>
    public TimeSpan RateWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>PoolCpuHigh fires above this CPU % …</summary>
    public double HighPercent { get; init; } = 70;

    /// <summary>… held this long.</summary>
    public TimeSpan HighFor { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>PoolCpuLow fires below this CPU % …</summary>
    public double LowPercent { get; init; } = 25;

    /// <summary>… held this long.</summary>
    public TimeSpan LowFor { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan GroupWait { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan GroupInterval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan RepeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for each program to answer <c>/-/ready</c>.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Whole seconds as Prometheus' configuration writes them (<c>10s</c>), at least 1.</summary>
    public static string Seconds(TimeSpan t) => ((int)Math.Max(1, Math.Round(t.TotalSeconds))).ToString(CultureInfo.InvariantCulture) + "s";
}

using Autoscaler.Common;
using Autoscaler.Core.Configuration;

namespace Autoscaler.Service.Configuration;

/// <summary>The <c>dashboard</c> sections: the top-level one (sampling) and each pool's (PromQL queries).</summary>
public sealed class DashboardSection : IPoolSection
{
    /// <summary>Reads the top-level <c>dashboard</c> (part of <see cref="ServiceSection"/>).</summary>
    internal static DashboardConfig ReadDashboard(MapReader root)
    {
        var m = root.Map("dashboard");
        var defaults = new DashboardConfig();
        if (m is null)
        {
            return defaults;
        }

        var interval = m.Duration("sample_interval");
        if (interval is { } i && (i < TimeSpan.FromMilliseconds(100) || i > TimeSpan.FromHours(1)))
        {
            m.Error("dashboard.sample_interval must be between 100ms and 1h", m.Raw("sample_interval"));
            interval = null;
        }

        var history = m.Duration("history");
        if (history == TimeSpan.Zero)
        {
            m.Error("dashboard.history must be > 0", m.Raw("history"));
            history = null;
        }

        m.Done();
        var config = new DashboardConfig
        {
            SampleInterval = interval ?? defaults.SampleInterval,
            History = history ?? defaults.History,
        };
        if (config.History < config.SampleInterval)
        {
            m.Error($"dashboard.history ({Durations.Format(config.History)}) is shorter than dashboard.sample_interval ({Durations.Format(config.SampleInterval)})", m.Raw("history") ?? m.Node);
        }
        else if (config.History / config.SampleInterval > DashboardConfig.MaxSamples)
        {
            m.Error($"dashboard.history / dashboard.sample_interval must be at most {DashboardConfig.MaxSamples} samples (got {Math.Ceiling(config.History / config.SampleInterval)})", m.Raw("history") ?? m.Node);
        }

        return config;
    }

    /// <summary>Reads a pool's <c>dashboard</c> queries; its Prometheus defaults to the first one a signal of the pool reads.</summary>
    public IConfigSectionValue? Read(MapReader pool, PoolReadContext context)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(context);
        var signals = context.Signals;
        var m = pool.Map("dashboard");
        if (m is null)
        {
            return null;
        }

        var ctx = m.Context;
        var url = m.HttpUrl("prometheus");
        var hasUrl = m.Has("prometheus");
        string? Query(string key)
        {
            var q = m.String(key);
            if (q is not null && q.Trim().Length == 0)
            {
                m.Error($"{ctx}{m.Field(key)} must not be empty", m.Raw(key));
                return null;
            }

            return q;
        }

        var requests = Query("requests");
        var cpu = Query("cpu");
        var latency = Query("latency_p95");
        m.Done();
        if (!m.Has("requests") && !m.Has("cpu") && !m.Has("latency_p95"))
        {
            m.Error($"{ctx}dashboard needs at least one of requests, cpu, latency_p95", m.Node);
            return null;
        }

        url ??= signals.Select(s => s.Metric?.Prometheus).FirstOrDefault(u => u is not null);
        if (url is null)
        {
            if (!hasUrl)
            {
                m.Error($"{ctx}dashboard.prometheus is required (the pool has no target_tracking signal to take it from)", m.Node);
            }

            return null;
        }

        return new PoolDashboardConfig { Prometheus = url, Requests = requests, Cpu = cpu, LatencyP95 = latency };
    }
}

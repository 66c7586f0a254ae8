using Autoscaler.Common;
using Autoscaler.Core.Signals;

namespace Autoscaler.Core.Configuration;

/// <summary>The <c>dashboard</c> sections: the top-level one (sampling) and each pool's (PromQL queries).</summary>
internal sealed partial class ConfigParser
{
    private DashboardConfig ReadDashboard(MapReader root)
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
            Error("dashboard.sample_interval must be between 100ms and 1h", m.Raw("sample_interval"));
            interval = null;
        }

        var history = m.Duration("history");
        if (history == TimeSpan.Zero)
        {
            Error("dashboard.history must be > 0", m.Raw("history"));
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
            Error($"dashboard.history ({Durations.Format(config.History)}) is shorter than dashboard.sample_interval ({Durations.Format(config.SampleInterval)})", m.Raw("history") ?? m.Node);
        }
        else if (config.History / config.SampleInterval > DashboardConfig.MaxSamples)
        {
            Error($"dashboard.history / dashboard.sample_interval must be at most {DashboardConfig.MaxSamples} samples (got {Math.Ceiling(config.History / config.SampleInterval)})", m.Raw("history") ?? m.Node);
        }

        return config;
    }

    private PoolDashboardConfig? ReadPoolDashboard(MapReader pool, IReadOnlyList<SignalConfig> signals)
    {
        var m = pool.Map("dashboard");
        if (m is null)
        {
            return null;
        }

        var ctx = m.Context;
        var url = ReadHttpUrl(m, "prometheus", required: false);
        var hasUrl = m.Has("prometheus");
        string? Query(string key)
        {
            var q = m.String(key);
            if (q is not null && q.Trim().Length == 0)
            {
                Error($"{ctx}{m.Field(key)} must not be empty", m.Raw(key));
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
            Error($"{ctx}dashboard needs at least one of requests, cpu, latency_p95", m.Node);
            return null;
        }

        url ??= signals.Select(s => s.Metric?.Prometheus).FirstOrDefault(u => u is not null);
        if (url is null)
        {
            if (!hasUrl)
            {
                Error($"{ctx}dashboard.prometheus is required (the pool has no target_tracking signal to take it from)", m.Node);
            }

            return null;
        }

        return new PoolDashboardConfig { Prometheus = url, Requests = requests, Cpu = cpu, LatencyP95 = latency };
    }
}

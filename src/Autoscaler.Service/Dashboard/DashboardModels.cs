namespace Autoscaler.Service.Dashboard;

/// <summary><c>GET /api/v1/dashboard</c>: what the page needs to lay itself out.</summary>
public sealed record DashboardInfo
{
    public required IReadOnlyList<DashboardPoolInfo> Pools { get; init; }

    /// <summary><c>bearer</c>, <c>basic</c> or <c>none</c>: the credentials the write endpoints want.</summary>
    public required string Auth { get; init; }

    public long SampleIntervalMs { get; init; }

    public long HistoryMs { get; init; }

    /// <summary>How often the page should poll.</summary>
    public long PollMs { get; init; }
}

/// <summary>A pool as the dashboard lays it out: which of its charts have a query behind them.</summary>
public sealed record DashboardPoolInfo
{
    public required string Pool { get; init; }

    public int Min { get; init; }

    public int Max { get; init; }

    public bool Requests { get; init; }

    public bool Cpu { get; init; }

    public bool LatencyP95 { get; init; }
}

/// <summary><c>GET /api/v1/dashboard/pools/{pool}/series</c>: samples as columns (uPlot's data layout), time in Unix
/// seconds with millisecond precision, latency in milliseconds; null where a value is unknown.</summary>
public sealed record SeriesResponse
{
    public required string Pool { get; init; }

    public IReadOnlyList<double> T { get; init; } = [];

    public IReadOnlyList<double?> Requests { get; init; } = [];

    public IReadOnlyList<double?> Cpu { get; init; } = [];

    /// <summary>A forecast signal's load forecast for each sample's time (forecast vs actual).</summary>
    public IReadOnlyList<double?> Forecast { get; init; } = [];

    public IReadOnlyList<double?> LatencyP95Ms { get; init; } = [];

    public IReadOnlyList<int> Serving { get; init; } = [];

    public IReadOnlyList<int> Booting { get; init; } = [];

    public IReadOnlyList<int> Draining { get; init; } = [];

    public IReadOnlyList<int> Unhealthy { get; init; } = [];

    public IReadOnlyList<int?> Desired { get; init; } = [];

    public IReadOnlyList<int> Min { get; init; } = [];

    public IReadOnlyList<int> Max { get; init; } = [];

    /// <summary>Why the last sample lacks a configured metric, by metric.</summary>
    public IReadOnlyDictionary<string, string>? Missing { get; init; }

    internal static SeriesResponse From(string pool, IReadOnlyList<DashboardSample> s) => new()
    {
        Pool = pool,
        T = s.Select(x => x.At.ToUnixTimeMilliseconds() / 1000.0).ToArray(),
        Requests = s.Select(x => Round(x.Requests)).ToArray(),
        Cpu = s.Select(x => Round(x.Cpu)).ToArray(),
        Forecast = s.Select(x => Round(x.Forecast)).ToArray(),
        LatencyP95Ms = s.Select(x => Round(x.LatencyP95 * 1000)).ToArray(),
        Serving = s.Select(x => x.Serving).ToArray(),
        Booting = s.Select(x => x.Booting).ToArray(),
        Draining = s.Select(x => x.Draining).ToArray(),
        Unhealthy = s.Select(x => x.Unhealthy).ToArray(),
        Desired = s.Select(x => x.Desired).ToArray(),
        Min = s.Select(x => x.Min).ToArray(),
        Max = s.Select(x => x.Max).ToArray(),
        Missing = s.Count > 0 ? s[^1].Missing : null,
    };

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 3) : null;
}

/// <summary><c>GET /api/v1/alerts</c>.</summary>
public sealed record AlertsResponse(IReadOnlyList<AlertDto> Alerts)
{
    /// <summary>Firing alerts (of the pool asked for) in all, on every page.</summary>
    public int Total { get; init; }

    /// <summary>The <c>offset</c> of the next page; null on the last page.</summary>
    public int? NextOffset { get; init; }
}

/// <summary>A firing alert as the webhook received it.</summary>
public sealed record AlertDto
{
    public required string Fingerprint { get; init; }

    public string? Alertname { get; init; }

    public string? Pool { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    public DateTimeOffset StartsAt { get; init; }

    public DateTimeOffset FirstSeenAt { get; init; }

    public DateTimeOffset LastSeenAt { get; init; }
}

/// <summary><c>POST /api/v1/pools/{pool}/dry_run</c> and <c>POST /api/v1/dry_run</c> body.</summary>
public sealed record DryRunRequest(bool? DryRun);

/// <summary>The dry-run mode of a pool after a switch.</summary>
public sealed record DryRunResponse(string Pool, bool DryRun, string Message);

/// <summary><c>POST /api/v1/dry_run</c> answer: every pool's mode.</summary>
public sealed record DryRunAllResponse(IReadOnlyList<DryRunResponse> Pools);

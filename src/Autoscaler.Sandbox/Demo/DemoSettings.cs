using System.Globalization;
using Autoscaler.Load;

namespace Autoscaler.Sandbox.Demo;

/// <summary>
/// Everything a demo run is made of. The defaults tell a three-minute story on one small machine: a pool of Nanodes
/// (1 vCPU each) whose requests cost 100 ms of CPU, so an instance serves 10 requests per second; Prometheus scrapes
/// every 2 s and alerts within seconds; the autoscaler doubles the pool while CPU is high and removes two instances at
/// a time while it is low.
/// </summary>
public sealed record DemoSettings
{
    /// <summary>Length of the load profile (the run adds start-up and a settle time).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>Where configs, data and logs go; null makes a new temporary folder.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>Keep logs and data after a successful run (they are always kept after a failure).</summary>
    public bool KeepLogs { get; init; }

    /// <summary>Write the summary as JSON here.</summary>
    public string? SummaryPath { get; init; }

    /// <summary>Write the PNG plot here; null puts demo.png beside the summary, or in the work folder.</summary>
    public string? PlotPath { get; init; }

    /// <summary>Prometheus binary; null finds Debian's <c>prometheus</c> in PATH.</summary>
    public string? PrometheusPath { get; init; }

    /// <summary>Alertmanager binary; null finds Debian's <c>prometheus-alertmanager</c> (or <c>alertmanager</c>) in PATH.</summary>
    public string? AlertmanagerPath { get; init; }

    /// <summary>Seed of the load's Poisson arrivals; null picks one (the summary says which).</summary>
    public int? Seed { get; init; }

    public string Pool { get; init; } = "web";

    public int Min { get; init; } = 2;

    public int Max { get; init; } = 8;

    /// <summary>Linode type of the pool (g6-nanode-1: 1 vCPU).</summary>
    public string InstanceType { get; init; } = "g6-nanode-1";

    /// <summary>vCPUs of <see cref="InstanceType"/>.</summary>
    public int Vcpus { get; init; } = 1;

    /// <summary>CPU milliseconds one request costs on the Workload.</summary>
    public int WorkMs { get; init; } = 100;

    /// <summary>Load before and after the spike, as a share of the starting pool's capacity.</summary>
    public double SteadyShare { get; init; } = 0.4;

    /// <summary>The spike, as a multiple of the starting pool's capacity.</summary>
    public double SpikeFactor { get; init; } = 3.2;

    /// <summary>The quiet end of the run, as a share of the starting pool's capacity.</summary>
    public double QuietShare { get; init; } = 0.2;

    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan RuleInterval { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan RateWindow { get; init; } = TimeSpan.FromSeconds(10);

    public double HighPercent { get; init; } = 70;

    public TimeSpan HighFor { get; init; } = TimeSpan.FromSeconds(6);

    public double LowPercent { get; init; } = 25;

    public TimeSpan LowFor { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan GroupWait { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan GroupInterval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan RepeatInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The NodeBalancer's active health check interval (seconds, as the Linode API has it).</summary>
    public int HealthCheckIntervalSeconds { get; init; } = 2;

    /// <summary>The billing period of both the emulator and the autoscaler: Linode's hour shortened so that paid periods
    /// end (and kept members are released) within the demo's few minutes. Default 30 s.</summary>
    public TimeSpan BillingPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long before its paid period ends a kept member's release is done (the autoscaler's
    /// <c>scale_down.release_margin</c>, shortened with the period). Default 3 s.</summary>
    public TimeSpan ReleaseMargin { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Longest wait for the pool to come back to its minimum once the load has ended.</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>Longest wait for each part to start and for the first instances to serve.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Requests per second one instance serves at 100 % CPU.</summary>
    public double InstanceCapacity => Vcpus * 1000.0 / WorkMs;

    /// <summary>The starting pool's capacity in requests per second.</summary>
    public double StartCapacity => Min * InstanceCapacity;

    /// <summary>Every problem with these settings.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Duration < TimeSpan.FromSeconds(60) || Duration > TimeSpan.FromHours(2))
        {
            errors.Add($"--duration must be between 60 s and 2 h (got {DurationText.Format(Duration)}): "
                + "the spike needs about 20 s to be seen by Prometheus, alerted and served");
        }

        if (Min < 1 || Max < Min)
        {
            errors.Add($"pool size bounds must satisfy 1 <= min <= max (got min {Min}, max {Max})");
        }

        if (WorkMs < 1 || Vcpus < 1)
        {
            errors.Add($"work_ms and vcpus must be at least 1 (got {WorkMs} and {Vcpus})");
        }

        if (SpikeFactor < 1 || SteadyShare <= 0 || QuietShare <= 0)
        {
            errors.Add("the load shares must be positive and the spike at least 1x the starting capacity");
        }

        return errors;
    }

    /// <summary>The load the run drives.</summary>
    public DemoProfile Profile() => DemoProfile.For(this);

    /// <summary>The monitoring stack these settings describe.</summary>
    public MonitoringOptions Monitoring() => new()
    {
        PrometheusPath = PrometheusPath,
        AlertmanagerPath = AlertmanagerPath,
        ScrapeInterval = ScrapeInterval,
        RuleInterval = RuleInterval,
        RateWindow = RateWindow,
        HighPercent = HighPercent,
        HighFor = HighFor,
        LowPercent = LowPercent,
        LowFor = LowFor,
        GroupWait = GroupWait,
        GroupInterval = GroupInterval,
        RepeatInterval = RepeatInterval,
        StartTimeout = StartTimeout,
    };

    internal static string Seconds(TimeSpan t) => MonitoringOptions.Seconds(t);
}

/// <summary>One stretch of the demo's load.</summary>
public sealed record DemoPhase(string Name, TimeSpan Start, TimeSpan Duration, double Rate)
{
    public TimeSpan End => Start + Duration;
}

/// <summary>
/// The load over the run: steady (a share of the starting pool's capacity) → spike (several times that capacity) →
/// steady → quiet. The quiet end is what brings the pool back to its minimum: with 1-vCPU instances at 40 % load an
/// odd-sized pool of three would sit just above the low threshold.
/// </summary>
public sealed class DemoProfile
{
    private DemoProfile(IReadOnlyList<DemoPhase> phases)
    {
        Phases = phases;
        Load = new LoadProfile(phases.Select(p => new LoadSegment(p.Duration, p.Rate, p.Rate)),
            string.Join(",", phases.Select(p => DemoSettings.Seconds(p.Duration) + "@" + p.Rate.ToString("0.#", CultureInfo.InvariantCulture))));
    }

    public IReadOnlyList<DemoPhase> Phases { get; }

    /// <summary>The profile handed to the load generator.</summary>
    public LoadProfile Load { get; }

    public DemoPhase Spike => Phases.Single(p => p.Name == "spike");

    public TimeSpan Duration => Phases[^1].End;

    /// <summary>The phase at <paramref name="at"/> into the run ("settle" after its end).</summary>
    public string PhaseAt(TimeSpan at) => Phases.FirstOrDefault(p => at >= p.Start && at < p.End)?.Name ?? "settle";

    public static DemoProfile For(DemoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var total = settings.Duration.TotalSeconds;
        // Shares of the run: a short warm-up, a spike long enough for two doublings, then time for two-at-a-time
        // scale-in steps (each one drain + cooldown) before the end.
        double[] shares = [0.11, 0.28, 0.33];
        var steady = settings.StartCapacity * settings.SteadyShare;
        var rates = new[] { steady, settings.StartCapacity * settings.SpikeFactor, steady, settings.StartCapacity * settings.QuietShare };
        var names = new[] { "steady", "spike", "steady", "quiet" };
        var phases = new List<DemoPhase>();
        var start = 0.0;
        for (var i = 0; i < names.Length; i++)
        {
            var length = i < shares.Length ? Math.Round(total * shares[i]) : total - start;
            phases.Add(new DemoPhase(names[i], TimeSpan.FromSeconds(start), TimeSpan.FromSeconds(length), rates[i]));
            start += length;
        }

        return new DemoProfile(phases);
    }
}

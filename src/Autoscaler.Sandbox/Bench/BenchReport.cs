namespace Autoscaler.Sandbox.Bench;

/// <summary>The figures of one <c>linode-autoscaler bench</c> run (written as JSON with <c>--json</c>).</summary>
public sealed record BenchReport
{
    public required string Date { get; init; }

    public required string Machine { get; init; }

    public ServiceFigures? Webhook { get; set; }

    public ServiceFigures? WebhookWithCommand { get; set; }

    public BalancerFigures? NodeBalancer { get; set; }

    public FleetFigures? Fleet { get; set; }

    public MemoryFigures? Memory { get; set; }

    public FailoverFigures? Failover { get; set; }
}

/// <summary>The service under webhook load.</summary>
public sealed record ServiceFigures
{
    public int Alerts { get; init; }

    public double LatencyP50Ms { get; init; }

    public double LatencyP99Ms { get; init; }

    public double LatencyMaxMs { get; init; }

    public int Requests { get; init; }

    public int Succeeded { get; init; }

    public double RequestsPerSecond { get; init; }

    /// <summary>Each request's time to its answer during the throughput phase.</summary>
    public double RequestP50Ms { get; init; }

    public double RequestP99Ms { get; init; }

    public long IdleRssMiB { get; init; }

    public long PeakRssMiB { get; init; }

    /// <summary>serve's CPU time (with the commands it reaped) per request of the throughput phase.</summary>
    public double CpuMsPerRequest { get; init; }

    /// <summary>Command runs that ended during the throughput phase.</summary>
    public double? CommandRuns { get; init; }

    /// <summary>Notifications of the throughput phase the command did not run for, by reason.</summary>
    public IReadOnlyDictionary<string, double>? CommandSkips { get; init; }

    /// <summary>Runs per second from the first request until every notification had ended as a run or a skip.</summary>
    public double? CommandsPerSecond { get; init; }
}

/// <summary>The emulated NodeBalancer at saturation.</summary>
public sealed record BalancerFigures
{
    public int Connections { get; init; }

    public double Seconds { get; init; }

    public ClosedLoopFigures? Health { get; init; }

    public ClosedLoopFigures? Work { get; init; }
}

/// <summary>One closed-loop run.</summary>
public sealed record ClosedLoopFigures
{
    public int Requests { get; init; }

    public int Errors { get; init; }

    public double PerSecond { get; init; }

    public double P50 { get; init; }

    public double P99 { get; init; }
}

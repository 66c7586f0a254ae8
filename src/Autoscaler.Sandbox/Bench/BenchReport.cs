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

    public long IdleRssMiB { get; init; }

    public long PeakRssMiB { get; init; }

    public double? CommandRuns { get; init; }
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

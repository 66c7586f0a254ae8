using System.Globalization;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Autoscaler.Linode.Models;
using Autoscaler.Load;

namespace Autoscaler.Sandbox.Demo;

/// <summary>The run's NodeBalancer, and what a run leaves: its summary, plot and JSON.</summary>
public sealed partial class DemoRunner
{
    private DemoResult WriteOutputs(DemoResult result, string workDir)
    {
        var plotPath = _settings.PlotPath
            ?? (_settings.SummaryPath is { } s ? Path.ChangeExtension(Path.GetFullPath(s), ".png") : Path.Combine(workDir, "demo.png"));
        string? writtenPlot = null;
        try
        {
            DemoPlot.Save(plotPath, _settings, _profile, result.Samples, result.Summary.Decisions);
            writtenPlot = Path.GetFullPath(plotPath);
            _reporter.OnStep($"plot written to {writtenPlot}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            _reporter.OnStep($"plot not written ({plotPath}): {e.Message}");
        }

        string? writtenSummary = null;
        if (_settings.SummaryPath is { } summaryPath)
        {
            var full = Path.GetFullPath(summaryPath);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, result.Summary.ToJson() + Environment.NewLine);
            writtenSummary = full;
            _reporter.OnStep($"summary written to {full}");
        }

        return result with { PlotPath = writtenPlot, SummaryPath = writtenSummary };
    }

    private DemoSummary Summarize(LoadReport report, int finalInstances, int leaked, DateTimeOffset? firstNewNode, IReadOnlyList<Exchange> calls, DateTimeOffset started)
    {
        var changes = _decisions
            .Where(d => d.At >= _origin && d.Action is DecisionAction.ScaleUp or DecisionAction.ScaleDown)
            .OrderBy(d => d.At)
            .ToArray();

        // Alert → first cloud call: the first scale-up decided after the webhook received PoolCpuHigh, the launch it
        // journaled, and the first Linode request the service sent from then on (the launch's label lookup).
        long? alertToCall = null;
        string? firstCall = null;
        if (_firstHighReceivedAt is { } alertAt
            && _decisions.Where(d => d.Action == DecisionAction.ScaleUp && d.At >= alertAt.AddMilliseconds(-1)).MinBy(d => d.At) is { } decision
            && _operations.Where(o => o.Kind == OperationKind.Launch && o.Type == OperationEventType.Started && o.At >= decision.At.AddMilliseconds(-1))
                .MinBy(o => o.At) is { } launch
            && calls.Where(c => c.ReceivedUtc >= launch.At).MinBy(c => c.ReceivedUtc) is { } call)
        {
            alertToCall = (long)Math.Round((call.ReceivedUtc - alertAt).TotalMilliseconds);
            firstCall = call.Endpoint;
        }

        var spikeStart = _origin + _profile.Spike.Start;
        var floor = _settings.ScrapeInterval + _settings.HighFor + _settings.GroupWait + _delays.Provisioning + _delays.Booting
            + TimeSpan.FromSeconds(_settings.HealthCheckIntervalSeconds);
        var spikeEnd = _profile.Spike.End.TotalSeconds;
        var backToMin = _samples.FirstOrDefault(s => s.Seconds > spikeEnd && s.Instances == _settings.Min && s.Booting == 0 && s.Draining == 0);
        return new DemoSummary
        {
            ScaleUps = changes.Count(d => d.Action == DecisionAction.ScaleUp),
            ScaleDowns = changes.Count(d => d.Action == DecisionAction.ScaleDown),
            PeakInstances = Math.Max(_settings.Min, _samples.Count == 0 ? 0 : _samples.Max(s => s.Instances)),
            FinalInstances = finalInstances,
            MinInstances = _settings.Min,
            MaxInstances = _settings.Max,
            LeakedInstances = leaked,
            AlertToFirstApiCallMs = alertToCall,
            FirstApiCall = firstCall,
            SpikeToServingSeconds = firstNewNode is { } up ? Math.Round((up - spikeStart).TotalSeconds, 1) : null,
            SpikeToServingFloorSeconds = floor.TotalSeconds,
            Requests = new DemoRequests(report.Requests.Total, report.Requests.Errors, report.Requests.P95Ms is { } p ? Math.Round(p, 1) : null),
            Profile = _profile.Load.Description,
            Seed = report.Seed,
            InstanceCapacityRps = _settings.InstanceCapacity,
            BackToMinSeconds = backToMin?.Seconds,
            ElapsedSeconds = Math.Round((_time.GetUtcNow() - started).TotalSeconds, 1),
            Decisions = changes.Select(d => DemoSummary.From(d, _origin)).ToArray(),
        };
    }

    private async Task<(NodeBalancer Nb, NodeBalancerConfig Config)> CreateNodeBalancerAsync(SandboxEmulator emulator, CancellationToken ct)
    {
        var (nb, config) = await emulator.CreateNodeBalancerAsync(NodeBalancerLabel,
            SandboxEmulator.HealthCheckedHttp(NodeBalancerPort, _settings.HealthCheckIntervalSeconds, checkAttempts: 2), cancellationToken: ct);
        _reporter.OnStep($"NodeBalancer {nb.Label} at {nb.Ipv4}:{config.Port} (http, roundrobin, check GET /health every {config.CheckInterval} s)");
        return (nb, config);
    }
}

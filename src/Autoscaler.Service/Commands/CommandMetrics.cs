using Prometheus;

namespace Autoscaler.Service.Commands;

/// <summary>The commands' series on the service's /metrics registry.</summary>
internal sealed class CommandMetrics
{
    private readonly Counter _runs;
    private readonly Counter _skips;
    private readonly Gauge _running;

    public CommandMetrics(CollectorRegistry registry)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        _runs = f.CreateCounter("autoscaler_command_runs_total", "Command runs (command: its name, or INDEX:PROGRAM; never its arguments) by result (succeeded, failed, timeout, signaled, start_failed, unexpected_answer).", "command", "result");
        _skips = f.CreateCounter("autoscaler_command_skips_total", "Notifications a command did not run for, by reason (no_match, duplicate, resolved_ignored, max_running, max_concurrent, max_concurrent_total, queue_full).", "command", "reason");
        _running = f.CreateGauge("autoscaler_command_running", "Command runs in progress.", "command");
    }

    public void Run(string command, string result) => _runs.WithLabels(command, result).Inc();

    public void Skip(string command, string reason) => _skips.WithLabels(command, reason).Inc();

    public void Running(string command, int delta) => _running.WithLabels(command).Inc(delta);
}

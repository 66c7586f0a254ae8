using System.CommandLine;
using Autoscaler.Load;
using Autoscaler.Sandbox.Demo;
using Autoscaler.Sandbox;
using Spectre.Console;

namespace Autoscaler.Cli.Commands;

/// <summary>
/// <c>linode-autoscaler demo</c>: the reference architecture "Autoscaling on Linode using Prometheus" run locally —
/// the emulator, a NodeBalancer, the autoscaler, real Prometheus and Alertmanager — under a load spike, with live
/// progress, a summary (<c>--summary FILE</c>) and a plot (<c>--plot FILE</c>).
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var duration = new Option<string>("--duration", "-d")
        {
            HelpName = "DURATION",
            Description = "Length of the load profile (steady → spike → steady → quiet): 180s, 150s, 4m",
            DefaultValueFactory = _ => "180s",
        };
        var summary = new Option<FileInfo?>("--summary") { HelpName = "FILE", Description = "Write the summary as JSON to FILE" };
        var plot = new Option<FileInfo?>("--plot") { HelpName = "FILE", Description = "Write the PNG plot to FILE (default: beside the summary, else in the work folder)" };
        var workDir = new Option<DirectoryInfo?>("--work-dir") { HelpName = "DIR", Description = "Folder for configs, data and logs (default: a new temporary folder)" };
        var keepLogs = new Option<bool>("--keep-logs") { Description = "Keep the logs, configs and data of a successful run" };
        var seed = new Option<int?>("--seed") { HelpName = "N", Description = "Seed of the load's Poisson arrivals (default: random, printed)" };
        var prometheus = new Option<string?>("--prometheus") { HelpName = "PATH", Description = "Prometheus binary (default: prometheus in PATH)" };
        var alertmanager = new Option<string?>("--alertmanager") { HelpName = "PATH", Description = "Alertmanager binary (default: prometheus-alertmanager in PATH)" };
        var command = new Command("demo", "Run the whole reference architecture locally (emulator, NodeBalancer, autoscaler, real "
            + "Prometheus and Alertmanager) under a load spike and show it scale out and back in")
        {
            duration, summary, plot, workDir, keepLogs, seed, prometheus, alertmanager,
        };
        command.WithExamples(
            "linode-autoscaler demo",
            "linode-autoscaler demo --duration 150s --summary out.json --plot out.png");

        command.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (!DurationText.TryParse(parse.GetValue(duration), out var length))
            {
                await error.WriteLineAsync($"demo: --duration: '{parse.GetValue(duration)}' is not a duration (e.g. 150s, 4m, 2m30s){DurationText.Hint(parse.GetValue(duration))}");
                return 2;
            }

            var settings = new DemoSettings
            {
                Duration = length,
                SummaryPath = parse.GetValue(summary)?.FullName,
                PlotPath = parse.GetValue(plot)?.FullName,
                WorkDirectory = parse.GetValue(workDir)?.FullName,
                KeepLogs = parse.GetValue(keepLogs),
                Seed = parse.GetValue(seed),
                PrometheusPath = parse.GetValue(prometheus),
                AlertmanagerPath = parse.GetValue(alertmanager),
            };
            var problems = settings.Validate();
            if (problems.Count > 0)
            {
                foreach (var p in problems)
                {
                    await error.WriteLineAsync("demo: " + p);
                }

                return 2;
            }

            var console = new DemoConsole(AnsiConsole.Console);
            AnsiConsole.Write(new Rule("[bold]linode-autoscaler demo: autoscaling on Linode using Prometheus[/]").LeftJustified());
            try
            {
                var result = await DemoRunner.RunAsync(settings, console, TimeProvider.System, ct);
                AnsiConsole.Write(new Rule("[bold]summary[/]").LeftJustified());
                console.Summary(result);
                var s = result.Summary;
                var ok = s.ScaleUps >= 1 && s.ScaleDowns >= 1 && s.LeakedInstances == 0 && s.FinalInstances == s.MinInstances
                    && result.Leftovers.Count == 0;
                AnsiConsole.MarkupLine(ok
                    ? "[green]the pool scaled out under the spike, back in after it, and nothing was left behind[/]"
                    : "[red]the run did not show a full scale-out and scale-in back to the minimum with nothing left behind[/]");
                return ok ? 0 : 1;
            }
            catch (SandboxSetupException e)
            {
                await error.WriteLineAsync("demo: " + e.Message);
                return 1;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                AnsiConsole.MarkupLine("[yellow]demo interrupted: everything it started has been stopped[/]");
                return 130;
            }
        });
        return command;
    }
}

using System.CommandLine;
using System.Globalization;
using Autoscaler.Linode.Models;
using Autoscaler.Sandbox.Tour;
using Linode.Emulator;
using Spectre.Console;

namespace Autoscaler.Cli.Commands;

/// <summary>
/// <c>linode-autoscaler tour</c>: <see cref="EmulatorTour"/> on the terminal — instances boot as real processes, join a
/// NodeBalancer whose health checks bring them UP, take traffic, and one dies and is avoided; then everything is
/// drained, deleted, and checked gone.
/// </summary>
internal static class EmulatorTourCommand
{
    public static Command Create()
    {
        var instances = new Option<int>("--instances") { HelpName = "N", Description = "Instances in the pool (2..20)", DefaultValueFactory = _ => 3 };
        var requests = new Option<int>("--requests") { HelpName = "N", Description = "Requests sent through the NodeBalancer per phase", DefaultValueFactory = _ => 30 };
        var config = new Option<FileInfo?>("--emulator-config") { HelpName = "FILE", Description = "Emulator YAML config (e.g. the realistic delay profile)" };
        var command = new Command("tour", "Tour the local Linode: boot a pool behind a NodeBalancer, send traffic, "
            + "kill an instance, drain and delete everything") { instances, requests, config };
        command.WithExamples(
            "linode-autoscaler tour",
            "linode-autoscaler tour --instances 5 --emulator-config examples/emulator.yaml");
        command.SetAction(async (parse, ct) =>
        {
            var count = parse.GetValue(instances);
            if (count is < 2 or > 20)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"tour: --instances must be between 2 and 20 (got {count})");
                return 2;
            }
            var options = parse.GetValue(config) is { } file ? EmulatorOptions.Load(file.FullName) : new EmulatorOptions();
            options.Listen = "127.0.0.1:0";
            var errors = options.Validate();
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync("tour: " + error);
                }
                return 2;
            }
            return await RunAsync(options, count, parse.GetValue(requests), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(EmulatorOptions options, int count, int requests, CancellationToken ct)
    {
        try
        {
            var result = await EmulatorTour.RunAsync(options, count, requests, new ConsoleReporter(), ct);
            AnsiConsole.Write(new Rule($"[green]done in {result.Elapsed.TotalSeconds:F1} s[/]").LeftJustified());
            return result.IsClean ? 0 : 1;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]interrupted: cleaning up[/]");
            return 130;
        }
    }

    /// <summary>The tour on the terminal: a timed line per step, a table of the instances, a bar chart per traffic run.</summary>
    private sealed class ConsoleReporter : ITourReporter
    {
        public void OnBegin() => AnsiConsole.Write(new Rule("[bold]linode-autoscaler tour: the local Linode[/]").LeftJustified());

        public void OnStep(TimeSpan elapsed, string markup) => AnsiConsole.MarkupLine($"[grey]{elapsed:mm\\:ss\\.f}[/] {markup}");

        public void OnInstances(IReadOnlyList<Instance> instances)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("id", "label", "status", "public IPv4 (loopback)", "private IPv4");
            foreach (var l in instances)
            {
                table.AddRow(l.Id.ToString(CultureInfo.InvariantCulture), l.Label, l.RawStatus, l.PublicIpv4 ?? "-", l.PrivateIpv4 ?? "-");
            }
            AnsiConsole.Write(table);
        }

        public void OnSpread(string title, IReadOnlyDictionary<string, int> spread, IReadOnlyList<Instance> pool)
        {
            var chart = new BarChart().Label(title).Width(60);
            foreach (var instance in pool)
            {
                chart.AddItem(instance.Label, spread.GetValueOrDefault(instance.Label), Color.Green);
            }
            if (spread.TryGetValue("error", out var errors))
            {
                chart.AddItem("errors", errors, Color.Red);
            }
            AnsiConsole.Write(chart);
        }
    }
}

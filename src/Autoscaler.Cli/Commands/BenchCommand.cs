using System.CommandLine;
using System.Text.Json;
using Autoscaler.Sandbox.Bench;

namespace Autoscaler.Cli.Commands;

/// <summary><c>linode-autoscaler bench</c>: the service and emulator figures of BENCHMARKS.md, measured here.</summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var parts = new Option<string[]>("--only")
        {
            HelpName = "PART",
            Description = "Measure only these parts: " + string.Join(", ", BenchRunner.AllParts),
            AllowMultipleArgumentsPerToken = true,
        };
        var alerts = new Option<int>("--alerts") { HelpName = "N", Description = "Distinct alerts for the latency figure", DefaultValueFactory = _ => 1000 };
        var clients = new Option<int>("--clients") { HelpName = "N", Description = "Concurrent webhook clients", DefaultValueFactory = _ => 16 };
        var perClient = new Option<int>("--requests-per-client") { HelpName = "N", Description = "Webhook requests each client sends", DefaultValueFactory = _ => 500 };
        var seconds = new Option<int>("--balancer-seconds") { HelpName = "N", Description = "Seconds of each NodeBalancer run", DefaultValueFactory = _ => 10 };
        var iterations = new Option<int>("--iterations") { HelpName = "N", Description = "failover: leader kills (SIGKILL during a scale-up)", DefaultValueFactory = _ => 20 };
        var seed = new Option<int?>("--seed") { HelpName = "N", Description = "failover: seed of the kill points (printed by every run; replays one)" };
        var json = new Option<FileInfo?>("--json") { HelpName = "FILE", Description = "Also write the figures as JSON to FILE" };
        var command = new Command("bench", "Measure webhook → first Linode API call latency, webhook requests/s and memory "
            + "(native actions and a command per alert), and the emulated NodeBalancer's throughput")
        {
            parts, alerts, clients, perClient, seconds, iterations, seed, json,
        };
        command.WithExamples(
            "linode-autoscaler bench",
            "linode-autoscaler bench --only webhook nodebalancer --json bench.json");

        command.SetAction(async (parse, cancellationToken) =>
        {
            var only = parse.GetValue(parts) ?? [];
            var unknown = only.Where(p => !BenchRunner.AllParts.Contains(p, StringComparer.Ordinal)).ToArray();
            if (unknown.Length > 0)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"bench: unknown part(s) {string.Join(", ", unknown)}; choose from {string.Join(", ", BenchRunner.AllParts)}");
                return 2;
            }

            var settings = new BenchSettings
            {
                Alerts = Math.Max(1, parse.GetValue(alerts)),
                Clients = Math.Max(1, parse.GetValue(clients)),
                RequestsPerClient = Math.Max(1, parse.GetValue(perClient)),
                BalancerDuration = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(seconds))),
                Failover = new FailoverSettings { Iterations = Math.Max(1, parse.GetValue(iterations)), Seed = parse.GetValue(seed) },
                Parts = only.Length == 0 ? new HashSet<string>(BenchRunner.AllParts, StringComparer.Ordinal) : new HashSet<string>(only, StringComparer.Ordinal),
            };
            var report = await new BenchRunner(settings, Console.Out).RunAsync(cancellationToken);
            if (parse.GetValue(json) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(report, JsonOptions), cancellationToken);
                Console.WriteLine($"bench: figures written to {file.FullName}");
            }

            return 0;
        });
        return command;
    }
}

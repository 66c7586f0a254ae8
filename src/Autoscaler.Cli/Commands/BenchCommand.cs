using System.CommandLine;
using System.Text.Json;
using Autoscaler.Common;
using Autoscaler.Sandbox;
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
        var pools = new Option<int>("--pools") { HelpName = "N", Description = "fleet: pools of one serve", DefaultValueFactory = _ => 20 };
        var instances = new Option<int>("--instances") { HelpName = "M", Description = "fleet: each pool scales 2 -> M -> 2", DefaultValueFactory = _ => 50 };
        var interval = new Option<string>("--evaluation-interval") { HelpName = "DURATION", Description = "fleet: the engine's evaluation_interval", DefaultValueFactory = _ => "15s" };
        var idle = new Option<int>("--idle-seconds") { HelpName = "N", Description = "memory: seconds serve idles before its resident set is read", DefaultValueFactory = _ => 30 };
        var iterations = new Option<int>("--iterations") { HelpName = "N", Description = "failover: leader kills (SIGKILL during a scale-up)", DefaultValueFactory = _ => 20 };
        var seed = new Option<int?>("--seed") { HelpName = "N", Description = "failover: seed of the kill points (printed by every run; replays one)" };
        var json = new Option<FileInfo?>("--json") { HelpName = "FILE", Description = "Also write the figures as JSON to FILE" };
        var serve = new Option<FileInfo?>("--serve")
        {
            HelpName = "PROGRAM",
            Description = "Run serve as this program instead of this one's own `serve` (e.g. bin/daemon/linode-autoscaler-serve, the native AOT build)",
        };
        var command = new Command("bench", "Measure webhook → first Linode API call latency, webhook requests/s and memory "
            + "(native actions and a command per alert), the emulated NodeBalancer's throughput, and serve's memory and start-up")
        {
            parts, alerts, clients, perClient, seconds, pools, instances, interval, idle, iterations, seed, json, serve,
        };
        command.WithExamples(
            "linode-autoscaler bench",
            "linode-autoscaler bench --only webhook nodebalancer --json bench.json",
            "linode-autoscaler bench --only fleet --pools 20 --instances 50 --json fleet.json",
            "linode-autoscaler bench --only memory --idle-seconds 60",
            "linode-autoscaler bench --only memory --serve bin/daemon/linode-autoscaler-serve",
            "linode-autoscaler bench --only failover --iterations 20 --json failover.json");

        command.SetAction(async (parse, cancellationToken) =>
        {
            var only = parse.GetValue(parts) ?? [];
            var unknown = only.Where(p => !BenchRunner.AllParts.Contains(p, StringComparer.Ordinal)).ToArray();
            if (unknown.Length > 0)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"bench: unknown part(s) {string.Join(", ", unknown)}; choose from {string.Join(", ", BenchRunner.AllParts)}");
                return 2;
            }

            if (!Durations.TryParse(parse.GetValue(interval), out var evaluationInterval, out var hint) || evaluationInterval <= TimeSpan.Zero)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"bench: --evaluation-interval '{parse.GetValue(interval)}' is not a positive duration like 15s{(hint is null ? "" : $" ({hint})")}");
                return 2;
            }

            if (parse.GetValue(serve) is { } program && !program.Exists)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"bench: --serve {program} not found (make daemon builds bin/daemon/linode-autoscaler-serve)");
                return 2;
            }

            var settings = new BenchSettings
            {
                Program = parse.GetValue(serve) is { } p ? new ServeProgram(p.FullName, []) : null,
                Alerts = Math.Max(1, parse.GetValue(alerts)),
                Clients = Math.Max(1, parse.GetValue(clients)),
                RequestsPerClient = Math.Max(1, parse.GetValue(perClient)),
                BalancerDuration = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(seconds))),
                MemoryIdle = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(idle))),
                Parts = new HashSet<string>(only.Length == 0 ? BenchRunner.DefaultParts : only, StringComparer.Ordinal),
                Fleet = new FleetSettings { Pools = Math.Max(1, parse.GetValue(pools)), Instances = Math.Max(2, parse.GetValue(instances)), EvaluationInterval = evaluationInterval },
                Failover = new FailoverSettings { Iterations = Math.Max(1, parse.GetValue(iterations)), Seed = parse.GetValue(seed) },
            };
            var report = await new BenchRunner(settings, Console.Out).RunAsync(cancellationToken);
            if (parse.GetValue(json) is { } file)
            {
                // The fleet or the failover alone is written as its own figures ({"pools", "instances", "convergeSeconds",
                // ...} or {"iterations", "takeoverSecondsP50", ...}), the shapes BENCHMARKS.md documents.
                object figures = settings.Parts.SetEquals(["fleet"]) && report.Fleet is { } fleet ? fleet
                    : settings.Parts.SetEquals(["failover"]) && report.Failover is { } failover ? failover : report;
                await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(figures, JsonOptions), cancellationToken);
                Console.WriteLine($"bench: figures written to {file.FullName}");
            }

            return 0;
        });
        return command;
    }
}

using System.CommandLine;
using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autoscaler.Core.Audit;
using Autoscaler.Core.Pools;
using Autoscaler.Core.Signals;
using Autoscaler.Service.Api;
using Autoscaler.Service.Signals;
using Spectre.Console;

namespace Autoscaler.Cli.Commands;

/// <summary><c>linode-autoscaler status [POOL]</c>: shows the running service's pools and their recent decisions.</summary>
internal static class StatusCommand
{
    public static Option<string> UrlOption() => new("--url")
    {
        Description = "The service's address (its listen setting)",
        DefaultValueFactory = _ => "http://127.0.0.1:9099",
        HelpName = "URL",
    };

    /// <summary>The --url value as an http(s) URL, or null after printing why not.</summary>
    public static async Task<Uri?> ParseUrlAsync(string? text, string command, TextWriter error)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        await error.WriteLineAsync($"{command}: --url must be an http or https URL like http://127.0.0.1:9099 (got '{text}')");
        return null;
    }

    public static Command Create()
    {
        var pool = new Argument<string?>("pool") { Description = "Only this pool", Arity = ArgumentArity.ZeroOrOne, HelpName = "POOL" };
        var url = UrlOption();
        var events = new Option<int>("--events", "-n") { Description = "Recent audit entries to show per pool", DefaultValueFactory = _ => 10, HelpName = "N" };
        var changes = new Option<bool>("--changes") { Description = "Only entries that changed something: size changes and operations (no holds)" };
        var json = new Option<bool>("--json") { Description = "Print the pools and their entries as JSON (the API's field names), for scripts" };
        var command = new Command("status", "Show each pool of the running service (size, members, cooldowns, open operations) "
            + "and its recent decisions with their reasons") { pool, url, events, changes, json };
        command.WithExamples(
            "linode-autoscaler status",
            "linode-autoscaler status web --changes -n 20",
            "linode-autoscaler status web --json | jq '.pools[0].desired'",
            "linode-autoscaler status --url http://127.0.0.1:9099");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (await ParseUrlAsync(parse.GetValue(url), "status", error) is not { } baseUrl)
            {
                return ExitCodes.Usage;
            }

            var limit = Math.Clamp(parse.GetValue(events), 1, 1000);
            var onlyChanges = parse.GetValue(changes);
            using var client = new AutoscalerApiClient(baseUrl);
            try
            {
                var only = parse.GetValue(pool);
                var all = only is null ? await client.GetStatusAsync(cancellationToken) : null;
                var pools = all is not null ? all.Pools : [await client.GetPoolAsync(only!, cancellationToken)];
                // A standby forwards these reads to the leader (its own engine is idle) and says so.
                var servedBy = all is not null ? all.ServedBy : pools[0].ServedBy;
                var recent = new List<(PoolDto Pool, IReadOnlyList<EventDto> Events)>();
                foreach (var p in pools)
                {
                    // Holds are most entries: look further back for the changes.
                    var fetched = await client.GetEventsAsync(p.Pool, onlyChanges ? Math.Min(1000, limit * 20) : limit, cancellationToken);
                    recent.Add((p, onlyChanges ? [.. fetched.Where(IsChange).Take(limit)] : fetched));
                }

                if (parse.GetValue(json))
                {
                    var doc = new JsonObject
                    {
                        ["pools"] = new JsonArray([.. recent.Select(r =>
                        {
                            var node = JsonSerializer.SerializeToNode(r.Pool, ApiJson.Options)!.AsObject();
                            node["events"] = JsonSerializer.SerializeToNode(r.Events, ApiJson.Options);
                            return (JsonNode)node;
                        })]),
                    };
                    if (all?.ApiBudget is { } budgetJson)
                    {
                        doc["apiBudget"] = JsonSerializer.SerializeToNode(budgetJson, ApiJson.Options);
                    }

                    if (servedBy is not null)
                    {
                        doc["served_by"] = JsonSerializer.SerializeToNode(servedBy, ApiJson.Options);
                    }

                    await output.WriteLineAsync(doc.ToJsonString(ApiJson.Options));
                    return ExitCodes.Ok;
                }

                var terminal = output == Console.Out && !Console.IsOutputRedirected;
                var console = AnsiConsole.Create(new AnsiConsoleSettings
                {
                    Out = new AnsiConsoleOutput(output),
                    Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
                    ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                });
                // The terminal's width; COLUMNS when set (as `COLUMNS=120 status | less`); else wide enough that reasons
                // stay on one line for grep and logs.
                if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var columns) && columns >= 40)
                {
                    console.Profile.Width = columns;
                }
                else if (!terminal)
                {
                    console.Profile.Width = 200;
                }

                var now = TimeProvider.System.GetUtcNow();
                foreach (var (p, entries) in recent)
                {
                    Render(console, p, entries, now);
                }

                if (all?.ApiBudget is { Count: > 0 } budget)
                {
                    RenderBudget(console, budget);
                }

                if (servedBy is not null)
                {
                    console.WriteLine($"Answered by the leader {servedBy.Leader} at {servedBy.LeaderAddress}: {baseUrl} is a standby.");
                }

                return ExitCodes.Ok;
            }
            catch (AutoscalerApiException ex)
            {
                await error.WriteLineAsync($"status: {ex.Message}");
                return ExitCodes.Failure;
            }
            catch (HttpRequestException ex)
            {
                await error.WriteLineAsync($"status: cannot reach the service at {baseUrl}: {ex.Message}; is serve running? (--url <URL>, its listen setting)");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    /// <summary>An entry that changed something: a decision that moved the desired size, or an operation's step.</summary>
    internal static bool IsChange(EventDto e) => e.Decision is { } d ? d.Desired != d.PreviousDesired : e.Operation is not null;

    /// <summary>"ends in 12 s" while <paramref name="until"/> is ahead, else null (a cooldown that is over is not shown).</summary>
    internal static string? EndsIn(DateTimeOffset? until, DateTimeOffset now)
    {
        if (until is not { } u || u <= now)
        {
            return null;
        }

        var left = u - now;
        return left < TimeSpan.FromSeconds(120)
            ? $"ends in {Math.Ceiling(left.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s"
            : $"ends in {Math.Ceiling(left.TotalMinutes).ToString(CultureInfo.InvariantCulture)} min";
    }

    /// <summary>Instances on their way: those the cloud shows launching, or the open launch operations when more (the
    /// create call is made but the instance is not in the cloud's list yet), so a scale-up shows from its first second.</summary>
    internal static int Launching(PoolDto p) =>
        Math.Max(p.Launching, p.Operations.Count(o => o.Kind == OperationKind.Launch && o.Phase == OperationPhase.Launching));

    private static void Render(IAnsiConsole console, PoolDto p, IReadOnlyList<EventDto> recent, DateTimeOffset now)
    {
        var cooldowns = new List<string>();
        if (EndsIn(p.ScaleUpCooldownUntil, now) is { } up)
        {
            cooldowns.Add("up: " + up);
        }

        if (EndsIn(p.ScaleDownCooldownUntil, now) is { } down)
        {
            cooldowns.Add("down: " + down);
        }

        console.Write(new Rule($"[bold]pool {Markup.Escape(p.Pool)}[/]{(p.DryRun ? " (dry run)" : "")}").LeftJustified());
        var summary = new Table().Border(TableBorder.Simple)
            .AddColumns("desired", "actual", "serving", "launching", "removing", "kept", "min..max", "cooldowns", "billed (month)", "projected");
        summary.AddRow(
            p.Desired?.ToString(CultureInfo.InvariantCulture) ?? "-",
            N(p.Actual), N(p.Serving), N(Launching(p)), N(p.Removing), N(p.Kept),
            $"{N(p.Min)}..{N(p.Max)}",
            Markup.Escape(cooldowns.Count == 0 ? "-" : string.Join(", ", cooldowns)),
            Usd(p.BilledCostUsd), Usd(p.ProjectedCostUsd) + (p.BudgetUsd is { } b ? " of " + Usd(b) : ""));
        console.Write(summary);

        if (p.Signals.Count > 0)
        {
            // Missing data and expired alerts first: they are why a pool does not scale.
            var signals = new Table().Border(TableBorder.Simple).AddColumns("signal", "state", "at", "detail");
            foreach (var sig in p.Signals.OrderBy(x => x.State is SignalState.MissingData or SignalState.Expired ? 0 : 1))
            {
                signals.AddRow(Markup.Escape(sig.Signal), Snake(sig.State.ToString()), sig.At is { } at ? Time(at) : "-", Markup.Escape(sig.Detail));
            }

            console.Write(signals);
        }

        if (p.Members.Count > 0)
        {
            var members = new Table().Border(TableBorder.Simple).AddColumns("id", "label", "state", "lifecycle", "node", "address", "paid until");
            foreach (var m in p.Members)
            {
                var node = m.NodeStatus is null ? "-" : $"{Snake(m.NodeStatus.ToString()!)}/{Snake(m.NodeMode.ToString()!)}";
                members.AddRow(Markup.Escape(m.Id), Markup.Escape(m.Label), Snake(m.State.ToString()), Snake(m.Lifecycle.ToString())
                    + (m.Protected ? " (protected)" : "") + (m.BeingRemoved ? " (removing)" : ""), node, Markup.Escape(m.Address ?? "-"),
                    Markup.Escape((m.PaidUntil is { } paid ? PaidUntil(paid, now) : "-") + (m.ReleaseAt is { } release ? ", kept: release " + PaidUntil(release, now) : "")));
            }

            console.Write(members);
            // Why a node stays DOWN (e.g. the firewall that drops the NodeBalancer's range), as the provider told.
            foreach (var m in p.Members.Where(m => m.Diagnosis is not null))
            {
                console.MarkupLine("[yellow]" + Markup.Escape(m.Diagnosis!) + "[/]");
            }
        }

        if (p.LaunchesWaiting > 0)
        {
            // Wanted, not yet started: the create limit is shared by every pool, so a big scale-up spreads over passes.
            console.MarkupLine(Markup.Escape($"{p.LaunchesWaiting} launch(es) waiting for {p.LaunchesWaitingFor ?? "the cloud's create limit"}"));
        }

        if (p.Operations.Count > 0)
        {
            var ops = new Table().Border(TableBorder.Simple).AddColumns("operation", "kind", "phase", "member", "since", "reason");
            foreach (var o in p.Operations)
            {
                ops.AddRow(Markup.Escape(o.Id), Snake(o.Kind.ToString()), Snake(o.Phase.ToString()), Markup.Escape(o.Label ?? o.MemberId ?? "-"), Time(o.PhaseSince), Markup.Escape(o.Reason));
            }

            console.Write(ops);
        }

        var log = new Table().Border(TableBorder.Simple).AddColumns("time", "event", "size", "reason");
        foreach (var e in recent)
        {
            if (e.Decision is { } d)
            {
                var what = Snake(d.Action.ToString()) + (d.Skip is { } s ? $" ({Snake(s.ToString())})" : "");
                log.AddRow(Time(d.At), Markup.Escape(what), $"{N(d.PreviousDesired)} → {N(d.Desired)}", Markup.Escape(d.Reason));
            }
            else if (e.Operation is { } o)
            {
                // The size column holds sizes only; the member goes with the event.
                var member = o.Label ?? o.MemberId;
                var what = o.Event == OperationEventType.Joined ? "joined / UP" : $"{Snake(o.Kind.ToString())} {Snake(o.Event.ToString())}";
                log.AddRow(Time(e.At), Markup.Escape($"{what}{(member is null ? "" : " " + member)}"), "-", Markup.Escape(o.Detail));
            }
        }

        if (recent.Count == 0)
        {
            log.AddRow("-", "-", "-", "no decisions recorded yet");
        }

        console.Write(log);
    }

    /// <summary>One line per Linode rate-limit bucket: our use of its window, what the API says is left, waits, 429s.</summary>
    private static void RenderBudget(IAnsiConsole console, IReadOnlyList<ApiBudgetDto> budget)
    {
        console.Write(new Rule("[bold]Linode API budget[/]").LeftJustified());
        var table = new Table().Border(TableBorder.Simple).AddColumns("bucket", "used / limit", "window", "left", "waits", "429s");
        foreach (var b in budget)
        {
            table.AddRow(Markup.Escape(b.Bucket), $"{N(b.Used)} / {N(b.Limit)}", b.WindowSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s",
                b.Remaining is { } left ? N(left) : "-", b.Waits.ToString(CultureInfo.InvariantCulture), b.Throttled.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(table);
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Usd(decimal? usd) => usd is { } v ? "$" + v.ToString("0.00##", CultureInfo.InvariantCulture) : "-";

    /// <summary>"14:00 (in 12 min)": the end of the paid period (UTC, seconds shown only when it has them, as with a
    /// demo's short periods) and how far off it is.</summary>
    internal static string PaidUntil(DateTimeOffset paid, DateTimeOffset now)
    {
        var u = paid.ToUniversalTime();
        var clock = u.ToString(u.Second == 0 ? "HH:mm" : "HH:mm:ss", CultureInfo.InvariantCulture);
        var left = paid - now;
        var rest = left <= TimeSpan.Zero ? "now"
            : left < TimeSpan.FromSeconds(90) ? $"in {Math.Ceiling(left.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s"
            : $"in {Math.Round(left.TotalMinutes).ToString(CultureInfo.InvariantCulture)} min";
        return $"{clock} ({rest})";
    }

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Snake(string pascal) => string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}

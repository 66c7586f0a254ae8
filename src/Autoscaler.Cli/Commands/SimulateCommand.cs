using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Autoscaler.Core.Configuration;
using Autoscaler.Load;
using Autoscaler.Simulation;
using Autoscaler.Common;
using Autoscaler.Service.Configuration;
using Spectre.Console;

namespace Autoscaler.Cli.Commands;

/// <summary><c>linode-autoscaler simulate</c>: replays a request-rate trace (a CSV file or a Prometheus range query)
/// through the real scaling engine against a virtual cloud, for the configuration's policy (billing-aware and not), the
/// reference architecture's CPU alerts and the cheapest bill that never misses the SLO (the oracle); prints a table of
/// what Linode would bill and writes report.json, instances.csv and a plot.</summary>
public static class SimulateCommand
{
    /// <summary>File names written into --report DIR.</summary>
    public const string ReportFile = "report.json";

    /// <inheritdoc cref="ReportFile"/>
    public const string PlotFile = "load-vs-capacity.png";

    /// <inheritdoc cref="ReportFile"/>
    public const string InstancesFile = "instances.csv";

    public static Command Create() => Create(TimeProvider.System, null);

    /// <param name="time">The clock for <c>now</c> in --from/--to.</param>
    /// <param name="http">The client for --prometheus (null: a new one).</param>
    public static Command Create(TimeProvider time, HttpClient? http)
    {
        var trace = new Option<FileInfo?>("--trace") { HelpName = "FILE", Description = "Request-rate trace: CSV t_seconds,requests_per_second (.csv or .csv.gz), e.g. the NASA traces" };
        var prometheus = new Option<string?>("--prometheus") { HelpName = "URL", Description = "Backtest on a Prometheus range query instead: the server's base URL" };
        var query = new Option<string?>("--query") { HelpName = "PROMQL", Description = "With --prometheus: PromQL giving the request rate as one series, e.g. sum(rate(http_requests_total[1m]))" };
        var from = new Option<string?>("--from") { HelpName = "TIME", Description = "With --prometheus: start, RFC 3339 (2025-07-01T00:00:00Z), Unix seconds, now or now-7d" };
        var to = new Option<string?>("--to") { HelpName = "TIME", Description = "With --prometheus: end, same forms as --from" };
        var step = new Option<string>("--step") { HelpName = "DURATION", Description = "With --prometheus: resolution of the range query", DefaultValueFactory = _ => "60s" };
        var scale = new Option<double?>("--scale") { HelpName = "K", Description = "Multiply the trace's rates by K" };
        var peak = new Option<int?>("--peak-instances") { HelpName = "N", Description = "Scale the rates so that the trace's peak needs N instances at the target utilisation" };
        var config = new Option<FileInfo?>("--config") { HelpName = "FILE", Description = "The autoscaler configuration whose pool is simulated" };
        var pool = new Option<string?>("--pool") { HelpName = "POOL", Description = "The pool to simulate (needed when the configuration has several)" };
        var bootTime = new Option<string>("--boot-time") { HelpName = "DURATION", Description = "From the create call to the instance running", DefaultValueFactory = _ => "65s" };
        var healthDelay = new Option<string>("--health-check-delay") { HelpName = "DURATION", Description = "From running and joined to the NodeBalancer node UP", DefaultValueFactory = _ => "10s" };
        var traceStart = new Option<string?>("--trace-start") { HelpName = "DURATION", Description = "With --trace: replay from this far into the trace, e.g. 12.4d or 1072000" };
        var traceLength = new Option<string?>("--trace-length") { HelpName = "DURATION", Description = "With --trace: replay this much of the trace, e.g. 39692m (NASA July 1-28)" };
        var clockStart = new Option<string?>("--clock-start") { HelpName = "TIME", Description = "With --trace: the date of t_seconds = 0 (for schedules), RFC 3339; default: t_seconds are Unix time" };
        var workMs = new Option<double>("--work-ms") { HelpName = "K", Description = "CPU milliseconds per request (the Workload's cost); capacity = vCPUs × 1000 / work-ms", DefaultValueFactory = _ => InstancePlans.DefaultWorkMs };
        var capacity = new Option<double?>("--capacity") { HelpName = "K", Description = "Requests per second one instance serves at 100 % CPU, instead of the type's vCPUs and --work-ms" };
        var price = new Option<decimal?>("--price") { HelpName = "USD", Description = "USD per started instance-hour (default: the pool type's Linode list price); without --monthly-price, no monthly cap" };
        var monthlyPrice = new Option<decimal?>("--monthly-price") { HelpName = "USD", Description = "USD cap per instance per calendar month (default: the type's, or none with --price)" };
        var billingPeriod = new Option<string>("--billing-period") { HelpName = "DURATION", Description = "Every started period is billed; a whole number of trace steps", DefaultValueFactory = _ => "1h" };
        var target = new Option<double?>("--target") { HelpName = "PERCENT", Description = "The target CPU % (warm start, --peak-instances, oracle-at-target) when the pool has no target tracking (default: its target)" };
        var report = new Option<DirectoryInfo?>("--report") { HelpName = "DIR", Description = $"Folder for {ReportFile}, {InstancesFile} and {PlotFile}" };

        var command = new Command("simulate", "Backtest scaling policies on a request-rate trace: the configuration's own (target-tracking, "
            + "and target-tracking-unaware without billing awareness), the reference architecture's CPU alerts (seed-threshold) and the cheapest "
            + "bill that never misses the SLO (oracle), through the real engine on a virtual cloud with boot time, health checks and Prometheus / "
            + "Alertmanager delays; what Linode bills (every started hour, capped per month), paid idle hours, SLO-violation minutes, actions, flaps")
        {
            trace, prometheus, query, from, to, step, scale, peak, config, pool, bootTime, healthDelay, traceStart, traceLength, clockStart,
            workMs, capacity, price, monthlyPrice, billingPeriod, target, report,
        };
        command.WithExamples(
            "linode-autoscaler simulate --trace ../shared/traces/nasa_http_1995_1min.csv --trace-length 39692m --peak-instances 12 --config examples/simulate.yaml --report out/simulate",
            "linode-autoscaler simulate --prometheus http://127.0.0.1:9090 --query \"sum(rate(http_requests_total[1m]))\" --from now-7d --to now --config examples/simulate.yaml");

        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var errors = new List<string>();

            var settings = new SimulateSettings
            {
                Scale = parse.GetValue(scale),
                PeakInstances = parse.GetValue(peak),
                BootTime = Duration(parse.GetValue(bootTime), "--boot-time", errors, allowZero: true),
                HealthCheckDelay = Duration(parse.GetValue(healthDelay), "--health-check-delay", errors, allowZero: true),
                WorkMs = parse.GetValue(workMs),
                Capacity = parse.GetValue(capacity),
                PricePerHour = parse.GetValue(price),
                MonthlyPrice = parse.GetValue(monthlyPrice),
                BillingPeriod = Duration(parse.GetValue(billingPeriod), "--billing-period", errors, allowZero: false),
                TargetPercent = parse.GetValue(target),
            };

            if (settings.Scale is null && settings.PeakInstances is null)
            {
                errors.Add("say how to scale the trace: --scale K (multiply its rates) or --peak-instances N (its peak needs N instances)");
            }
            else if (settings.Scale is not null && settings.PeakInstances is not null)
            {
                errors.Add("use only one of --scale and --peak-instances");
            }

            var reportDir = parse.GetValue(report);
            if (reportDir is null)
            {
                errors.Add($"--report DIR is required (where {ReportFile}, {InstancesFile} and {PlotFile} go)");
            }

            AutoscalerConfig? loaded = null;
            if (parse.GetValue(config) is not { } configFile)
            {
                errors.Add("--config FILE is required (the autoscaler configuration whose pool is simulated)");
            }
            else if (!configFile.Exists)
            {
                errors.Add($"--config: '{configFile.FullName}' does not exist");
            }
            else
            {
                var configResult = ServiceSchema.Load(configFile.FullName, new ConfigLoadOptions { RequireCloudAccess = false });
                if (configResult.IsValid)
                {
                    loaded = configResult.Config;
                }
                else
                {
                    errors.Add($"--config: '{configFile.FullName}' is not valid:");
                    errors.AddRange(configResult.Errors.Select(e => "  " + (e.Line > 0 && !e.Message.StartsWith("line ", StringComparison.Ordinal)
                        ? string.Create(CultureInfo.InvariantCulture, $"line {e.Line}, column {e.Column}: {e.Message}")
                        : e.Message)));
                }
            }

            var source = ReadSource(parse, trace, prometheus, query, from, to, step, traceStart, traceLength, clockStart, time, errors);
            if (errors.Count > 0)
            {
                return await FailAsync(error, errors, 2);
            }

            LoadTrace? raw;
            var missingNote = "";
            string traceName;
            if (source is TraceSource.File file)
            {
                var whole = LoadTrace.TryLoad(file.Path, out var problems, file.ClockStart);
                errors.AddRange(problems);
                raw = whole is not null && (file.Start > TimeSpan.Zero || file.Length is not null) ? whole.Slice(file.Start, file.Length) : whole;
                if (whole is not null && raw is null)
                {
                    errors.Add($"--trace-start {parse.GetValue(traceStart)} is past the end of the trace (it lasts {Durations.Format(whole.Duration)})");
                }

                traceName = Path.GetFileName(file.Path);
            }
            else
            {
                var p = (TraceSource.Prometheus)source!;
                using var own = http is null ? new HttpClient { Timeout = TimeSpan.FromSeconds(60) } : null;
                var fetched = await PrometheusRangeSource.FetchAsync(http ?? own!, p.Url, p.Query, p.From, p.To, p.Step, cancellationToken);
                if (fetched.Error is not null)
                {
                    return await FailAsync(error, [fetched.Error], 1);
                }

                raw = fetched.Trace;
                traceName = $"{p.Query} from {p.Url}";
                if (fetched.MissingSteps > 0)
                {
                    missingNote = string.Create(CultureInfo.InvariantCulture, $"{fetched.MissingSteps} of {raw!.Rates.Count} steps had no value and count as 0 requests/s");
                }
            }

            var plan = raw is null || loaded is null ? null : SimulateSetup.TryCreate(loaded, parse.GetValue(pool), raw, settings, errors);
            if (errors.Count > 0 || plan is null)
            {
                return await FailAsync(error, errors, 2);
            }

            var console = Console(output);
            var load = plan.Request.Load;
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"simulate: {traceName}: {load.Rates.Count} rows of {DurationText.Format(load.Step)} ({load.Duration.TotalDays:0.##} days from {load.Start:u})")));
            foreach (var note in plan.Notes.Append(missingNote).Where(n => n.Length > 0))
            {
                console.MarkupLine(Markup.Escape("  " + note));
            }

            var stopwatch = Stopwatch.StartNew();
            SimulationReport result;
            try
            {
                result = await Simulator.RunAsync(plan.Request, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync("simulate: interrupted");
                return 130;
            }

            stopwatch.Stop();
            console.Write(Table(result));
            foreach (var line in OracleNotes(result))
            {
                console.MarkupLine(Markup.Escape(line));
            }

            var timing = result.Timing is { } t
                ? string.Create(CultureInfo.InvariantCulture, $" (engine: {t.EngineRuns} runs in {t.Policies.TotalSeconds:0.0} s; oracle: {t.Oracle.TotalSeconds:0.0} s)")
                : "";
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"simulated {result.Minutes:0} minutes × {result.Policies.Count} engine policies and the oracles in {stopwatch.Elapsed.TotalSeconds:0.0} s{timing}")));

            try
            {
                reportDir!.Create();
                var jsonPath = Path.Combine(reportDir.FullName, ReportFile);
                await using (var stream = File.Create(jsonPath))
                {
                    result.WriteJson(stream);
                }

                var instancesPath = Path.Combine(reportDir.FullName, InstancesFile);
                await using (var csv = new StreamWriter(instancesPath))
                {
                    result.WriteInstancesCsv(csv);
                }

                var plotPath = Path.Combine(reportDir.FullName, PlotFile);
                SimulatePlot.Save(plotPath, result, string.Create(CultureInfo.InvariantCulture,
                    $"simulate: {traceName}, rates × {plan.Scale:0.###}, {plan.Request.Options.InstanceCapacity:0.#} requests/s per instance, target {plan.Request.Options.TargetUtilization * 100:0.#} %"));
                console.MarkupLine(Markup.Escape($"report: {jsonPath}"));
                console.MarkupLine(Markup.Escape($"lives:  {instancesPath}"));
                console.MarkupLine(Markup.Escape($"plot:   {plotPath}"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return await FailAsync(error, [$"cannot write the report into '{reportDir!.FullName}': {ex.Message}"], 1);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The results as a table: one row per policy, the oracles last.</summary>
    public static Table Table(SimulationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("policy")
            .AddColumn(new TableColumn("billed cost (USD)").RightAligned())
            .AddColumn(new TableColumn("× oracle").RightAligned())
            .AddColumn(new TableColumn("billed hours").RightAligned())
            .AddColumn(new TableColumn("instance-hours").RightAligned())
            .AddColumn(new TableColumn("paid-idle hours").RightAligned())
            .AddColumn(new TableColumn("SLO-violation minutes").RightAligned())
            .AddColumn(new TableColumn("actions (up/down)").RightAligned())
            .AddColumn(new TableColumn("flaps").RightAligned());
        foreach (var p in report.All)
        {
            table.AddRow(
                Markup.Escape(p.Name),
                p.BilledCost is { } c ? I($"{c:0.00}") : "-",
                p.RatioToOracle is { } r ? I($"{r:0.000}") : "-",
                I($"{p.BilledHours:0.#}"),
                I($"{p.InstanceHours:0.0}"),
                I($"{p.PaidIdleHours:0.0}"),
                I($"{p.SloViolationMinutes:0.#} ({100 * p.SloViolationMinutes / Math.Max(1e-9, report.Minutes):0.00} %)"),
                I($"{p.Actions} ({p.ScaleUps}/{p.ScaleDowns})"),
                I($"{p.Flaps}"));
        }

        return table;
    }

    /// <summary>What the oracle could not do within min..max (nothing, usually).</summary>
    public static IEnumerable<string> OracleNotes(SimulationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var coverage = report.OracleCoverage;
        if (coverage.UncoveredSteps.Count > 0)
        {
            yield return I($"oracle: the SLO needs more than max instances in {coverage.UncoveredSteps.Count} rows (served at max; they count as violations)");
        }

        if (coverage.StepsOverMax.Count > 0)
        {
            yield return I($"oracle: its plan has more than max instances alive (booting ones counted) in {coverage.StepsOverMax.Count} rows; its bill is a lower bound, not a plan within max");
        }
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private abstract record TraceSource
    {
        public sealed record File(string Path, TimeSpan Start, TimeSpan? Length, DateTimeOffset? ClockStart) : TraceSource;

        public sealed record Prometheus(Uri Url, string Query, DateTimeOffset From, DateTimeOffset To, TimeSpan Step) : TraceSource;
    }

    private static TraceSource? ReadSource(ParseResult parse, Option<FileInfo?> trace, Option<string?> prometheus, Option<string?> query,
        Option<string?> from, Option<string?> to, Option<string> step, Option<string?> traceStart, Option<string?> traceLength,
        Option<string?> clockStart, TimeProvider time, List<string> errors)
    {
        var file = parse.GetValue(trace);
        var url = parse.GetValue(prometheus);
        var promOnly = new Option[] { query, from, to, step }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        var fileOnly = new Option[] { traceStart, traceLength, clockStart }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
        if (file is null && url is null)
        {
            errors.Add("say what load to replay: --trace FILE.csv, or --prometheus URL --query PROMQL --from TIME --to TIME");
            return null;
        }

        if (file is not null && url is not null)
        {
            errors.Add("use only one of --trace and --prometheus");
            return null;
        }

        if (file is not null)
        {
            if (promOnly.Count > 0)
            {
                errors.Add($"{string.Join(", ", promOnly)} only apply to --prometheus");
            }

            var start = TimeSpan.Zero;
            if (parse.GetValue(traceStart) is { } startText && !DurationText.TryParse(startText, out start))
            {
                errors.Add($"--trace-start '{startText}' is not a duration like 3600s, 12.4d or 1h30m{DurationText.Hint(startText)}");
            }

            TimeSpan? length = null;
            if (parse.GetValue(traceLength) is { } lengthText)
            {
                if (DurationText.TryParse(lengthText, out var l) && l > TimeSpan.Zero)
                {
                    length = l;
                }
                else
                {
                    errors.Add($"--trace-length '{lengthText}' is not a positive duration like 39692m, 7d or 3600s{DurationText.Hint(lengthText)}");
                }
            }

            DateTimeOffset? clock = null;
            if (parse.GetValue(clockStart) is { } clockText)
            {
                if (DateTimeOffset.TryParse(clockText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c))
                {
                    clock = c;
                }
                else
                {
                    errors.Add($"--clock-start '{clockText}' is not a date like 1995-07-01T00:00:00-04:00");
                }
            }

            if (!file.Exists)
            {
                errors.Add($"--trace: '{file.FullName}' does not exist");
            }

            return new TraceSource.File(file.FullName, start, length, clock);
        }

        if (fileOnly.Count > 0)
        {
            errors.Add($"{string.Join(", ", fileOnly)} only apply to --trace");
        }

        Uri? baseUrl = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"--prometheus must be an http or https URL like http://127.0.0.1:9090 (got '{url}')");
        }

        var promql = parse.GetValue(query);
        if (string.IsNullOrWhiteSpace(promql))
        {
            errors.Add("--prometheus needs --query PROMQL (the request rate as one series, e.g. sum(rate(http_requests_total[1m])))");
        }

        var now = time.GetUtcNow();
        var fromTime = Time(parse.GetValue(from), "--from", now, errors);
        var toTime = Time(parse.GetValue(to), "--to", now, errors);
        if (fromTime is { } f && toTime is { } t && t <= f)
        {
            errors.Add($"--to ({t:O}) must be after --from ({f:O})");
        }

        var stepValue = Duration(parse.GetValue(step), "--step", errors, allowZero: false);
        if (errors.Count > 0 || baseUrl is null || promql is null || fromTime is null || toTime is null)
        {
            return null;
        }

        return new TraceSource.Prometheus(baseUrl, promql, fromTime.Value, toTime.Value, stepValue);
    }

    /// <summary>RFC 3339, Unix seconds, <c>now</c> or <c>now-DURATION</c>; null (and an error) when it is none of them.</summary>
    public static DateTimeOffset? Time(string? text, string name, DateTimeOffset now, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            errors.Add($"--prometheus needs {name} TIME (RFC 3339 like 2025-07-01T00:00:00Z, Unix seconds, now or now-7d)");
            return null;
        }

        var s = text.Trim();
        if (s == "now")
        {
            return now;
        }

        if (s.StartsWith("now-", StringComparison.Ordinal) && DurationText.TryParse(s[4..], out var ago))
        {
            return now - ago;
        }

        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var unix) && double.IsFinite(unix) && unix >= 0 && unix < 1e11)
        {
            return DateTimeOffset.FromUnixTimeMilliseconds((long)(unix * 1000));
        }

        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return t;
        }

        errors.Add($"{name} '{text}' is not a time (RFC 3339 like 2025-07-01T00:00:00Z, Unix seconds, now or now-7d)");
        return null;
    }

    private static TimeSpan Duration(string? text, string name, List<string> errors, bool allowZero)
    {
        if (DurationText.TryParse(text, out var d) && (d > TimeSpan.Zero || (allowZero && d == TimeSpan.Zero)))
        {
            return d;
        }

        errors.Add($"{name} '{text}' is not a {(allowZero ? "" : "positive ")}duration like 60s, 1.5m or 1h30m{DurationText.Hint(text)}");
        return TimeSpan.Zero;
    }

    private static async Task<int> FailAsync(TextWriter error, IEnumerable<string> errors, int code)
    {
        foreach (var e in errors)
        {
            await error.WriteLineAsync("simulate: " + e);
        }

        return code;
    }

    private static IAnsiConsole Console(TextWriter output)
    {
        var terminal = output == System.Console.Out && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!terminal)
        {
            // Files and pipes get whole lines, not lines wrapped at a guessed terminal width.
            console.Profile.Width = 200;
        }

        return console;
    }
}

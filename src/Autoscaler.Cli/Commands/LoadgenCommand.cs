using System.CommandLine;
using System.Globalization;
using Autoscaler.Load;
using Spectre.Console;

namespace Autoscaler.Cli.Commands;

/// <summary><c>linode-autoscaler loadgen URL... --profile ...</c>: open-loop HTTP load following a profile, with a
/// line per second and an optional JSON report.</summary>
public static class LoadgenCommand
{
    public static Command Create()
    {
        var targets = new Argument<string[]>("url")
        {
            Description = "Target URL(s), requested in turn, e.g. http://127.20.0.1:80/ (only 127.0.0.0/8 unless --allow-remote)",
            Arity = ArgumentArity.OneOrMore,
        };
        var rate = new Option<double?>("--rate", "-r") { HelpName = "K", Description = "Constant rate in requests per second (with --duration)" };
        var duration = new Option<string?>("--duration", "-d") { HelpName = "DURATION", Description = "How long to send at --rate: 90s, 2m, 1h30m" };
        var profile = new Option<string?>("--profile", "-p")
        {
            HelpName = "PROFILE",
            Description = "Segments DURATION@RATE (constant) or DURATION@FROM..TO (linear ramp), comma-separated, "
                + "e.g. \"60s@20,30s@20..80,60s@80,60s@20\"",
        };
        var profileFile = new Option<FileInfo?>("--profile-file")
        {
            HelpName = "FILE",
            Description = "Replay a rate trace: CSV t_seconds,requests_per_second (e.g. the NASA traces)",
        };
        var scale = new Option<double>("--scale") { HelpName = "K", Description = "Multiply the trace's rates by K", DefaultValueFactory = _ => 1 };
        var speedup = new Option<double>("--speedup")
        {
            HelpName = "K",
            Description = "Replay the trace S times faster (60: one minute of trace per second); rates are kept, only --scale changes them",
            DefaultValueFactory = _ => 1,
        };
        var traceStart = new Option<string?>("--trace-start") { HelpName = "DURATION", Description = "Trace time to start from, e.g. 1072000s or 12.4d" };
        var traceLength = new Option<string?>("--trace-length") { HelpName = "DURATION", Description = "Trace time to replay from --trace-start, e.g. 3h" };
        var arrivals = new Option<ArrivalProcess>("--arrivals")
        {
            Description = "Arrival spacing: Poisson (random, like real users) or Uniform (evenly spaced)",
            DefaultValueFactory = _ => ArrivalProcess.Poisson,
        };
        var seed = new Option<int?>("--seed") { HelpName = "N", Description = "Seed of the Poisson arrivals (default: random, printed)" };
        var timeout = new Option<string>("--timeout")
        {
            HelpName = "DURATION",
            Description = "Each request's own timeout from its send (connect, answer and body)",
            DefaultValueFactory = _ => "10s",
        };
        var maxInFlight = new Option<int>("--max-in-flight")
        {
            HelpName = "N",
            Description = "Requests in flight at most; an arrival beyond it is counted as dropped (the schedule never waits)",
            DefaultValueFactory = _ => 1000,
        };
        var connections = new Option<int?>("--connections")
        {
            HelpName = "N",
            Description = "Keep-alive connections per target host (default: --max-in-flight, so requests never queue in the client)",
        };
        var workMs = new Option<int?>("--work-ms") { HelpName = "N", Description = "Add ?work_ms=N to every target (the Workload's CPU cost per request)" };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow targets outside 127.0.0.0/8" };
        var json = new Option<FileInfo?>("--json") { HelpName = "FILE", Description = "Write per-second rows and totals as JSON to FILE" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No line per second; only the summary" };
        var noWarmup = new Option<bool>("--no-warmup")
        {
            Description = "Skip the one uncounted request per target sent before the clock starts (it keeps the client's start-up cost out of the numbers)",
        };

        var command = new Command("loadgen", "Open-loop HTTP load generator: requests leave on the profile's schedule whatever "
            + "the target does, latency counts from the scheduled send time (queueing shows honestly)")
        {
            targets, rate, duration, profile, profileFile, scale, speedup, traceStart, traceLength, arrivals, seed,
            timeout, maxInFlight, connections, workMs, allowRemote, json, quiet, noWarmup,
        };
        command.WithExamples(
            "linode-autoscaler loadgen http://127.20.0.1:8088/ --rate 20 --duration 60s",
            "linode-autoscaler loadgen http://127.20.0.1:8088/ --profile \"60s@20,30s@20..80,60s@80,60s@20\" --json load.json",
            "linode-autoscaler loadgen http://127.20.0.1:8088/ --profile-file ../shared/traces/nasa_http_1995_1min.csv --scale 10 --speedup 60");

        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var errors = new List<string>();

            var loadProfile = ReadProfile(parse, rate, duration, profile, profileFile, scale, speedup, traceStart, traceLength, errors);
            var urls = ReadTargets(parse.GetValue(targets) ?? [], parse.GetValue(workMs), errors);
            if (!DurationText.TryParse(parse.GetValue(timeout), out var requestTimeout) || requestTimeout <= TimeSpan.Zero)
            {
                errors.Add($"--timeout '{parse.GetValue(timeout)}' is not a positive duration like 10s or 500ms{DurationText.Hint(parse.GetValue(timeout))}");
            }

            LoadGeneratorOptions? options = null;
            if (loadProfile is not null && errors.Count == 0)
            {
                options = new LoadGeneratorOptions
                {
                    Targets = urls,
                    Profile = loadProfile,
                    Arrivals = parse.GetValue(arrivals),
                    Seed = parse.GetValue(seed),
                    Timeout = requestTimeout,
                    MaxInFlight = parse.GetValue(maxInFlight),
                    Connections = parse.GetValue(connections),
                    AllowRemote = parse.GetValue(allowRemote),
                    Warmup = !parse.GetValue(noWarmup),
                };
                errors.AddRange(options.Validate());
            }

            if (errors.Count > 0 || options is null)
            {
                foreach (var problem in errors)
                {
                    await error.WriteLineAsync("loadgen: " + problem);
                }

                return 2;
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = output == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = output == Console.Out && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            });
            if (output != Console.Out || Console.IsOutputRedirected)
            {
                // Files and pipes get whole lines, not lines wrapped at a guessed terminal width.
                console.Profile.Width = 1000;
            }

            var p = options.Profile;
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"loadgen: {p.Description} ({p.TotalArrivals:0} requests expected over {DurationText.Format(p.Duration)}, peak {p.PeakRate:0.#}/s, "
                + $"{options.Arrivals.ToString().ToLowerInvariant()}) → {string.Join(", ", options.Targets)}")));

            var quietRun = parse.GetValue(quiet);
            if (!quietRun)
            {
                console.MarkupLine("[grey]" + Markup.Escape(Header) + "[/]");
            }

            var report = await new LoadGenerator(options).RunAsync(
                sample =>
                {
                    if (!quietRun)
                    {
                        console.MarkupLine(Line(sample));
                    }
                },
                cancellationToken);

            WriteSummary(console, report);
            if (parse.GetValue(json) is { } file)
            {
                try
                {
                    await using (var stream = file.Create())
                    {
                        report.WriteJson(stream);
                    }

                    console.MarkupLine(Markup.Escape($"loadgen: report written to {file.FullName}"));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync($"loadgen: cannot write '{file.FullName}': {e.Message}");
                    return 1;
                }
            }

            return report.Cancelled ? 130 : 0;
        });
        return command;
    }

    private const string Header = "     t   target     sent       ok   errors inflight      p50      p95      p99      max";

    private static LoadProfile? ReadProfile(
        ParseResult parse,
        Option<double?> rate,
        Option<string?> duration,
        Option<string?> profile,
        Option<FileInfo?> profileFile,
        Option<double> scale,
        Option<double> speedup,
        Option<string?> traceStart,
        Option<string?> traceLength,
        List<string> errors)
    {
        var rateValue = parse.GetValue(rate);
        var durationText = parse.GetValue(duration);
        var profileText = parse.GetValue(profile);
        var file = parse.GetValue(profileFile);
        var sources = (rateValue is not null || durationText is not null ? 1 : 0) + (profileText is not null ? 1 : 0) + (file is not null ? 1 : 0);
        if (sources != 1)
        {
            errors.Add(sources == 0
                ? "say what load to send: --rate R --duration D, --profile \"60s@20,30s@20..80,60s@20\", or --profile-file trace.csv"
                : "use only one of --rate/--duration, --profile and --profile-file");
            return null;
        }

        var traceOnly = new[] { (Option)scale, speedup, traceStart, traceLength }.Where(o => parse.GetResult(o) is { Implicit: false }).ToList();
        if (file is null && traceOnly.Count > 0)
        {
            errors.Add($"{string.Join(", ", traceOnly.Select(o => o.Name))} only apply to --profile-file");
        }

        if (profileText is not null)
        {
            if (!LoadProfile.TryParse(profileText, out var parsed, out var problems))
            {
                errors.AddRange(problems);
            }

            return parsed;
        }

        if (file is not null)
        {
            var replay = new TraceReplay { Scale = parse.GetValue(scale), Speedup = parse.GetValue(speedup) };
            if (parse.GetValue(traceStart) is { } startText)
            {
                if (DurationText.TryParse(startText, out var start))
                {
                    replay = replay with { Start = start };
                }
                else
                {
                    errors.Add($"--trace-start '{startText}' is not a duration like 3600s, 12.4d or 1h30m{DurationText.Hint(startText)}");
                }
            }

            if (parse.GetValue(traceLength) is { } lengthText)
            {
                if (DurationText.TryParse(lengthText, out var length) && length > TimeSpan.Zero)
                {
                    replay = replay with { Length = length };
                }
                else
                {
                    errors.Add($"--trace-length '{lengthText}' is not a positive duration like 3h or 7200s{DurationText.Hint(lengthText)}");
                }
            }

            if (!LoadProfile.TryLoadTrace(file.FullName, replay, out var trace, out var problems))
            {
                errors.AddRange(problems);
            }

            return trace;
        }

        if (rateValue is not { } r || durationText is null)
        {
            errors.Add("--rate and --duration go together (e.g. --rate 20 --duration 60s)");
            return null;
        }

        var ok = true;
        if (!double.IsFinite(r) || r <= 0)
        {
            errors.Add($"--rate must be greater than 0 requests per second (got {r.ToString(CultureInfo.InvariantCulture)})");
            ok = false;
        }

        if (!DurationText.TryParse(durationText, out var d) || d <= TimeSpan.Zero)
        {
            errors.Add($"--duration '{durationText}' is not a positive duration like 60s, 2m or 1m30s{DurationText.Hint(durationText)}");
            ok = false;
        }

        return ok ? LoadProfile.Constant(r, d) : null;
    }

    private static List<Uri> ReadTargets(string[] texts, int? workMs, List<string> errors)
    {
        var urls = new List<Uri>();
        if (workMs is < 0 or > 60_000)
        {
            errors.Add($"--work-ms must be from 0 to 60000 (got {workMs.Value.ToString(CultureInfo.InvariantCulture)})");
        }

        foreach (var text in texts)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"target '{text}' is not an http:// or https:// URL like http://127.20.0.1:80/");
                continue;
            }

            urls.Add(workMs is { } w ? WithWorkMs(uri, w) : uri);
        }

        return urls;
    }

    private static Uri WithWorkMs(Uri uri, int workMs)
    {
        var query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(q => !q.StartsWith("work_ms=", StringComparison.Ordinal) && q != "work_ms")
            .Append(string.Create(CultureInfo.InvariantCulture, $"work_ms={workMs}"));
        return new UriBuilder(uri) { Query = string.Join('&', query) }.Uri;
    }

    private static string Line(LoadSample s)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{s.Second + 1,5}s {s.TargetRate,8:0.0} {s.Sent,8} {s.Ok,8} {s.Errors,8} {s.InFlight,8} {Ms(s.P50Ms),8} {Ms(s.P95Ms),8} {Ms(s.P99Ms),8} {Ms(s.MaxMs),8}");
        var line = Markup.Escape(text);
        if (s.Errors > 0)
        {
            line += " [red]" + Markup.Escape("(" + s.ErrorsByKind + ")") + "[/]";
        }

        if (s.MaxLagMs >= 50)
        {
            line += " [yellow]" + Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"(sender {s.MaxLagMs:0} ms late)")) + "[/]";
        }

        return line;
    }

    private static void WriteSummary(IAnsiConsole console, LoadReport report)
    {
        var t = report.Totals;
        var requests = report.Requests;
        var kinds = t.ErrorsByKind.ToString();
        var codes = string.Join(", ", t.StatusCodes.OrderBy(c => c.Key).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key}: {c.Value}")));
        var errorKinds = kinds.Length > 0 ? $" ({kinds})" : "";
        var abandoned = t.Cancelled > 0 ? FormattableString.Invariant($", {t.Cancelled} abandoned in flight") : "";
        var lines = new[]
        {
            FormattableString.Invariant(
                $"loadgen: {(report.Cancelled ? "stopped" : "done")} after {report.Elapsed.TotalSeconds:0.0}s: {requests.Total} requests (sent {t.Sent}, dropped {t.ErrorsByKind.Dropped}), ok {t.Ok}, errors {t.Errors}{errorKinds}{abandoned}"),
            FormattableString.Invariant(
                $"  rate: target {t.TargetRate:0.0}/s, sent {t.SentRate:0.0}/s over {t.ScheduleSeconds:0.0}s; latency p50 {Ms(t.P50Ms)}, p95 {Ms(t.P95Ms)}, p99 {Ms(t.P99Ms)}, max {Ms(t.MaxMs)}"),
            FormattableString.Invariant(
                $"  status codes: {(codes.Length == 0 ? "none" : codes)}; seed {report.Seed}; sender late by {t.MaxLagMs:0} ms at worst"),
        };
        foreach (var line in lines)
        {
            console.MarkupLine(Markup.Escape(line));
        }
    }

    private static string Ms(double? ms) => ms switch
    {
        null => "-",
        < 10 => string.Create(CultureInfo.InvariantCulture, $"{ms:0.0}ms"),
        < 10_000 => string.Create(CultureInfo.InvariantCulture, $"{ms:0}ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.0}s"),
    };
}

using System.Globalization;
using Autoscaler.Sandbox.Demo;
using Spectre.Console;

namespace Autoscaler.Cli.Commands;

/// <summary>The terminal display: a line per second (time, phase, offered load, pool CPU, instances serving /
/// booting / draining, p95 and errors) with each alert and decision in between, then the summary.</summary>
public sealed class DemoConsole(IAnsiConsole console) : IDemoReporter
{
    private int _lines;

    public void OnStep(string text) => console.MarkupLine("[grey]demo:[/] " + Markup.Escape(text));

    public void OnSample(DemoSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var s = sample;
        if (_lines++ % 20 == 0)
        {
            console.MarkupLine("[grey]  time phase   load   cpu  inst   up boot drain  cap/s   p95 ms  err/s[/]");
        }

        var cpu = s.CpuPercent is { } c ? c.ToString("0", CultureInfo.InvariantCulture) + "%" : "-";
        var cpuColor = s.CpuPercent switch
        {
            > 70 => "red",
            < 25 => "blue",
            null => "grey",
            _ => "green",
        };
        var p95 = s.P95Ms is { } p ? p.ToString("0", CultureInfo.InvariantCulture) : "-";
        var errors = Highlight((int)Math.Min(s.Errors, 99_999), 6, "red");
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"{Clock(s.Seconds),6} {s.Phase,-6} {s.OfferedRps,5:0} [{cpuColor}]{cpu,5}[/] {s.Instances,5} {s.Serving,4} "
            + $"{Highlight(s.Booting, 4, "yellow")} {Highlight(s.Draining, 5, "blue")} {s.CapacityRps,6:0} {p95,8} {errors}"));
    }

    public void OnEvent(DemoEvent demoEvent)
    {
        ArgumentNullException.ThrowIfNull(demoEvent);
        var e = demoEvent;
        var color = e.Kind switch
        {
            "decision" => "bold yellow",
            "alert" => "magenta",
            "billing" => "green",
            _ => "cyan",
        };
        console.MarkupLine($"{Clock(e.Seconds),6}  [{color}]{Markup.Escape(e.Text)}[/]");
    }

    public void OnPart(string name, Uri endpoint, int? processId)
    {
        // The steps already say where each part listens.
    }

    /// <summary>The closing table.</summary>
    public void Summary(DemoResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var s = result.Summary;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("summary", "value");
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        Row("scaleUps / scaleDowns", $"{s.ScaleUps} / {s.ScaleDowns}");
        Row("instances: min / peak / final (max)", $"{s.MinInstances} / {s.PeakInstances} / {s.FinalInstances} ({s.MaxInstances})");
        Row("leakedInstances", s.LeakedInstances.ToString(CultureInfo.InvariantCulture));
        Row("alertToFirstApiCallMs", s.AlertToFirstApiCallMs is { } a ? $"{a} ms ({s.FirstApiCall})" : "- (no scale-up)");
        Row("spikeToServingSeconds", s.SpikeToServingSeconds is { } v
            ? string.Create(CultureInfo.InvariantCulture, $"{v:0.0} s (floor {s.SpikeToServingFloorSeconds:0.0} s)")
            : "- (no new instance served)");
        Row("requests: total / errors / p95", string.Create(CultureInfo.InvariantCulture,
            $"{s.Requests.Total} / {s.Requests.Errors} / {(s.Requests.P95Ms is { } p ? p.ToString("0", CultureInfo.InvariantCulture) + " ms" : "-")}"));
        Row("billed: autoscaler / emulator", s.BilledUsd is null && s.BalanceUninvoicedUsd is null ? "-"
            : $"${Usd(s.BilledUsd)} / ${Usd(s.BalanceUninvoicedUsd)} (balance_uninvoiced)");
        Row("back at min after", s.BackToMinSeconds is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b:0} s of load") : "-");
        Row("profile (s@rps), seed", $"{s.Profile}, {s.Seed}");
        console.Write(table);
        if (result.Leftovers.Count > 0)
        {
            foreach (var l in result.Leftovers)
            {
                console.MarkupLine("[red]left behind:[/] " + Markup.Escape(l));
            }
        }
    }

    private static string Usd(decimal? usd) => usd?.ToString("0.00##", CultureInfo.InvariantCulture) ?? "?";

    private static string Highlight(int value, int width, string color)
    {
        var text = value.ToString(CultureInfo.InvariantCulture).PadLeft(width);
        return value > 0 ? $"[{color}]{text}[/]" : text;
    }

    private static string Clock(double seconds)
    {
        var sign = seconds < 0 ? "-" : "";
        var t = TimeSpan.FromSeconds(Math.Abs(Math.Round(seconds)));
        return sign + ((int)t.TotalMinutes).ToString(CultureInfo.InvariantCulture) + ":" + t.Seconds.ToString("00", CultureInfo.InvariantCulture);
    }
}

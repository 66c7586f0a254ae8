using Autoscaler.Core.Providers.Virtual;
using System.Globalization;
using ScottPlot;

namespace Autoscaler.Simulation;

/// <summary>The backtest as a PNG: per policy, the load against its serving capacity over the whole trace with its
/// releases (removals started) and take-backs marked and its bill against the oracle's in the title, and the day
/// around the trace's peak with every policy's capacity, where the differences show.</summary>
public static class SimulatePlot
{
    private const int Width = 1600;

    private static readonly Color[] Palette = [Colors.Blue, Colors.Teal, Colors.Red, Colors.Purple, Colors.Green, Colors.Orange];

    public static void Save(string path, SimulationReport report, string title)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(title);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);

        var load = report.Load;
        var days = load.Step.TotalDays;
        var xs = Enumerable.Range(0, load.Rates.Count).Select(k => k * days).ToArray();
        var rates = load.Rates.ToArray();
        var policies = report.All.ToList();
        var yMax = Math.Max(1, Math.Max(rates.Max(), policies.Max(p => p.ServingCapacity.Count == 0 ? 0 : p.ServingCapacity.Max()))) * 1.05;

        var multiplot = new Multiplot();
        multiplot.AddPlots(policies.Count + 1);
        var panels = new List<Plot>();
        for (var i = 0; i < policies.Count; i++)
        {
            var p = policies[i];
            var plot = multiplot.GetPlot(i);
            panels.Add(plot);
            plot.Title(i == 0 ? title + "\n" + Summary(p, report) : Summary(p, report), size: 13);
            Line(plot, xs, rates, "load (requests/s)", Colors.Gray.WithAlpha(0.8), 1, Width);
            Line(plot, xs, p.ServingCapacity.ToArray(), "serving capacity (requests/s)", Palette[i % Palette.Length], 1.5f, Width);
            if (report.Forecast is { } forecast && string.Equals(p.Name, SimulationPolicy.TargetTrackingForecastName, StringComparison.Ordinal))
            {
                // The forecast against the load it forecast, from its first day on (before, there is none).
                var first = Math.Max(0, forecast.Point.ToList().FindIndex(double.IsFinite));
                var ys = forecast.Point.Skip(first).Select(v => double.IsFinite(v) ? v : 0).ToArray();
                if (ys.Length > 1)
                {
                    Line(plot, xs[first..], ys, string.Create(CultureInfo.InvariantCulture, $"forecast, {forecast.Lead.TotalMinutes:0.#} min ahead (requests/s)"), Colors.Orange, 1, Width);
                }
            }

            Marks(plot, p, report, RemovalEventKind.Release, "release (removal started)", MarkerShape.FilledTriangleDown, Colors.DarkRed);
            Marks(plot, p, report, RemovalEventKind.TakeBack, "take-back", MarkerShape.FilledTriangleUp, Colors.DarkGreen);
            plot.Axes.SetLimitsY(0, yMax);
            plot.Axes.SetLimitsX(0, xs.Length * days);
            plot.YLabel("requests/s");
            plot.ShowLegend(Alignment.UpperRight);
        }

        panels[^1].XLabel("days since the start of the trace");

        // The day around the peak, where reaction time and headroom show.
        var peak = Array.IndexOf(rates, rates.Max());
        var perDay = (int)Math.Round(1 / days);
        var from = Math.Max(0, peak - (perDay / 2));
        var to = Math.Min(rates.Length, from + perDay);
        from = Math.Max(0, to - perDay);
        var zoom = multiplot.GetPlot(policies.Count);
        var hours = Enumerable.Range(from, to - from).Select(k => (k - peak) * load.Step.TotalHours).ToArray();
        zoom.Title("the day around the peak, every policy", size: 13);
        Line(zoom, hours, rates[from..to], "load (requests/s)", Colors.Black.WithAlpha(0.6), 1);
        for (var i = 0; i < policies.Count; i++)
        {
            Line(zoom, hours, policies[i].ServingCapacity.Skip(from).Take(to - from).ToArray(), $"{policies[i].Name} capacity", Palette[i % Palette.Length], 1.5f);
        }

        zoom.XLabel("hours from the peak");
        zoom.YLabel("requests/s");
        zoom.ShowLegend(Alignment.UpperRight);

        foreach (var plot in panels.Append(zoom))
        {
            // The same margins on every panel, so their axes line up.
            plot.Layout.Fixed(new PixelPadding(80, 30, 50, 60));
        }

        multiplot.SharedAxes.ShareX(panels.ToArray());
        multiplot.SavePng(path, Width, 300 * (policies.Count + 1));
    }

    private static string Summary(PolicyResult p, SimulationReport report)
    {
        var bill = p.BilledCost is { } cost ? string.Create(CultureInfo.InvariantCulture, $"billed ${cost:0.00}") : "billed";
        var ratio = p.RatioToOracle is { } r ? string.Create(CultureInfo.InvariantCulture, $" ({r:0.00} × oracle)") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{p.Name}: {bill}{ratio}, {p.BilledHours:0.#} billed hours for {p.InstanceHours:0.#} instance-hours, "
            + $"{p.SloViolationMinutes:0.#} SLO-violation minutes ({100 * p.SloViolationMinutes / Math.Max(1e-9, report.Minutes):0.00} %), {p.Actions} actions, {p.Flaps} flaps");
    }

    /// <summary>Marks the policy's releases or take-backs on its capacity line (at the row they happened in).</summary>
    private static void Marks(Plot plot, PolicyResult p, SimulationReport report, RemovalEventKind kind, string label, MarkerShape shape, Color color)
    {
        var load = report.Load;
        var events = p.RemovalEvents.Where(e => e.Kind == kind && e.At >= load.Start && e.At < load.End).ToList();
        if (events.Count == 0 || p.ServingCapacity.Count == 0)
        {
            return;
        }

        var xs = new double[events.Count];
        var ys = new double[events.Count];
        for (var k = 0; k < events.Count; k++)
        {
            var row = (int)Math.Min(p.ServingCapacity.Count - 1, (events[k].At - load.Start).Ticks / load.Step.Ticks);
            xs[k] = (events[k].At - load.Start).TotalDays;
            ys[k] = p.ServingCapacity[row];
        }

        var marks = plot.Add.Markers(xs, ys, shape, 5, color.WithAlpha(0.7));
        marks.LegendText = label;
    }

    /// <summary>Adds a line; with <paramref name="pixels"/>, a series with several points per pixel is drawn as its
    /// minimum and maximum per pixel column, which looks the same and renders a 58-day trace in a fraction of the time.</summary>
    private static void Line(Plot plot, double[] xs, double[] ys, string label, Color color, float width, int? pixels = null)
    {
        var step = true;
        if (pixels is { } px && xs.Length > 2 * px)
        {
            (xs, ys) = Envelope(xs, ys, px);
            step = false;
        }

        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = label;
        line.Color = color;
        line.LineWidth = width;
        line.MarkerSize = 0;
        if (step)
        {
            line.ConnectStyle = ConnectStyle.StepHorizontal;
        }
    }

    private static (double[] Xs, double[] Ys) Envelope(double[] xs, double[] ys, int buckets)
    {
        var size = (int)Math.Ceiling(xs.Length / (double)buckets);
        var outX = new List<double>((2 * buckets) + 2);
        var outY = new List<double>((2 * buckets) + 2);
        for (var start = 0; start < xs.Length; start += size)
        {
            var end = Math.Min(xs.Length, start + size);
            var (min, max) = (double.PositiveInfinity, double.NegativeInfinity);
            for (var k = start; k < end; k++)
            {
                min = Math.Min(min, ys[k]);
                max = Math.Max(max, ys[k]);
            }

            outX.Add(xs[start]);
            outY.Add(min);
            outX.Add(xs[(start + end - 1) / 2]);
            outY.Add(max);
        }

        return (outX.ToArray(), outY.ToArray());
    }
}

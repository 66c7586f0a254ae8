using ScottPlot;

namespace Autoscaler.Sandbox.Demo;

/// <summary>The run as a PNG: offered load against serving capacity with the instance count, the pool's CPU with the
/// alert thresholds, and p95 latency with errors; the spike is shaded and each scale-up / scale-down is marked.</summary>
public static class DemoPlot
{
    public static void Save(string path, DemoSettings settings, DemoProfile profile, IReadOnlyList<DemoSample> samples,
        IReadOnlyList<DemoDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(decisions);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);

        var t = samples.Select(s => s.Seconds).ToArray();
        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        var load = multiplot.GetPlot(0);
        var cpu = multiplot.GetPlot(1);
        var latency = multiplot.GetPlot(2);

        load.Title($"linode-autoscaler demo: pool '{settings.Pool}' ({settings.InstanceType}, {settings.InstanceCapacity:0.#} rps per instance)");
        Line(load, t, samples.Select(s => s.OfferedRps), "offered load (rps)", Colors.Gray, 2, step: true);
        Line(load, t, samples.Select(s => s.OkRps), "answered OK (rps)", Colors.Green, 1, step: false);
        Line(load, t, samples.Select(s => s.CapacityRps), "serving capacity (rps)", Colors.Blue, 2, step: true);
        var instances = Line(load, t, samples.Select(s => (double)s.Instances), "instances", Colors.Orange, 2, step: true);
        instances.Axes.YAxis = load.Axes.Right;
        load.Axes.Right.Label.Text = "instances";
        load.Axes.SetLimitsY(0, settings.Max + 1, load.Axes.Right);
        load.Axes.SetLimitsY(0, Math.Max(1, samples.Count == 0 ? 1 : samples.Max(s => Math.Max(Math.Max(s.OfferedRps, s.CapacityRps), s.OkRps))) * 1.1);
        load.YLabel("requests per second");
        load.ShowLegend(Alignment.UpperRight);

        Line(cpu, t, samples.Select(s => s.CpuPercent ?? double.NaN), "pool CPU % (Prometheus)", Colors.Purple, 2, step: false);
        var high = cpu.Add.HorizontalLine(settings.HighPercent);
        high.Color = Colors.Red.WithAlpha(0.6);
        high.LinePattern = LinePattern.Dashed;
        high.LegendText = $"PoolCpuHigh > {settings.HighPercent:0}";
        var low = cpu.Add.HorizontalLine(settings.LowPercent);
        low.Color = Colors.Blue.WithAlpha(0.6);
        low.LinePattern = LinePattern.Dashed;
        low.LegendText = $"PoolCpuLow < {settings.LowPercent:0}";
        cpu.Axes.SetLimitsY(0, 105);
        cpu.YLabel("CPU %");
        cpu.ShowLegend(Alignment.UpperRight);

        Line(latency, t, samples.Select(s => s.P95Ms ?? double.NaN), "p95 latency (ms)", Colors.DarkRed, 2, step: false);
        var errors = Line(latency, t, samples.Select(s => (double)s.Errors), "errors per second", Colors.Red.WithAlpha(0.5), 1, step: true);
        errors.Axes.YAxis = latency.Axes.Right;
        latency.Axes.Right.Label.Text = "errors per second";
        latency.YLabel("p95 ms");
        latency.XLabel("seconds since the load started");
        latency.ShowLegend(Alignment.UpperRight);

        foreach (var plot in new[] { load, cpu, latency })
        {
            // The same margins on every panel, so their time axes line up.
            plot.Layout.Fixed(new PixelPadding(90, 90, 50, 40));
            var spike = plot.Add.HorizontalSpan(profile.Spike.Start.TotalSeconds, profile.Spike.End.TotalSeconds);
            spike.FillStyle.Color = Colors.Orange.WithAlpha(0.12);
            spike.LineStyle.Width = 0;
            foreach (var d in decisions)
            {
                var mark = plot.Add.VerticalLine(d.Seconds);
                mark.Color = (d.Action == "scale_up" ? Colors.Red : Colors.Blue).WithAlpha(0.35);
                mark.LineWidth = 1;
                mark.LinePattern = LinePattern.Dotted;
            }

            if (t.Length > 0)
            {
                plot.Axes.SetLimitsX(Math.Min(0, t[0]), t[^1] + 1);
            }
        }

        multiplot.SharedAxes.ShareX([load, cpu, latency]);
        multiplot.SavePng(path, 1400, 1100);
    }

    private static ScottPlot.Plottables.Scatter Line(Plot plot, double[] xs, IEnumerable<double> ys, string label, Color color, float width, bool step)
    {
        var line = plot.Add.Scatter(xs, ys.ToArray());
        line.LegendText = label;
        line.Color = color;
        line.LineWidth = width;
        line.MarkerSize = 0;
        if (step)
        {
            line.ConnectStyle = ConnectStyle.StepHorizontal;
        }

        return line;
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Autoscaler.Service.Tests.Support;

namespace Autoscaler.Service.Tests.Metrics;

/// <summary>The shipped Grafana dashboard (deploy/grafana) and self-monitoring rules
/// (deploy/prometheus/rules/autoscaler.rules.yml) against the names the service really exports: a renamed metric
/// fails here, not on an operator's empty panel.</summary>
public sealed partial class GrafanaDashboardTests
{
    private static readonly string DeployDir = Path.Combine(AppContext.BaseDirectory, "Deploy");

    /// <summary>Series Prometheus adds itself to every scrape.</summary>
    private static readonly string[] ScrapeSeries = ["up", "scrape_duration_seconds", "scrape_samples_scraped"];

    /// <summary>PromQL words that are neither functions (those are followed by a parenthesis) nor metrics.</summary>
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan",
    };

    public static TheoryData<string> Dashboards()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(DeployDir, "grafana"), "*.json"))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Dashboards))]
    public void Dashboard_Structure_UniqueIdsDatasourceVariableAndLayout(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(DeployDir, "grafana", file)));
        var root = doc.RootElement;
        Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("uid").GetString()));
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().ToArray();
        var datasource = Assert.Single(variables, v => v.GetProperty("type").GetString() == "datasource");
        Assert.Equal("prometheus", datasource.GetProperty("query").GetString());
        var reference = "${" + datasource.GetProperty("name").GetString() + "}";

        var panels = AllPanels(root).ToArray();
        Assert.NotEmpty(panels);
        var ids = panels.Select(p => p.GetProperty("id").GetInt32()).ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            var grid = panel.GetProperty("gridPos");
            Assert.True(grid.GetProperty("x").GetInt32() >= 0 && grid.GetProperty("x").GetInt32() + grid.GetProperty("w").GetInt32() <= 24, $"panel '{title}' is wider than the grid");
            if (panel.GetProperty("type").GetString() == "row")
            {
                continue;
            }

            // Every query goes to the chosen Prometheus, never to a data source of the author's Grafana.
            Assert.Equal(reference, panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToArray();
            Assert.True(targets.Length > 0, $"panel '{title}' has no query");
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString()), $"panel '{title}' has an empty query"));
            Assert.Equal(targets.Length, targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count());
        }
    }

    [Fact]
    public async Task DashboardsAndRules_EveryMetric_ExportedByTheService()
    {
        string exposition;
        await using (var s = await FakeService.StartAsync(dir => TestConfig.Build(dir, TestConfig.Pool("web"))))
        {
            exposition = await s.Http.GetStringAsync("metrics");
        }

        var exported = ExportedMetrics.QueryableNames(exposition);
        exported.UnionWith(ScrapeSeries);
        var queries = new List<(string Where, string Expr)>();
        foreach (var file in Directory.GetFiles(Path.Combine(DeployDir, "grafana"), "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var panel in AllPanels(doc.RootElement).Where(p => p.TryGetProperty("targets", out _)))
            {
                queries.AddRange(panel.GetProperty("targets").EnumerateArray()
                    .Select(t => ($"{Path.GetFileName(file)} panel '{panel.GetProperty("title").GetString()}'", t.GetProperty("expr").GetString()!)));
            }

            queries.AddRange(doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
                .Where(v => v.TryGetProperty("definition", out _))
                .Select(v => ($"{Path.GetFileName(file)} variable {v.GetProperty("name").GetString()}", v.GetProperty("definition").GetString()!)));
        }

        foreach (Match m in RuleExpr().Matches(File.ReadAllText(Path.Combine(DeployDir, "rules", "autoscaler.rules.yml"))))
        {
            queries.Add(("autoscaler.rules.yml", m.Groups[1].Value));
        }

        Assert.True(queries.Count > 20, $"only {queries.Count} queries found");
        var unknown = queries
            .SelectMany(q => MetricNames(q.Expr).Where(n => !exported.Contains(n)).Select(n => $"{q.Where}: {n}"))
            .ToArray();
        Assert.True(unknown.Length == 0, "not exported by the service:\n" + string.Join("\n", unknown));
    }

    [Fact]
    public void MetricNames_Query_OnlyTheSeriesNames()
    {
        var names = MetricNames("""histogram_quantile(0.95, sum by (le, route) (rate(autoscaler_http_request_duration_seconds_bucket{instance=~"$instance", code!~"5.."}[$__rate_interval]))) / on (job) group_left up > 0.1 or absent(up{job="x"})""");
        Assert.Equal(["autoscaler_http_request_duration_seconds_bucket", "up"], names.Distinct().Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(["autoscaler_build_info"], MetricNames("label_values(autoscaler_build_info, instance)").ToArray());
    }

    private static IEnumerable<JsonElement> AllPanels(JsonElement root)
    {
        foreach (var panel in root.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>The series names a PromQL expression reads (label matchers, strings, ranges, grouping clauses and
    /// function names taken away). Grafana's <c>label_values(metric, label)</c> gives its metric.</summary>
    internal static IEnumerable<string> MetricNames(string expr)
    {
        var labelValues = LabelValues().Match(expr);
        if (labelValues.Success)
        {
            return [labelValues.Groups[1].Value];
        }

        var stripped = Strings().Replace(expr, " ");
        stripped = Braces().Replace(stripped, " ");
        stripped = Brackets().Replace(stripped, " ");
        stripped = Grouping().Replace(stripped, " ");
        return Identifiers().Matches(stripped)
            .Where(m => !Keywords.Contains(m.Groups[1].Value) && !m.Groups[2].Success)
            .Select(m => m.Groups[1].Value);
    }

    [GeneratedRegex("""^\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)""")]
    private static partial Regex LabelValues();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")]
    private static partial Regex Identifiers();

    /// <summary>A rule's <c>expr:</c>, on its line or folded onto the following more-indented lines.</summary>
    [GeneratedRegex(@"^\s*expr:\s*(?:>-?\s*\n)?((?:.*\S.*\n?)(?:(?:\s{10,}.*\n?)*))", RegexOptions.Multiline)]
    private static partial Regex RuleExpr();
}

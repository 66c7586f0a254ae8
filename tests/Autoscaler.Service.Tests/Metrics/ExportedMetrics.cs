namespace Autoscaler.Service.Tests.Metrics;

/// <summary>What a /metrics answer in the Prometheus text format declares.</summary>
internal static class ExportedMetrics
{
    /// <summary>Every family's name and type, from its <c># TYPE</c> line (declared even before it has a series).</summary>
    public static IReadOnlyList<(string Name, string Type)> Families(string exposition) =>
        exposition.Split('\n')
            .Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Select(p => (p[2], p[3]))
            .ToArray();

    /// <summary>Every name a query can use: the families, with <c>_bucket</c>, <c>_sum</c> and <c>_count</c> for a
    /// histogram and <c>_sum</c> and <c>_count</c> for a summary.</summary>
    public static ISet<string> QueryableNames(string exposition)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, type) in Families(exposition))
        {
            names.Add(name);
            if (type is "histogram" or "summary")
            {
                names.Add(name + "_sum");
                names.Add(name + "_count");
                if (type == "histogram")
                {
                    names.Add(name + "_bucket");
                }
            }
        }

        return names;
    }
}

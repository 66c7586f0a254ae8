using Autoscaler.Core.Configuration;

namespace Autoscaler.Core.Signals;

/// <summary>The fields every PromQL-driven signal kind opens with: <c>prometheus</c>, <c>query</c> and the one required
/// number that turns the query's value into instances (<c>target</c>, <c>per_instance</c>). Read in one place so the
/// kinds word and order their errors alike.</summary>
internal static class PromQlFields
{
    /// <summary>Reads <c>prometheus</c>, <c>query</c> and the required positive number <paramref name="scaleKey"/>,
    /// reporting each error on the entry's reader; a null part is one that is missing or in error.</summary>
    public static (Uri? Prometheus, string? Query, double? Scale) Read(MapReader m, string scaleKey)
    {
        ArgumentNullException.ThrowIfNull(m);
        var ctx = m.Context;
        var prefix = m.Prefix;
        var url = m.HttpUrl("prometheus", required: true);
        var query = m.String("query", required: true);
        if (query is { Length: 0 })
        {
            m.Error($"{ctx}{prefix}query must not be empty", m.Raw("query"));
        }

        var scale = m.Number(scaleKey, required: true);
        if (scale is <= 0)
        {
            m.Error($"{ctx}{prefix}{scaleKey} must be > 0", m.Raw(scaleKey));
        }

        return (url, query, scale);
    }
}

using System.Globalization;

namespace Reliability.Tests.Support;

/// <summary>Reads Prometheus' text format as /metrics serves it.</summary>
internal static class PromText
{
    /// <summary>The sum of every sample of <paramref name="name"/> whose labels contain each of <paramref name="labels"/>
    /// (written as <c>status="429"</c>).</summary>
    public static double Sum(string text, string name, params string[] labels)
    {
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal) && !line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                continue;
            }

            var close = line.LastIndexOf('}');
            var set = close > 0 ? line[..(close + 1)] : name;
            if (labels.All(l => set.Contains(l, StringComparison.Ordinal)))
            {
                var value = line[(line.LastIndexOf(' ') + 1)..];
                sum += double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }
}

namespace Autoscaler.Core.Configuration;

/// <summary>What the registries of kinds (providers, signal kinds) share: names are unique, and adding a kind of a
/// known name replaces it in its place, so a test or a host changes one kind without reordering the rest.</summary>
internal static class NamedKinds
{
    /// <summary>The kinds as an array; throws when two share a name (<paramref name="what"/> names the registry).</summary>
    public static T[] Unique<T>(IEnumerable<T> kinds, Func<T, string> name, string what, string paramName)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var array = kinds.ToArray();
        var duplicate = array.GroupBy(name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? array : throw new ArgumentException($"{what} '{duplicate.Key}' is registered twice", paramName);
    }

    /// <summary><paramref name="kinds"/> with <paramref name="kind"/> added, or replacing the one of its name in place.</summary>
    public static IEnumerable<T> With<T>(T[] kinds, T kind, Func<T, string> name)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var key = name(kind);
        return kinds.Any(k => string.Equals(name(k), key, StringComparison.Ordinal))
            ? kinds.Select(k => string.Equals(name(k), key, StringComparison.Ordinal) ? kind : k)
            : kinds.Append(kind);
    }
}

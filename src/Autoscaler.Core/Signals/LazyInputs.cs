using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Autoscaler.Core.Signals;

/// <summary>
/// The inputs of a recommendation or decision, formatted only when someone reads them. The service's audit trail
/// reads every one; a backtest runs hundreds of thousands of cycles and reads none, and formatting them was most of
/// a cycle's cost.
/// </summary>
internal sealed class LazyInputs(Func<Dictionary<string, string>> build) : IReadOnlyDictionary<string, string>
{
    private Dictionary<string, string>? _values;

    private Dictionary<string, string> Values => LazyInitializer.EnsureInitialized(ref _values, build);

    public string this[string key] => Values[key];

    public IEnumerable<string> Keys => Values.Keys;

    IEnumerable<string> IReadOnlyDictionary<string, string>.Values => Values.Values;

    public int Count => Values.Count;

    public bool ContainsKey(string key) => Values.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value) => Values.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => Values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
